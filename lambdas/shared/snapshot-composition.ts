import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createDocumentClient } from '../../adapters/dynamodb-document-client';
import { DynamoDbSnapshotRepository } from '../../adapters/dynamodb-snapshot-repository';
import { S3SnapshotObjects } from '../../adapters/s3-snapshot-objects';
import { StepFunctionsSnapshotWorkflows } from '../../adapters/step-functions-snapshot-workflows';

/** Wiring for the snapshot functions (docs/snapshots.md): the only place they read the environment. */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

const documents = createDocumentClient();

export const snapshotRepository = () => new DynamoDbSnapshotRepository(required('SNAPSHOTS_TABLE'), documents);
/** POST /volumes reads the snapshot it restores from; an API deployed without snapshots has none (a snapshotId is then 404). */
export const restoreSnapshotRepository = () => (process.env.SNAPSHOTS_TABLE ? snapshotRepository() : undefined);
// Path-style keeps presigned URLs on the endpoint's own host (the local cloud has no bucket subdomains).
export const snapshotObjects = () => new S3SnapshotObjects(required('SNAPSHOTS_BUCKET'), new S3Client({ forcePathStyle: process.env.AWS_ENDPOINT_URL !== undefined }));
export const snapshotWorkflows = () =>
  new StepFunctionsSnapshotWorkflows(required('SNAPSHOT_STATE_MACHINE_ARN'), required('COLLECT_CHUNKS_STATE_MACHINE_ARN'), new SFNClient({}));
