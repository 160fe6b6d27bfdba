/**
 * The agent's ChunkUrlSource over the host route `POST /hosts/{id}/snapshot-chunks`
 * (docs/snapshots.md, "Transfer rules"), signed with the host's own identity; the agent holds no
 * S3 credentials. A failed call is retried with backoff (CHUNK_URL_BACKOFF) before it fails the snapshot.
 */
import { z } from 'zod';
import type { HostApi } from '../../client/blockplane-api';
import type { ManifestChunk } from '../../core/snapshots/manifest';
import { ControlPlaneRequestError } from '../errors';
import { BackoffPolicy, retryWithBackoff } from '../util/backoff';
import type { PresignedChunkUrl, PutBatchAnswer, RestoreUrlSource } from './chunk-urls';

export const CHUNK_URL_BACKOFF: BackoffPolicy = { initialDelayMs: 200, maxDelayMs: 5_000, maxAttempts: 6 };

const urlSchema = z.object({ digest: z.string(), url: z.string(), headers: z.record(z.string(), z.string()) });
const answerSchema = z.object({ urls: z.array(urlSchema), held: z.array(z.string()), manifest: urlSchema.optional() });

/** `restoringVolumeId`: the new volume this host fills from the snapshot (the route lets only its hosts GET). */
export class ControlPlaneChunkUrls implements RestoreUrlSource {
  constructor(
    private readonly api: HostApi,
    private readonly hostId: string,
    private readonly snapshotId: string,
    private readonly restoringVolumeId?: string,
  ) {}

  async manifestUrl(): Promise<PresignedChunkUrl> {
    const answer = await this.call({ snapshotId: this.snapshotId, method: 'GET', ...this.restoring() });
    if (!answer.manifest) throw new ControlPlaneRequestError('POST /hosts/{id}/snapshot-chunks', 200, 'the answer holds no manifest URL');
    return answer.manifest;
  }

  private restoring(): { volumeId?: string } {
    return this.restoringVolumeId ? { volumeId: this.restoringVolumeId } : {};
  }

  putUrls(chunks: readonly ManifestChunk[]): Promise<PutBatchAnswer> {
    return this.call({ snapshotId: this.snapshotId, method: 'PUT', chunks: [...chunks] });
  }

  async getUrls(digests: readonly string[]): Promise<readonly PresignedChunkUrl[]> {
    return (await this.call({ snapshotId: this.snapshotId, method: 'GET', ...this.restoring(), digests: [...digests] })).urls;
  }

  private call(body: Record<string, unknown>): Promise<PutBatchAnswer & { manifest?: PresignedChunkUrl }> {
    const operation = 'POST /hosts/{id}/snapshot-chunks';
    return retryWithBackoff(
      CHUNK_URL_BACKOFF,
      async () => {
        const response = await this.api.requestSnapshotChunkUrls(this.hostId, body);
        if (response.status < 200 || response.status > 299) throw new ControlPlaneRequestError(operation, response.status, response.text.slice(0, 300));
        const parsed = answerSchema.safeParse(response.body);
        if (!parsed.success) throw new ControlPlaneRequestError(operation, 200, `unexpected answer: ${response.text.slice(0, 200)}`);
        return parsed.data;
      },
      // A refusal (4xx other than throttling) will not change on retry.
      { isRetryable: (error) => !(error instanceof ControlPlaneRequestError) || error.status === undefined || error.status >= 500 || error.status === 429 },
    );
  }
}
