/**
 * Where the agent gets presigned URLs: the control plane, in batches (the agent holds no AWS
 * credentials). The command loop implements this over the host route; tests over the S3 adapter.
 */
export interface PresignedChunkUrl {
  readonly digest: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface ChunkUrlSource {
  /** One URL per digest (at most MAX_URLS_PER_BATCH per call). */
  urls(method: 'PUT' | 'GET', digests: readonly string[]): Promise<readonly PresignedChunkUrl[]>;
}
