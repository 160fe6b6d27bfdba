/**
 * The payload of every command the agent takes (docs/host-commands.md), as zod schemas: a
 * payload is parsed before anything is done, and a malformed one is refused with
 * `InvalidPayload` and the reasons.
 *
 * Unknown extra fields are ignored (a newer control plane may send more); missing fields,
 * wrong types, values out of range and unknown enum values are refused.
 */
import { z } from 'zod';
import { SnapshotIdSchema } from '../../core/snapshots/snapshot-requests';
import { MAX_IOPS } from '../copies/volume-copy';
import { parseSince } from '../diagnostics/window';

/** Ids become directory names and export names (see copy-store.ts); the report allows 64. */
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'ids are 1-64 characters [A-Za-z0-9_.-], starting with a letter or digit');
const generation = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const iops = z.number().int().min(0).max(MAX_IOPS);
const role = z.enum(['primary', 'mirror']);
/** 64 TiB, the copy store's limit. */
export const MAX_SIZE_GIB = 65_536;

export const pskKeySchema = z.object({
  identity: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'identities are 1-64 characters [A-Za-z0-9_.-]'),
  keyHex: z.string().regex(/^[0-9a-fA-F]{64}$/, 'keyHex is exactly 64 hexadecimal digits'),
});

/** Client keys a primary admits at once: one per attachment of its volume. */
export const MAX_CLIENT_KEYS = 256;
/**
 * The client keys of a primary, one per attachment (the control plane adds them when it
 * delivers the command). An empty list is allowed: a volume without attachments admits no
 * client (the copy's PSK file then holds only a key nobody was given).
 */
const clientKeys = z.array(pskKeySchema).max(MAX_CLIENT_KEYS);

const needsClientKeyAsPrimary = (payload: { role: 'primary' | 'mirror'; clientKey?: unknown; clientKeys?: unknown }, context: z.RefinementCtx): void => {
  if (payload.role === 'primary' && payload.clientKey === undefined && payload.clientKeys === undefined) {
    context.addIssue({ code: 'custom', path: ['clientKeys'], message: 'a primary needs clientKeys (or clientKey)' });
  }
};

export const createCopyPayloadSchema = z
  .object({
    volumeId: id,
    copyId: id,
    role,
    sizeGiB: z.number().int().min(1).max(MAX_SIZE_GIB),
    type: z.enum(['ssd', 'hdd']),
    iops,
    generation,
    clientKey: pskKeySchema.optional(),
    clientKeys: clientKeys.optional(),
    replicationKey: pskKeySchema,
    /** The disk the control plane placed the copy on (its reported deviceId); absent: the agent picks one of the type. */
    deviceId: z.string().min(1).max(128).optional(),
    /** A volume restored from a snapshot: the copy is filled from it before it serves (agent/snapshots/snapshot-fill.ts). */
    restoreFrom: z.object({ snapshotId: z.string().regex(/^snap-[0-9a-f]{17}$/, 'snapshot ids look like snap-<17 hex digits>') }).optional(),
  })
  .superRefine(needsClientKeyAsPrimary);
export type CreateCopyPayload = z.infer<typeof createCopyPayloadSchema>;

/** Where a mirror copy's export listens (the mirror's create-copy answer, and its host and copy); also the next copy of a chain. */
const mirrorEndpointSchema = z.object({
  hostId: z.string().min(1).max(128),
  copyId: id,
  address: z.union([z.ipv4(), z.ipv6(), z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, 'address is an IP address or a host name')]),
  port: z.number().int().min(1).max(65_535),
  exportName: id,
});

export const startReplicationPayloadSchema = z.object({
  volumeId: id,
  copyId: id,
  generation,
  mirror: mirrorEndpointSchema,
  replicationKey: pskKeySchema,
  sync: z.enum(['full', 'none']),
});
export type StartReplicationPayload = z.infer<typeof startReplicationPayloadSchema>;

/**
 * `planned: true` (a migration's cutover, docs/modification-chain.md): the old primary is
 * quiesced and this copy is identical to `mirror`, so it mirrors to it (`sync: none`, with
 * `replicationKey`) before its client export appears, without waiting for a lease.
 */
export const promoteCopyPayloadSchema = z
  .object({
    volumeId: id,
    copyId: id,
    generation,
    clientKey: pskKeySchema.optional(),
    clientKeys: clientKeys.optional(),
    planned: z.boolean().optional(),
    mirror: mirrorEndpointSchema.optional(),
    replicationKey: pskKeySchema.optional(),
  })
  .superRefine((payload, context) => {
    needsClientKeyAsPrimary({ ...payload, role: 'primary' }, context);
    if (payload.planned !== true) return;
    if (payload.mirror === undefined) context.addIssue({ code: 'custom', path: ['mirror'], message: 'a planned promotion needs the mirror it continues with' });
    if (payload.replicationKey === undefined) context.addIssue({ code: 'custom', path: ['replicationKey'], message: 'a planned promotion needs the replication key' });
  });
export type PromoteCopyPayload = z.infer<typeof promoteCopyPayloadSchema>;

/**
 * `mirror` (a primary after a clean stop, docs/recovery.md): the copy serves no client until its
 * write-blocking mirror to that export is READY again (`sync: none` when its clean stop proved the
 * mirror identical to it, else `full`).
 */
export const resumeCopyPayloadSchema = z
  .object({
    volumeId: id,
    copyId: id,
    role,
    generation,
    clientKey: pskKeySchema.optional(),
    clientKeys: clientKeys.optional(),
    replicationKey: pskKeySchema,
    mirror: mirrorEndpointSchema.optional(),
  })
  .superRefine(needsClientKeyAsPrimary);
export type ResumeCopyPayload = z.infer<typeof resumeCopyPayloadSchema>;

/** `generation` (optional for older control planes): the copy is kept if it moved on to a newer one. */
export const deleteCopyPayloadSchema = z.object({ volumeId: id, copyId: id, generation: generation.optional() });
export type DeleteCopyPayload = z.infer<typeof deleteCopyPayloadSchema>;

/** `generation` (optional for older control planes): refused for a copy at a newer one. */
export const setIopsPayloadSchema = z.object({ volumeId: id, copyId: id, iops, generation: generation.optional() });
export type SetIopsPayload = z.infer<typeof setIopsPayloadSchema>;

/** `set-client-keys`: the primary admits exactly these keys from now on (an attach adds one, a detach removes one). */
export const setClientKeysPayloadSchema = z.object({ volumeId: id, copyId: id, generation, clientKeys });
export type SetClientKeysPayload = z.infer<typeof setClientKeysPayloadSchema>;

/** `quiesce-replication`: the primary's clients are cut off and its mirror made identical, for a modification. */
export const quiesceReplicationPayloadSchema = z.object({ volumeId: id, copyId: id, generation });
export type QuiesceReplicationPayload = z.infer<typeof quiesceReplicationPayloadSchema>;

/**
 * `resize-copy`: the copy grows to `sizeGiB` (mirror first, then the quiesced primary). The
 * primary gets `replicationKey` at delivery; `mirror` (as in start-replication) names the
 * mirror's export when the primary should not use the one it replicated to before the quiesce.
 */
export const resizeCopyPayloadSchema = z.object({
  volumeId: id,
  copyId: id,
  generation,
  sizeGiB: z.number().int().min(1).max(MAX_SIZE_GIB),
  replicationKey: pskKeySchema.optional(),
  mirror: mirrorEndpointSchema.optional(),
});
export type ResizeCopyPayload = z.infer<typeof resizeCopyPayloadSchema>;
/**
 * `collect-report`: collect a diagnostics report of this host and upload it
 * (docs/diagnostics-collector.md). Without `reportId` the agent asks `POST /reports` for its
 * upload URL itself; a control plane that created the report passes its id together with the
 * presigned `uploadUrl` and `uploadHeaders` it got. `since` is the window (`24h`, `30m`, `7d` or
 * an ISO-8601 time; default 24h).
 */
export const collectReportPayloadSchema = z
  .object({
    reportId: id.optional(),
    since: z.string().min(1).max(64).optional(),
    uploadUrl: z.url({ protocol: /^https?$/ }).max(8_192).optional(),
    uploadHeaders: z.record(z.string().max(256), z.string().max(4_096)).optional(),
  })
  .superRefine((payload, context) => {
    if (payload.since !== undefined) {
      try {
        parseSince(payload.since, new Date());
      } catch (error) {
        context.addIssue({ code: 'custom', path: ['since'], message: (error as Error).message });
      }
    }
    const hasTarget = payload.uploadUrl !== undefined && payload.uploadHeaders !== undefined;
    if (payload.reportId !== undefined && !hasTarget) context.addIssue({ code: 'custom', path: ['uploadUrl'], message: 'a reportId comes with the uploadUrl and uploadHeaders of that report' });
    if (payload.reportId === undefined && (payload.uploadUrl !== undefined || payload.uploadHeaders !== undefined)) {
      context.addIssue({ code: 'custom', path: ['reportId'], message: 'an uploadUrl comes with the reportId it belongs to' });
    }
  });
export type CollectReportPayload = z.infer<typeof collectReportPayloadSchema>;

/** `extend-chain`, sent to a mirror: it mirrors onward to `target` (a filling copy), `sync: full`, answering when in sync. */
export const extendChainPayloadSchema = z.object({ volumeId: id, copyId: id, generation, target: mirrorEndpointSchema, replicationKey: pskKeySchema });
export type ExtendChainPayload = z.infer<typeof extendChainPayloadSchema>;

/**
 * `end-chain`, sent to the mirror that replicates onward: its job to `target` ends (a final
 * sync when in sync). With `nextGeneration` (the cutover, = generation + 1) the chain must be in
 * sync; the mirror's export moves to `<volume>.g<nextGeneration>` and its generation with it.
 */
export const endChainPayloadSchema = z
  .object({ volumeId: id, copyId: id, generation, target: z.object({ copyId: id }), nextGeneration: generation.optional() })
  .superRefine((payload, context) => {
    if (payload.nextGeneration !== undefined && payload.nextGeneration !== payload.generation + 1) {
      context.addIssue({ code: 'custom', path: ['nextGeneration'], message: `nextGeneration must be generation + 1 (${payload.generation + 1})` });
    }
  });
export type EndChainPayload = z.infer<typeof endChainPayloadSchema>;

/**
 * `snapshot-copy`, sent to the primary: take the snapshot's point in time and upload it through
 * presigned URLs (docs/snapshots.md). `parentSnapshotId`: when present, the host may read only
 * the chunks changed since that snapshot's point (agent/snapshots/dirty-bitmaps.ts).
 */
export const snapshotCopyPayloadSchema = z.object({ volumeId: id, copyId: id, generation, snapshotId: SnapshotIdSchema, parentSnapshotId: SnapshotIdSchema.optional() });
export type SnapshotCopyPayload = z.infer<typeof snapshotCopyPayloadSchema>;

/**
 * `open-recovery-access`, sent to the host of a copy held in recovery: a read-only export
 * `<volumeId>.recovery` of it for the owner until `expiresAt`, opened only by `recoveryKey`
 * (added at delivery, absent when the access no longer holds; docs/recovery.md).
 */
export const openRecoveryAccessPayloadSchema = z.object({
  volumeId: id,
  copyId: id,
  generation,
  expiresAt: z.iso.datetime(),
  recoveryKey: pskKeySchema.optional(),
});
export type OpenRecoveryAccessPayload = z.infer<typeof openRecoveryAccessPayloadSchema>;

export const COMMAND_PAYLOAD_SCHEMAS = {
  'create-copy': createCopyPayloadSchema,
  'start-replication': startReplicationPayloadSchema,
  'promote-copy': promoteCopyPayloadSchema,
  'resume-copy': resumeCopyPayloadSchema,
  'delete-copy': deleteCopyPayloadSchema,
  'set-iops': setIopsPayloadSchema,
  'set-client-keys': setClientKeysPayloadSchema,
  'quiesce-replication': quiesceReplicationPayloadSchema,
  'resize-copy': resizeCopyPayloadSchema,
  'collect-report': collectReportPayloadSchema,
  'extend-chain': extendChainPayloadSchema,
  'end-chain': endChainPayloadSchema,
  'snapshot-copy': snapshotCopyPayloadSchema,
  'open-recovery-access': openRecoveryAccessPayloadSchema,
} as const;
export type CommandType = keyof typeof COMMAND_PAYLOAD_SCHEMAS;
export const COMMAND_TYPES = Object.keys(COMMAND_PAYLOAD_SCHEMAS) as CommandType[];

/** One line: `field.path: message; other: message`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(payload)'}: ${issue.message}`).join('; ');
}

/** Copy results: where the copy's export listens. */
export interface CopyEndpointResult {
  copyId: string;
  nbd: { address: string; port: number; exportName: string };
}

/** `open-recovery-access` result: where the read-only admin export listens, until when. */
export interface RecoveryExportResult extends CopyEndpointResult {
  readOnly: true;
  expiresAt: string;
}
