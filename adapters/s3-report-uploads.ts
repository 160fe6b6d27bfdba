import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ReportUploads } from '../core/diagnostics/ports';

/**
 * The reports bucket. Upload URLs are SigV4-presigned PUTs for one key with `content-type` and
 * `content-length` among the signed headers: S3 refuses the PUT (403 SignatureDoesNotMatch) if
 * either differs from what the client declared, and once `X-Amz-Expires` has passed (403).
 */
export class S3ReportUploads implements ReportUploads {
  constructor(
    private readonly bucket: string,
    private readonly s3: S3Client = new S3Client({}),
  ) {}

  async presignPut(key: string, options: { contentType: string; contentLength: number; expiresInSeconds: number }) {
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: options.contentType, ContentLength: options.contentLength });
    const url = await getSignedUrl(this.s3, command, {
      expiresIn: options.expiresInSeconds,
      signableHeaders: new Set(['content-type', 'content-length']),
      unhoistableHeaders: new Set(['content-type', 'content-length']),
    });
    return { url, headers: { 'content-type': options.contentType, 'content-length': String(options.contentLength) } };
  }

  async sizeOf(key: string): Promise<number | undefined> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return head.ContentLength;
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NotFound' || name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async read(key: string): Promise<Buffer> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  }
}
