/**
 * The console (docs/console.md, "Serving"): a private bucket filled with the build at deploy
 * time, three unsigned GET routes, and functions that may read that bucket's objects and nothing else.
 */
import * as path from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { buildFiles } from '../../lib/console-site';
import { CONSOLE_FIXTURE_BUILD, SYNTH_TIMEOUT_MS, blockplane, resourceNamed } from './synth';

const CONSOLE_FUNCTIONS = ['ConsoleEntry', 'ConsoleFile', 'ConsoleAsset'];

let api: Template;
beforeAll(() => {
  api = blockplane().api;
}, SYNTH_TIMEOUT_MS);

const bucket = () => resourceNamed(api, 'AWS::S3::Bucket', 'ConsoleSiteBucket');

/** The statements of the inline policy attached to `functionId`'s role. */
function statementsOf(functionId: string): any[] {
  const fn = resourceNamed(api, 'AWS::Lambda::Function', `${functionId}Function`).resource;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(api.findResources('AWS::IAM::Policy')).filter((policy: any) => policy.Properties.Roles.some((role: any) => role.Ref === roleId));
  return policies.flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
}

describe('console bucket', () => {
  test('when synthesized, the bucket blocks public access, encrypts and refuses plain HTTP', () => {
    // Act
    const { id, resource } = bucket();

    // Assess
    expect(resource.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(resource.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    const bucketPolicy = Object.values(api.findResources('AWS::S3::BucketPolicy')).find((p: any) => p.Properties.Bucket.Ref === id) as any;
    expect(bucketPolicy.Properties.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
    );
  });

  test('when synthesized, the deploy puts every file of the build into it, one putObject each under its own key', () => {
    // Prepare
    const files = buildFiles(CONSOLE_FIXTURE_BUILD);

    // Act
    const puts = Object.values(api.findResources('Custom::AWS')).map((resource: any) => JSON.parse(JSON.stringify(resource.Properties.Create)));

    // Assess
    expect(files).toEqual(['assets/index-fixture.js', 'index.html']);
    expect(puts).toHaveLength(files.length);
    const putKeys = puts.map((put: any) => (typeof put === 'string' ? put : JSON.stringify(put)).match(/"Key\\?":\\?"([^"\\]+)/)?.[1]).sort();
    expect(putKeys).toEqual(files);
  });

  test('when synthesized, each file\'s resource deletes exactly its own object when it is removed, so the bucket can go with the stack', () => {
    // Act
    const resources = Object.values(api.findResources('Custom::AWS')).map((resource: any) => resource.Properties);
    const keyOf = (call: unknown) => JSON.stringify(call).match(/"Key\\?":\\?"([^"\\]+)/)?.[1];

    // Assess
    for (const properties of resources) {
      expect(JSON.stringify(properties.Delete)).toContain('deleteObject');
      expect(keyOf(properties.Delete)).toBe(keyOf(properties.Create));
    }
    expect(bucket().resource.DeletionPolicy).toBe('Delete');
  });

  test('when the build is missing, synthesis stops and says how to build it', () => {
    expect(() => buildFiles(path.join(CONSOLE_FIXTURE_BUILD, 'assets'))).toThrow(/npm run build:console/);
  });

  test('when synthesized, the deploy-time provider may only put and delete objects in the console bucket', () => {
    // Act
    const statements = Object.values(api.findResources('AWS::IAM::Policy'))
      .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement)
      .filter((statement: any) => JSON.stringify(statement.Action).includes('s3:PutObject') && JSON.stringify(statement.Resource).includes(bucket().id));

    // Assess
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) expect(statement).toMatchObject({ Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'] });
  });
});

describe('console functions', () => {
  test.each(CONSOLE_FUNCTIONS)('when %s is synthesized, its role may get objects of the console bucket and write its own logs, nothing else', (functionId) => {
    // Act
    const statements = statementsOf(functionId);

    // Assess
    const s3 = statements.filter((statement) => JSON.stringify(statement.Action).includes('s3:'));
    expect(s3).toEqual([{ Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket().id, 'Arn'] }, '/*']] } }]);
    const others = statements.filter((statement) => !JSON.stringify(statement.Action).includes('s3:')).flatMap((statement) => [statement.Action].flat());
    for (const action of others) expect(action).toMatch(/^(logs:|xray:)/);
  });

  test.each(CONSOLE_FUNCTIONS)('when %s is synthesized, it is told the console bucket', (functionId) => {
    const fn = resourceNamed(api, 'AWS::Lambda::Function', `${functionId}Function`).resource;
    expect(fn.Properties.Environment.Variables.CONSOLE_BUCKET).toEqual({ Ref: bucket().id });
  });
});
