import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { REPO_ROOT } from '../../lib/repo-paths';
import { SYNTH_TIMEOUT_MS, blockplane } from './synth';

let diagnostics: Template;
let data: Template;
beforeAll(() => {
  ({ diagnostics, data } = blockplane());
}, SYNTH_TIMEOUT_MS);

describe('BlockplaneDiagnostics', () => {
  test('the reports bucket sends its events to EventBridge and expires reports/ after 30 days', () => {
    data.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      LifecycleConfiguration: { Rules: [Match.objectLike({ Prefix: 'reports/', ExpirationInDays: 30, Status: 'Enabled' })] },
    });
  });

  test('an EventBridge rule starts diagnose-report for Object Created under reports/ of that bucket, with only the key', () => {
    const rules = diagnostics.findResources('AWS::Events::Rule');
    const [rule] = Object.values(rules) as any[];
    expect(Object.keys(rules)).toHaveLength(1);
    expect(rule.Properties.EventPattern).toMatchObject({ source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { object: { key: [{ prefix: 'reports/' }] } } });
    expect(rule.Properties.Targets[0].InputTransformer.InputTemplate).toBe('{"key":<detail-object-key>}');
  });

  test('the table keeps reports 30 days by TTL and has the owner and sparse review-queue indexes', () => {
    diagnostics.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'byOwner' }), Match.objectLike({ IndexName: 'reviewQueue' })],
    });
  });

  test('every Task of diagnose-report catches States.ALL, after the timeout', () => {
    const definition = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'statemachines/diagnose-report.asl.json'), 'utf8'));
    for (const state of Object.values(definition.States) as any[]) {
      if (state.Type !== 'Task') continue;
      const errors = state.Catch.map((handler: any) => handler.ErrorEquals.join(','));
      expect(errors[errors.length - 1]).toBe('States.ALL');
    }
  });

  test('the deploy loads every repository rule through the custom resource', () => {
    const [resource] = Object.values(diagnostics.findResources('Custom::KnownIssueRules')) as any[];
    const rules = JSON.parse(resource.Properties.Rules) as { id: string }[];
    expect(rules.map((rule) => `${rule.id}.json`)).toEqual(fs.readdirSync(path.join(REPO_ROOT, 'rules/known-issues')).sort());
  });
});
