import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { NotFoundError } from '../core/errors';

/** The console build in its bucket (read only): the text of one file. */
export class S3ConsoleFiles {
  constructor(
    private readonly bucket: string,
    private readonly s3: S3Client = new S3Client({}),
  ) {}

  async read(key: string): Promise<string> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await object.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') throw new NotFoundError(`no console file '${key}'`);
      throw error;
    }
  }
}
