/**
 * The metadata file of one volume copy (`copy.json` beside the data file).
 *
 * Written atomically (temp + fsync + rename + directory fsync). Parsed with a schema on every
 * read, so a damaged file is reported as {@link CopyMetadataCorruptError} instead of leaking
 * half-valid values into the runtime.
 */
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { CopyMetadataCorruptError } from '../errors';
import { writeFileAtomic } from '../util/atomic-write';
import { CopyRole } from './copy-role';

export const COPY_METADATA_SCHEMA_VERSION = 1;

const nodeNamesSchema = z.object({
  file: z.string(),
  format: z.string(),
  root: z.string(),
  mirrorFilter: z.string(),
  peer: z.string(),
  throttleGroup: z.string(),
  export: z.string(),
  mirrorJob: z.string(),
  resyncJob: z.string(),
  serverTls: z.string(),
  clientTls: z.string(),
});

/**
 * A primary's replication quiesced for a modification (quiesce-replication): no client export
 * until resize-copy ends it. Persisted, so a restarted agent keeps clients off and knows how to
 * replicate again (the mirror's endpoint; the key comes with resize-copy).
 */
export const quiesceRecordSchema = z.object({
  /** The volume's generation the quiesce was issued at. */
  generation: z.number().int().nonnegative(),
  /** The mirror's export the replication wrote to (no key: it comes with resize-copy). */
  mirror: z.object({ address: z.string(), port: z.number().int().min(1).max(65_535), exportName: z.string() }).optional(),
  /** True once the final sync ended: the mirror is identical to this copy, so `sync: none` may follow. */
  mirrorIdentical: z.boolean(),
  /**
   * Quiesced by a clean stop of the agent, not for a modification (docs/recovery.md, "Clean
   * restart"): `resume-copy` with the mirror ends it; any other command that serves the copy drops it.
   */
  forCleanStop: z.literal(true).optional(),
  at: z.string(),
});
export type QuiesceRecord = z.infer<typeof quiesceRecordSchema>;

export const copyMetadataSchema = z.object({
  schemaVersion: z.literal(COPY_METADATA_SCHEMA_VERSION),
  volumeId: z.string().min(1),
  copyId: z.string().min(1),
  role: z.enum([CopyRole.Primary, CopyRole.Mirror]),
  /** Increases whenever the control plane changes which copy is authoritative. */
  generation: z.number().int().nonnegative(),
  sizeBytes: z.number().int().positive(),
  /** Committed IOPS; 0 means unlimited. */
  iops: z.number().int().nonnegative(),
  /**
   * The TCP port the copy's NBD server listens on, chosen once by the agent and kept, so that
   * serving the copy again (a repeated command, a restart) gives the same endpoint.
   */
  nbdPort: z.number().int().min(1).max(65_535).optional(),
  nodeNames: nodeNamesSchema,
  quiesced: quiesceRecordSchema.optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type CopyMetadata = z.infer<typeof copyMetadataSchema>;

export async function readCopyMetadata(filePath: string): Promise<CopyMetadata> {
  let text: string;
  try {
    text = await fs.readFile(filePath, 'utf8');
  } catch (error) {
    throw new CopyMetadataCorruptError(filePath, `cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CopyMetadataCorruptError(filePath, 'it is not JSON', { cause: error });
  }
  const parsed = copyMetadataSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new CopyMetadataCorruptError(filePath, issues, { cause: parsed.error });
  }
  return parsed.data;
}

export async function writeCopyMetadata(filePath: string, metadata: CopyMetadata): Promise<void> {
  await writeFileAtomic(filePath, JSON.stringify(copyMetadataSchema.parse(metadata), null, 2) + '\n', { mode: 0o600 });
}
