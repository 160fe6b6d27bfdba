import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { AslStateMachine } from './asl-state-machine';
import { BlockplaneFunction } from './blockplane-function';
import { TABLE_INDEX_REASON, acknowledgeGrantWildcards } from './nag-acknowledgements';

export interface SnapshotsStackProps extends StackProps {
  readonly volumesTable: dynamodb.ITable;
  readonly hostCommandsTable: dynamodb.ITable;

  /**
   * How long the snapshot task may go without progress from its host (`${HostCommandTimeoutSeconds}`).
   * @default Duration.seconds(300)
   */
  readonly hostCommandTimeout?: Duration;

  /**
   * How long abandoned multipart uploads are kept before S3 aborts them.
   * @default Duration.days(1)
   */
  readonly abortIncompleteUploadsAfter?: Duration;
}

/** Why snapshot functions may reach whole prefixes of the snapshots bucket. */
export const SNAPSHOT_KEYS_REASON =
  'chunk objects are named by their sha256 under chunks/<lineage>/ and manifests under manifests/<lineage>/, minted ' +
  'per snapshot, so a grant can name only these prefixes of this one bucket; each presigned URL the functions sign ' +
  'is narrowed to one key (and, for a PUT, one sha256 checksum) by its signature';

/** The longest a host may take for one snapshot while it keeps reporting progress. */
const SNAPSHOT_MAX_SECONDS = 86_400;

/**
 * Snapshots (docs/snapshots.md): the snapshots table, the snapshots bucket (versioning off,
 * SSE-KMS with its own key, public access blocked, TLS only, abandoned multipart uploads
 * aborted), the snapshot-volume and collect-snapshot-chunks workflows and their task functions.
 * The API routes live in BlockplaneApi (`snapshotRoutes`).
 */
export class SnapshotsStack extends Stack {
  readonly snapshotsTable: dynamodb.ITable;
  readonly snapshotsBucket: s3.IBucket;
  readonly snapshotsKey: kms.IKey;
  readonly snapshotStateMachine: sfn.IStateMachine;
  readonly collectChunksStateMachine: sfn.IStateMachine;

  constructor(scope: Construct, id: string, props: SnapshotsStackProps) {
    super(scope, id, props);
    const { volumesTable, hostCommandsTable } = props;

    const table = new dynamodb.Table(this, 'SnapshotsTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const [indexName, key] of [['byVolume', 'volumeKey'], ['byTenant', 'tenantKey'], ['byLineage', 'lineageKey']] as const) {
      table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: key, type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'startedAt', type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    this.snapshotsTable = table;

    const key = new kms.Key(this, 'SnapshotsKey', {
      description: 'Blockplane: encrypts volume snapshots (chunks and manifests) at rest',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.snapshotsKey = key;
    const accessLogs = new s3.Bucket(this, 'SnapshotsAccessLogsBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(90) }],
    });
    const bucket = new s3.Bucket(this, 'SnapshotsBucket', {
      versioned: false,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'snapshots-bucket/',
      lifecycleRules: [{ id: 'AbortAbandonedUploads', abortIncompleteMultipartUploadAfter: props.abortIncompleteUploadsAfter ?? Duration.days(1) }],
    });
    this.snapshotsBucket = bucket;

    const environment = {
      SNAPSHOTS_TABLE: table.tableName,
      SNAPSHOTS_BUCKET: bucket.bucketName,
      VOLUMES_TABLE: volumesTable.tableName,
      COMMANDS_TABLE: hostCommandsTable.tableName,
    };
    const task = (taskId: string, entry: string, description: string) => new BlockplaneFunction(this, taskId, { entry, description, environment, timeout: Duration.seconds(60) });

    const begin = task('BeginSnapshot', 'lambdas/tasks/begin-snapshot.ts', "Builds the snapshot-copy command for the volume's current primary");
    table.grantReadData(begin);
    volumesTable.grantReadData(begin);
    const send = task('SendSnapshotCommand', 'lambdas/tasks/send-host-command.ts', 'Queues a snapshot command with its task token');
    hostCommandsTable.grantReadWriteData(send);
    const finish = task('FinishSnapshot', 'lambdas/tasks/finish-snapshot.ts', 'Writes the manifest and completes a snapshot, or marks it error');
    table.grantReadWriteData(finish);
    grantObjects(finish, bucket, key, ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket']);
    const collect = task('CollectSnapshotChunks', 'lambdas/tasks/collect-snapshot-chunks.ts', 'Removes the chunks only a deleted snapshot named, then its manifest');
    table.grantReadWriteData(collect);
    grantObjects(collect, bucket, key, ['s3:GetObject', 's3:DeleteObject', 's3:ListBucket']);

    const substitutions = { HostCommandTimeoutSeconds: String((props.hostCommandTimeout ?? Duration.seconds(300)).toSeconds()), HostCommandMaxSeconds: String(SNAPSHOT_MAX_SECONDS) };
    const snapshotWorkflow = new AslStateMachine(this, 'SnapshotVolumeWorkflow', {
      definitionFile: 'statemachines/snapshot-volume.asl.json',
      functions: { BeginSnapshotFunctionArn: begin.function, SendHostCommandFunctionArn: send.function, FinishSnapshotFunctionArn: finish.function },
      substitutions,
    });
    const collectWorkflow = new AslStateMachine(this, 'CollectSnapshotChunksWorkflow', {
      definitionFile: 'statemachines/collect-snapshot-chunks.asl.json',
      functions: { CollectSnapshotChunksFunctionArn: collect.function },
    });
    this.snapshotStateMachine = snapshotWorkflow.stateMachine;
    this.collectChunksStateMachine = collectWorkflow.stateMachine;

    acknowledgeGrantWildcards(this, { arns: [table.tableArn, volumesTable.tableArn, hostCommandsTable.tableArn], suffix: '/index/*', reason: TABLE_INDEX_REASON });

    new CfnOutput(this, 'SnapshotsTableName', { value: table.tableName });
    new CfnOutput(this, 'SnapshotsBucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'SnapshotStateMachineArn', { value: snapshotWorkflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'CollectSnapshotChunksStateMachineArn', { value: collectWorkflow.stateMachine.stateMachineArn });
  }
}

/** The snapshot prefixes of the bucket, with the KMS use their objects need. */
export function grantObjects(fn: BlockplaneFunction, bucket: s3.IBucket, key: kms.IKey, actions: readonly string[]): void {
  const objectActions = actions.filter((action) => action !== 's3:ListBucket');
  const prefixes = ['chunks/*', 'manifests/*', 'manifest-parts/*'];
  if (objectActions.length > 0) fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...objectActions], resources: prefixes.map((prefix) => bucket.arnForObjects(prefix)) }));
  if (actions.includes('s3:ListBucket')) {
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn], conditions: { StringLike: { 's3:prefix': prefixes } } }));
  }
  // SSE-KMS: writing an object (or signing a PUT for it) needs a data key; reading one, a decrypt.
  const keyActions = objectActions.includes('s3:PutObject') ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'];
  fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: keyActions, resources: [key.keyArn] }));
  for (const suffix of ['/chunks/*', '/manifests/*', '/manifest-parts/*']) acknowledgeGrantWildcards(fn, { arns: [bucket.bucketArn], suffix, reason: SNAPSHOT_KEYS_REASON });
}
