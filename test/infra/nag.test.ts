/**
 * cdk-nag's AwsSolutions pack over every stack: no finding may stand unless the construct
 * acknowledges that exact rule with a reason (see the list pinned below).
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { acknowledgeGrantWildcards } from '../../lib/nag-acknowledgements';
import { SYNTH_TIMEOUT_MS, blockplane, quietly, withOutdir } from './synth';

let app: App;
beforeAll(() => {
  app = blockplane().app;
}, SYNTH_TIMEOUT_MS);

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every acknowledgement recorded anywhere in the tree, from construct metadata. */
function acknowledgementsIn(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** An acknowledgement with the stack-specific part of its finding (logical ids, export names) replaced by what it names. */
function describeAcknowledgement(acknowledgement: Acknowledgement): string {
  const id = acknowledgement.id
    .replace(/Resource::BlockplaneData:ExportsOutputFnGetAtt(Volumes|Hosts)Table[0-9A-F]{8}Arn[0-9A-F]{8}\/index\/\*/, 'Resource::<$1Table arn>/index/*')
    .replace(/Resource::<([A-Za-z]+)Function[0-9A-F]{8}\.Arn>:\*/, 'Resource::<$1 function arn>:*');
  return `${acknowledgement.path.replace(/\/Function$/, '')}: ${id}`;
}

describe('cdk-nag AwsSolutions checks', () => {
  test('when the checks run over every Blockplane stack, they find no unacknowledged error or warning', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(app);

    // Assess
    const findings = report.violations.map(
      (violation) => `${violation.severity} ${violation.ruleName}: ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  test('when the app acknowledges a rule, it is one of the reviewed rules and gives a specific reason', () => {
    // Act
    const acknowledgements = acknowledgementsIn(app);

    // Assess
    expect([...new Set(acknowledgements.map(describeAcknowledgement))].sort()).toEqual([
      'BlockplaneApi/CompleteCommand: AwsSolutions-L1',
      'BlockplaneApi/CreateVolume: AwsSolutions-L1',
      'BlockplaneApi/DeleteVolume: AwsSolutions-L1',
      'BlockplaneApi/GetVolume: AwsSolutions-L1',
      'BlockplaneApi/ListVolumes: AwsSolutions-L1',
      'BlockplaneApi/PollCommands: AwsSolutions-L1',
      'BlockplaneApi/RecordHeartbeat: AwsSolutions-L1',
      'BlockplaneApi/RegisterHost: AwsSolutions-L1',
      'BlockplaneApi/RestApi: AwsSolutions-APIG3',
      'BlockplaneApi/RestApi: AwsSolutions-COG4',
      'BlockplaneApi/RestApi: AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'BlockplaneApi: AwsSolutions-IAM5[Resource::<HostsTable arn>/index/*]',
      'BlockplaneApi: AwsSolutions-IAM5[Resource::<VolumesTable arn>/index/*]',
      'BlockplaneWorkflows/CreateVolume: AwsSolutions-IAM5[Resource::*]',
      'BlockplaneWorkflows/CreateVolume: AwsSolutions-IAM5[Resource::<PlaceCopies function arn>:*]',
      'BlockplaneWorkflows/CreateVolume: AwsSolutions-IAM5[Resource::<ReleasePlacement function arn>:*]',
      'BlockplaneWorkflows/CreateVolume: AwsSolutions-IAM5[Resource::<SendHostCommand function arn>:*]',
      'BlockplaneWorkflows/CreateVolume: AwsSolutions-IAM5[Resource::<SettleVolume function arn>:*]',
      'BlockplaneWorkflows/DeleteVolume: AwsSolutions-IAM5[Resource::*]',
      'BlockplaneWorkflows/DeleteVolume: AwsSolutions-IAM5[Resource::<ReleasePlacement function arn>:*]',
      'BlockplaneWorkflows/DeleteVolume: AwsSolutions-IAM5[Resource::<SendHostCommand function arn>:*]',
      'BlockplaneWorkflows/DeleteVolume: AwsSolutions-IAM5[Resource::<SettleVolume function arn>:*]',
      'BlockplaneWorkflows/PlaceCopies: AwsSolutions-L1',
      'BlockplaneWorkflows/ReleasePlacement: AwsSolutions-L1',
      'BlockplaneWorkflows/SendHostCommand: AwsSolutions-L1',
      'BlockplaneWorkflows/SettleVolume: AwsSolutions-L1',
      'BlockplaneWorkflows: AwsSolutions-IAM5[Resource::<HostsTable arn>/index/*]',
      'BlockplaneWorkflows: AwsSolutions-IAM5[Resource::<VolumesTable arn>/index/*]',
    ]);
    for (const { reason } of acknowledgements) expect(reason.length).toBeGreaterThan(60);
  });

  test('when a stack holds a bucket open to the public, reachable without TLS and unlogged, the checks fail synthesis', () => {
    // Prepare
    const build = (outdir: string) => {
      const throwaway = new App({ outdir });
      const stack = new Stack(throwaway, 'Throwaway');
      new s3.Bucket(stack, 'Open', { blockPublicAccess: s3.BlockPublicAccess.BLOCK_ACLS_ONLY });
      Validations.of(throwaway).addPlugins(new AwsSolutionsChecks(throwaway));
      return throwaway;
    };

    // Act
    const failure = withOutdir((outdir) => {
      try {
        quietly(() => build(outdir).synth());
        return undefined;
      } catch (error) {
        return error;
      }
    });

    // Assess
    expect(failure).toBeInstanceOf(Error);
    const message = (failure as Error).message;
    for (const rule of ['AwsSolutions-S1', 'AwsSolutions-S2', 'AwsSolutions-S10']) {
      expect(message).toContain(`Throwaway/Open/Resource`);
      expect(message).toContain(`'AwsSolutions::${rule}'`);
    }
  });
});

describe('acknowledgeGrantWildcards', () => {
  test('when a role reads two tables with indexes and one is acknowledged, the other index wildcard is still reported', () => {
    // Prepare
    const build = (outdir: string) => {
      const throwaway = new App({ outdir });
      const tables = new Stack(throwaway, 'Tables');
      const indexed = (id: string) => {
        const table = new dynamodb.Table(tables, id, { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
        table.addGlobalSecondaryIndex({ indexName: 'byOther', partitionKey: { name: 'other', type: dynamodb.AttributeType.STRING } });
        return table;
      };
      const acknowledged = indexed('Acknowledged');
      const forgotten = indexed('Forgotten');
      const consumer = new Stack(throwaway, 'Consumer');
      const role = new iam.Role(consumer, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      acknowledged.grantReadData(role);
      forgotten.grantReadData(role);
      acknowledgeGrantWildcards(consumer, { arns: [acknowledged.tableArn], suffix: '/index/*', reason: 'test' });
      return throwaway;
    };

    // Act
    const rules = withOutdir((outdir) => {
      const throwaway = build(outdir);
      quietly(() => throwaway.synth());
      return new AwsSolutionsChecks().validateScope(throwaway).violations.map((violation) => violation.ruleName);
    });

    // Assess
    expect(rules.filter((rule) => rule.startsWith('AwsSolutions-IAM5'))).toEqual([
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::Tables:ExportsOutputFnGetAttForgotten[0-9A-F]{8}Arn[0-9A-F]{8}\/index\/\*\]$/),
    ]);
  });
});
