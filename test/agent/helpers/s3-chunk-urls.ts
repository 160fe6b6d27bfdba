/**
 * The control plane's side of chunk URLs for agent tests: a real S3 bucket on the local cloud
 * (MiniStack), presigned by the real adapter, optionally through the fault proxy (s3-fault-proxy.ts).
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { S3SnapshotObjects } from '../../../adapters/s3-snapshot-objects';
import type { PresignedChunkUrl, PutBatchAnswer, RestoreUrlSource } from '../../../agent/snapshots/chunk-urls';
import type { ManifestChunk } from '../../../core/snapshots/manifest';
import { runCommand } from '../../../agent/util/run-command';
import type { FaultProxy } from './s3-fault-proxy';

/** Starts the local cloud if needed (idempotent) and points the SDK at it. */
export async function localCloudS3(): Promise<S3Client> {
  await runCommand('bash', ['local/cloud.sh', 'start'], { timeoutMs: 120_000 });
  const out = await runCommand('bash', ['local/cloud.sh', 'env'], { timeoutMs: 60_000 });
  for (const line of out.stdout.split('\n')) {
    const match = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) process.env[match[1]] = match[2];
  }
  return new S3Client({ forcePathStyle: true, endpoint: process.env.AWS_ENDPOINT_URL });
}

export async function newBucket(s3: S3Client): Promise<string> {
  const bucket = `snapshots-test-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

export interface TestUrlSourceOptions {
  readonly proxy?: FaultProxy;
  /** The batch of this call (1-based) is signed for 1 s and handed out 2 s later, expired. @default none */
  readonly expireCall?: number;
  /** Throw on the call with this number (1-based): the agent "crashes" asking for it. */
  readonly crashOnCall?: number;
  /** Digests the lineage holds (the parent's manifest): no URL for them, as the control plane answers. */
  readonly held?: ReadonlySet<string>;
  /** The snapshot whose manifest `manifestUrl` signs (a restore into a new copy). */
  readonly snapshotId?: string;
}

export class TestUrlSource implements RestoreUrlSource {
  calls = 0;

  constructor(
    private readonly objects: S3SnapshotObjects,
    private readonly lineageId: string,
    readonly options: TestUrlSourceOptions = {},
  ) {}

  async putUrls(chunks: readonly ManifestChunk[]): Promise<PutBatchAnswer> {
    const digests = [...new Set(chunks.map((chunk) => chunk.digest))];
    const held = digests.filter((digest) => this.options.held?.has(digest));
    const urls = await this.sign('PUT', digests.filter((digest) => !this.options.held?.has(digest)));
    return { urls, held };
  }

  getUrls(digests: readonly string[]): Promise<readonly PresignedChunkUrl[]> {
    return this.sign('GET', digests);
  }

  async manifestUrl(): Promise<PresignedChunkUrl> {
    if (!this.options.snapshotId) throw new Error('this URL source was made without a snapshotId');
    const url = await this.objects.presignManifestGet(this.lineageId, this.options.snapshotId, 300);
    return { digest: url.digest, url: url.url, headers: url.headers };
  }

  private async sign(method: 'PUT' | 'GET', digests: readonly string[]): Promise<PresignedChunkUrl[]> {
    this.calls++;
    if (this.options.crashOnCall === this.calls) throw new Error('agent crashed asking for URLs');
    const expireThis = this.options.expireCall === this.calls;
    const expires = expireThis ? 1 : 300;
    const signed = await Promise.all(
      digests.map((digest) => (method === 'PUT' ? this.objects.presignPut(this.lineageId, digest, expires) : this.objects.presignGet(this.lineageId, digest, expires))),
    );
    if (expireThis) await new Promise((resolve) => setTimeout(resolve, 2_100));
    return signed.map((url) => ({ digest: url.digest, url: this.options.proxy ? this.options.proxy.rewrite(url.url) : url.url, headers: url.headers }));
  }
}
