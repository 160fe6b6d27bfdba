import { Match, type Template } from 'aws-cdk-lib/assertions';
import { SYNTH_TIMEOUT_MS, blockplane, resourceNamed } from './synth';

let data: Template;
beforeAll(() => {
  data = blockplane().data;
}, SYNTH_TIMEOUT_MS);

const table = (prefix: string) => resourceNamed(data, 'AWS::DynamoDB::Table', prefix).resource;
const bucket = (prefix: string) => resourceNamed(data, 'AWS::S3::Bucket', prefix);

describe('BlockplaneData tables', () => {
  test.each(['VolumesTable', 'HostsTable', 'HostCommandsTable'])(
    'when %s is synthesized, it is on-demand, encrypted with the AWS managed key, recoverable to a point in time and retained',
    (prefix) => {
      // Act
      const resource = table(prefix);

      // Assess
      expect(resource.DeletionPolicy).toBe('Retain');
      expect(resource.UpdateReplacePolicy).toBe('Retain');
      expect(resource.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
      expect(resource.Properties.SSESpecification.KMSMasterKeyId).toBeUndefined();
      expect(resource.Properties.TableName).toBeUndefined();
    },
  );

  test('when VolumesTable is synthesized, it is keyed by pk/sk with the byTenant index on tenantId/createdAt', () => {
    // Act
    const { Properties } = table('VolumesTable');

    // Assess
    expect(Properties.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'byTenant',
        KeySchema: [
          { AttributeName: 'tenantId', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining(['pk', 'sk', 'tenantId', 'createdAt'].map((name) => ({ AttributeName: name, AttributeType: 'S' }))),
    );
  });

  test('when HostsTable is synthesized, it is keyed by pk/sk with the byLocation index on location/pk, and expires former dependents on expiresAt', () => {
    // Act
    const { Properties } = table('HostsTable');

    // Assess
    expect(Properties.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'byLocation',
        KeySchema: [
          { AttributeName: 'location', KeyType: 'HASH' },
          { AttributeName: 'pk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining(['pk', 'sk', 'location'].map((name) => ({ AttributeName: name, AttributeType: 'S' }))),
    );
    expect(Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  test('when HostCommandsTable is synthesized, it is keyed by hostId/commandId, has a sparse pending-commands index and expires items on expiresAt', () => {
    // Act
    const { Properties } = table('HostCommandsTable');

    // Assess
    expect(Properties.KeySchema).toEqual([
      { AttributeName: 'hostId', KeyType: 'HASH' },
      { AttributeName: 'commandId', KeyType: 'RANGE' },
    ]);
    expect(Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'pendingByHost',
        KeySchema: [
          { AttributeName: 'pendingHostId', KeyType: 'HASH' },
          { AttributeName: 'visibleAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });
});

describe('BlockplaneData buckets', () => {
  test.each(['ReportsBucket', 'AccessLogsBucket'])(
    'when %s is synthesized, it blocks all public access, is S3-encrypted, retained and refuses requests without TLS',
    (prefix) => {
      // Act
      const { id, resource } = bucket(prefix);

      // Assess
      expect(resource.DeletionPolicy).toBe('Retain');
      expect(resource.Properties).toMatchObject({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      });
      expect(resource.Properties.BucketName).toBeUndefined();
      data.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    },
  );

  test('when ReportsBucket is synthesized, it is unversioned, expires reports/ after 30 days and logs access to AccessLogsBucket', () => {
    // Prepare
    const accessLogs = bucket('AccessLogsBucket');

    // Act
    const { Properties } = bucket('ReportsBucket').resource;

    // Assess
    expect(Properties.VersioningConfiguration).toBeUndefined();
    expect(Properties.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({ Prefix: 'reports/', ExpirationInDays: 30, Status: 'Enabled' }),
    ]);
    expect(Properties.LoggingConfiguration).toEqual(
      expect.objectContaining({ DestinationBucketName: { Ref: accessLogs.id } }),
    );
  });

  test('when AccessLogsBucket is synthesized, it lets only S3 log delivery write, and only for the reports bucket', () => {
    // Prepare
    const accessLogs = bucket('AccessLogsBucket');
    const reports = bucket('ReportsBucket');

    // Act
    const policies = data.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: accessLogs.id } } });

    // Assess
    const statements = Object.values(policies).flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
    const allows = statements.filter((statement: any) => statement.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Action: 's3:PutObject',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Condition: expect.objectContaining({ ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [reports.id, 'Arn'] } } }),
      }),
    ]);
    expect(accessLogs.resource.Properties.AccessControl).toBeUndefined();
  });
});

describe('BlockplaneData outputs', () => {
  test('when the stack is synthesized, it outputs the table and bucket names under the contract names', () => {
    // Act
    const outputs = data.findOutputs('*');

    // Assess
    expect(outputs.VolumesTableName.Value).toEqual({ Ref: resourceNamed(data, 'AWS::DynamoDB::Table', 'VolumesTable').id });
    expect(outputs.HostsTableName.Value).toEqual({ Ref: resourceNamed(data, 'AWS::DynamoDB::Table', 'HostsTable').id });
    expect(outputs.HostCommandsTableName.Value).toEqual({
      Ref: resourceNamed(data, 'AWS::DynamoDB::Table', 'HostCommandsTable').id,
    });
    expect(outputs.ReportsBucketName.Value).toEqual({ Ref: bucket('ReportsBucket').id });
  });
});
