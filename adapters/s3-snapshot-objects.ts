import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { checksumHeaderOf, chunkKey, manifestKey } from '../core/snapshots/chunk';
import { validateManifest, type Manifest } from '../core/snapshots/manifest';
import type { ChunkUrl, SnapshotObjects } from '../core/snapshots/ports';

/** S3 answers a missing key with one of these names, depending on the call. */
const isMissing = (error: unknown): boolean => ['NotFound', 'NoSuchKey'].includes((error as { name?: string }).name ?? '');

/** Most keys one DeleteObjects call takes. */
const DELETE_BATCH = 1000;

/**
 * The snapshots bucket: chunk objects and manifests (docs/snapshots.md, "Format"). Upload URLs are
 * SigV4-presigned PUTs of one key with `x-amz-checksum-sha256` (and `x-amz-sdk-checksum-algorithm`)
 * signed: the uploader must send exactly that header, and S3 refuses a body whose sha256 differs
 * (400 BadDigest). Downloads are presigned GETs; the agent verifies every digest itself.
 */
export class S3SnapshotObjects implements SnapshotObjects {
  constructor(
    private readonly bucket: string,
    private readonly s3: S3Client = new S3Client({}),
  ) {}

  async presignPut(lineageId: string, digest: string, expiresInSeconds: number): Promise<ChunkUrl> {
    const checksum = checksumHeaderOf(digest);
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: chunkKey(lineageId, digest), ChecksumSHA256: checksum });
    const url = await getSignedUrl(this.s3, command, {
      expiresIn: expiresInSeconds,
      signableHeaders: new Set(['x-amz-checksum-sha256', 'x-amz-sdk-checksum-algorithm']),
      unhoistableHeaders: new Set(['x-amz-checksum-sha256', 'x-amz-sdk-checksum-algorithm']),
    });
    return { digest, url, headers: { 'x-amz-checksum-sha256': checksum, 'x-amz-sdk-checksum-algorithm': 'SHA256' }, expiresAt: expiry(expiresInSeconds) };
  }

  async presignGet(lineageId: string, digest: string, expiresInSeconds: number): Promise<ChunkUrl> {
    const url = await getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.bucket, Key: chunkKey(lineageId, digest) }), { expiresIn: expiresInSeconds });
    return { digest, url, headers: {}, expiresAt: expiry(expiresInSeconds) };
  }

  async existing(lineageId: string, digests: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const digest of digests) {
      try {
        await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: chunkKey(lineageId, digest) }));
        found.add(digest);
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    }
    return found;
  }

  async putManifest(manifest: Manifest): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: manifestKey(manifest.lineageId, manifest.snapshotId),
        Body: JSON.stringify(manifest),
        ContentType: 'application/json',
      }),
    );
  }

  async getManifest(lineageId: string, snapshotId: string): Promise<Manifest | undefined> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: manifestKey(lineageId, snapshotId) }));
      return validateManifest(JSON.parse(await object.Body!.transformToString()));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async deleteManifest(lineageId: string, snapshotId: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: manifestKey(lineageId, snapshotId) }));
  }

  async deleteChunks(lineageId: string, digests: readonly string[]): Promise<void> {
    for (let start = 0; start < digests.length; start += DELETE_BATCH) {
      const keys = digests.slice(start, start + DELETE_BATCH).map((digest) => ({ Key: chunkKey(lineageId, digest) }));
      await this.s3.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }));
    }
  }
}

const expiry = (seconds: number): string => new Date(Date.now() + seconds * 1000).toISOString();
