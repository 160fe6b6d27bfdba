import { S3Client } from '@aws-sdk/client-s3';
import { S3ConsoleFiles } from '../../adapters/s3-console-files';

/** Wiring for the console file function (docs/console.md): the only place it reads the environment. */
export function consoleFiles(): S3ConsoleFiles {
  const bucket = process.env.CONSOLE_BUCKET;
  if (!bucket) throw new Error('environment variable CONSOLE_BUCKET is not set');
  return new S3ConsoleFiles(bucket, new S3Client({ forcePathStyle: process.env.AWS_ENDPOINT_URL !== undefined }));
}
