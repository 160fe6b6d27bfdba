import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { checksumHeaderOf, chunkKey, manifestKey } from '../core/snapshots/chunk';
import { ManifestChunkSchema, validateManifest, type Manifest, type ManifestChunk } from '../core/snapshots/manifest';
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

  async presignManifestGet(lineageId: string, snapshotId: string, expiresInSeconds: number): Promise<ChunkUrl> {
    const url = await getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.bucket, Key: manifestKey(lineageId, snapshotId) }), { expiresIn: expiresInSeconds });
    return { digest: '', url, headers: {}, expiresAt: expiry(expiresInSeconds) };
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

  async putManifestPart(lineageId: string, snapshotId: string, chunks: readonly ManifestChunk[]): Promise<void> {
    // Keyed by first AND last index: a URL renewal hands over one entry of a batch again, and under the
    // batch's first index alone it would overwrite the whole batch's entries (a manifest missing chunks).
    const indexes = chunks.map((chunk) => chunk.index);
    const [first, last] = [Math.min(...indexes), Math.max(...indexes)];
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: `${partsPrefix(lineageId, snapshotId)}${String(first).padStart(12, '0')}-${String(last).padStart(12, '0')}.json`,
        Body: JSON.stringify(chunks),
        ContentType: 'application/json',
      }),
    );
  }

  async manifestParts(lineageId: string, snapshotId: string): Promise<ManifestChunk[]> {
    const entries: ManifestChunk[] = [];
    for (const key of await this.partKeys(lineageId, snapshotId)) {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      entries.push(...ManifestChunkSchema.array().parse(JSON.parse(await object.Body!.transformToString())));
    }
    return entries;
  }

  async deleteManifestParts(lineageId: string, snapshotId: string): Promise<void> {
    const keys = await this.partKeys(lineageId, snapshotId);
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      await this.s3.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.slice(start, start + DELETE_BATCH).map((Key) => ({ Key })), Quiet: true } }));
    }
  }

  private async partKeys(lineageId: string, snapshotId: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: partsPrefix(lineageId, snapshotId), ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((object) => object.Key!).filter(Boolean));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }
}

/** `manifest-parts/<lineage>/<snapshotId>/`: a pending snapshot's entries, one object per batch the host handed over. */
const partsPrefix = (lineageId: string, snapshotId: string): string => `manifest-parts/${lineageId}/${snapshotId}/`;

const expiry = (seconds: number): string => new Date(Date.now() + seconds * 1000).toISOString();
