import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { BlockplaneFunction } from './blockplane-function';
import { TABLE_INDEX_REASON, acknowledgeGrantWildcards } from './nag-acknowledgements';
import { grantObjects, type SnapshotsStack } from './snapshots-stack';

/** A route as ApiStack builds it (its `Route`), for the snapshot handlers. */
export interface SnapshotRoute {
  readonly id: string;
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly entry: string;
  readonly description: string;
  readonly grant: (fn: BlockplaneFunction) => void;
  readonly environment: Record<string, string>;
}

/** The execute-api path storage hosts call for snapshot chunk URLs. */
export const HOST_SNAPSHOT_ROUTES = [{ method: 'POST', path: '/hosts/*/snapshot-chunks' }] as const;
/** The same, as an API Gateway resource path (its method throttling). */
export const HOST_SNAPSHOT_RESOURCE_PATHS = [{ method: 'POST', path: '/hosts/{hostId}/snapshot-chunks' }] as const;

export interface SnapshotRouteResources {
  readonly snapshots: SnapshotsStack;
  readonly volumesTable: dynamodb.ITable;
  readonly hostsTable: dynamodb.ITable;
  readonly pageTokenSecret: secretsmanager.ISecret;
}

/** The snapshot routes (docs/snapshots.md, "API"), each with exactly its grants. */
export function snapshotRoutes(resources: SnapshotRouteResources): SnapshotRoute[] {
  const { snapshots, volumesTable, hostsTable, pageTokenSecret } = resources;
  const table = snapshots.snapshotsTable;
  const environment = {
    SNAPSHOTS_TABLE: table.tableName,
    SNAPSHOTS_BUCKET: snapshots.snapshotsBucket.bucketName,
    SNAPSHOT_STATE_MACHINE_ARN: snapshots.snapshotStateMachine.stateMachineArn,
    COLLECT_CHUNKS_STATE_MACHINE_ARN: snapshots.collectChunksStateMachine.stateMachineArn,
  };
  const indexes = (fn: BlockplaneFunction) => acknowledgeGrantWildcards(fn, { arns: [table.tableArn], suffix: '/index/*', reason: TABLE_INDEX_REASON });
  const read = (fn: BlockplaneFunction) => {
    table.grantReadData(fn);
    indexes(fn);
  };
  const list = (fn: BlockplaneFunction) => {
    read(fn);
    volumesTable.grantReadData(fn);
    pageTokenSecret.grantRead(fn);
  };
  const listEnvironment = { ...environment, PAGE_TOKEN_SECRET_ARN: pageTokenSecret.secretArn };
  return [
    {
      id: 'CreateSnapshot', method: 'POST', path: '/volumes/{volumeId}/snapshots', entry: 'lambdas/api/create-snapshot.ts', environment,
      description: "Records a pending snapshot of one of the caller's volumes and starts its snapshot-volume workflow",
      grant: (fn) => {
        table.grantReadWriteData(fn);
        indexes(fn);
        volumesTable.grantReadData(fn);
        snapshots.snapshotStateMachine.grantStartExecution(fn);
      },
    },
    { id: 'ListVolumeSnapshots', method: 'GET', path: '/volumes/{volumeId}/snapshots', entry: 'lambdas/api/list-snapshots.ts', environment: listEnvironment, description: "Lists one volume's snapshots, newest first", grant: list },
    { id: 'ListSnapshots', method: 'GET', path: '/snapshots', entry: 'lambdas/api/list-snapshots.ts', environment: listEnvironment, description: "Lists the caller's snapshots, newest first", grant: list },
    { id: 'GetSnapshot', method: 'GET', path: '/snapshots/{snapshotId}', entry: 'lambdas/api/get-snapshot.ts', environment, description: "Describes one of the caller's snapshots", grant: read },
    {
      id: 'DeleteSnapshot', method: 'DELETE', path: '/snapshots/{snapshotId}', entry: 'lambdas/api/delete-snapshot.ts', environment,
      description: 'Marks a snapshot deleting and starts the collection of the chunks only it names',
      grant: (fn) => {
        table.grantReadWriteData(fn);
        indexes(fn);
        snapshots.collectChunksStateMachine.grantStartExecution(fn);
      },
    },
    {
      id: 'RequestSnapshotChunkUrls', method: 'POST', path: '/hosts/{hostId}/snapshot-chunks', entry: 'lambdas/api/request-chunk-urls.ts', environment,
      description: 'Hosts: records a batch of manifest entries and answers presigned PUTs for the chunks to upload, or presigned GETs to restore',
      grant: (fn) => {
        table.grantReadWriteData(fn);
        indexes(fn);
        volumesTable.grantReadData(fn);
        hostsTable.grantReadData(fn);
        grantObjects(fn, snapshots.snapshotsBucket, snapshots.snapshotsKey, ['s3:GetObject', 's3:PutObject', 's3:ListBucket']);
      },
    },
  ];
}
