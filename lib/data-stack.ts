import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import type { Construct } from 'constructs';
import { createKeySealingKey } from './key-sealing';

export interface DataStackProps extends StackProps {
  /**
   * How long uploaded diagnostic reports (`reports/…`) are kept.
   * @default Duration.days(30)
   */
  readonly reportsRetention?: Duration;

  /**
   * How long the reports bucket's server access logs are kept.
   * @default Duration.days(90)
   */
  readonly accessLogsRetention?: Duration;
}

/**
 * The control plane's state: the volumes, hosts and host-commands tables and the reports
 * bucket (docs/control-plane.md, "Tables"). Every table is on-demand, encrypted with the AWS
 * managed key, has point-in-time recovery and survives the stack's deletion.
 */
export class DataStack extends Stack {
  readonly volumesTable: dynamodb.ITable;
  readonly hostsTable: dynamodb.ITable;
  readonly hostCommandsTable: dynamodb.ITable;
  /** Per-tenant request counters of the customer routes (one item per tenant and second, expiring). */
  readonly tenantQuotasTable: dynamodb.ITable;
  readonly reportsBucket: s3.IBucket;
  /** Seals the PSK keys stored in the volumes table (lib/key-sealing.ts). */
  readonly keySealingKey: kms.IKey;

  constructor(scope: Construct, id: string, props: DataStackProps = {}) {
    super(scope, id, props);
    // S3 delivers server access logs under a bucket policy rather than the LogDeliveryWrite
    // ACL, which buckets with ACLs disabled (the S3 default) refuse.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    const volumesTable = createTable(this, 'VolumesTable', { partitionKey: 'pk', sortKey: 'sk' });
    volumesTable.addGlobalSecondaryIndex({
      indexName: 'byTenant',
      partitionKey: { name: 'tenantId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'createdAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    // expiresAt: a released reservation is remembered as a former dependent for an hour (docs/health.md).
    const hostsTable = createTable(this, 'HostsTable', { partitionKey: 'pk', sortKey: 'sk', timeToLiveAttribute: 'expiresAt' });
    hostsTable.addGlobalSecondaryIndex({
      indexName: 'byLocation',
      partitionKey: { name: 'location', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    const hostCommandsTable = createTable(this, 'HostCommandsTable', {
      partitionKey: 'hostId',
      sortKey: 'commandId',
      timeToLiveAttribute: 'expiresAt',
    });
    // Sparse: only pending commands carry `pendingHostId`, so a take never reads finished ones.
    hostCommandsTable.addGlobalSecondaryIndex({
      indexName: 'pendingByHost',
      partitionKey: { name: 'pendingHostId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'visibleAt', type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    const tenantQuotasTable = createTable(this, 'TenantQuotasTable', { partitionKey: 'tenantId', sortKey: 'window', timeToLiveAttribute: 'expiresAt' });

    const accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      ...PRIVATE_BUCKET,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: props.accessLogsRetention ?? Duration.days(90) }],
    });
    const reportsBucket = new s3.Bucket(this, 'ReportsBucket', {
      ...PRIVATE_BUCKET,
      versioned: false,
      serverAccessLogsBucket: accessLogsBucket,
      serverAccessLogsPrefix: 'reports-bucket/',
      lifecycleRules: [{ id: 'ExpireReports', prefix: 'reports/', expiration: props.reportsRetention ?? Duration.days(30) }],
    });
    // Object Created events go to EventBridge, whose rule starts diagnose-report (lib/diagnostics-stack.ts).
    // Set on the CloudFormation bucket itself: `eventBridgeEnabled` would add a notifications custom resource.
    (reportsBucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };

    this.volumesTable = volumesTable;
    this.hostsTable = hostsTable;
    this.hostCommandsTable = hostCommandsTable;
    this.tenantQuotasTable = tenantQuotasTable;
    this.reportsBucket = reportsBucket;
    this.keySealingKey = createKeySealingKey(this, 'KeySealingKey');

    new CfnOutput(this, 'VolumesTableName', { value: volumesTable.tableName });
    new CfnOutput(this, 'HostsTableName', { value: hostsTable.tableName });
    new CfnOutput(this, 'HostCommandsTableName', { value: hostCommandsTable.tableName });
    new CfnOutput(this, 'ReportsBucketName', { value: reportsBucket.bucketName });
    new CfnOutput(this, 'KeySealingKeyArn', { value: this.keySealingKey.keyArn });
  }
}

const PRIVATE_BUCKET: s3.BucketProps = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  encryption: s3.BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  removalPolicy: RemovalPolicy.RETAIN,
};

interface TableKeys {
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly timeToLiveAttribute?: string;
}

/** A table with the settings every Blockplane table shares; keys are strings. */
function createTable(scope: Construct, id: string, keys: TableKeys): dynamodb.Table {
  return new dynamodb.Table(scope, id, {
    partitionKey: { name: keys.partitionKey, type: dynamodb.AttributeType.STRING },
    sortKey: { name: keys.sortKey, type: dynamodb.AttributeType.STRING },
    timeToLiveAttribute: keys.timeToLiveAttribute,
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
