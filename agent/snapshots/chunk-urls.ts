/**
 * Where the agent gets presigned URLs: the control plane, in batches (the agent holds no AWS
 * credentials). While uploading, the agent hands over the manifest entries of the chunks it read
 * (the control plane keeps them for the manifest it writes) and gets a PUT URL for each digest the
 * lineage does not hold yet; while restoring, it gets a GET URL per digest.
 * The command loop implements this over the host route; tests over the S3 adapter.
 */
import type { ManifestChunk } from '../../core/snapshots/manifest';

export interface PresignedChunkUrl {
  readonly digest: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface PutBatchAnswer {
  readonly urls: readonly PresignedChunkUrl[];
  /** Digests the lineage already stores: nothing to send. */
  readonly held: readonly string[];
}

export interface ChunkUrlSource {
  /** At most MAX_URLS_PER_BATCH entries per call, in index order. */
  putUrls(chunks: readonly ManifestChunk[]): Promise<PutBatchAnswer>;
  /** At most MAX_URLS_PER_BATCH digests per call. */
  getUrls(digests: readonly string[]): Promise<readonly PresignedChunkUrl[]>;
}

/** A restore also needs the manifest (validated by the agent: it is the list of digests every chunk is checked against). */
export interface RestoreUrlSource extends ChunkUrlSource {
  manifestUrl(): Promise<PresignedChunkUrl>;
}
