import { z } from 'zod';
import { COMMAND_ID_PATTERN, HOST_ID_PATTERN } from './ids';
import { VOLUME_TYPES } from './volume';

export const HostIdSchema = z.string().regex(HOST_ID_PATTERN, 'host ids are 3-63 lower-case letters, digits or dashes');
export const CommandIdSchema = z.string().regex(COMMAND_ID_PATTERN, 'command ids look like cmd-<10 chars>-<8 hex>');

const DiskSchema = z.strictObject({
  deviceId: z.string().min(1).max(128),
  type: z.enum(VOLUME_TYPES),
  capacityGiB: z.number().int().min(1).max(1_048_576),
  iopsCapacity: z.number().int().min(1).max(10_000_000),
  health: z.enum(['ok', 'degraded', 'failed']).default('ok'),
});
export type Disk = z.infer<typeof DiskSchema>;

/** What an agent says about one copy it holds (see docs/host-commands.md). */
export const COPY_STATES = ['created', 'serving', 'replica-stale', 'mirroring', 'held', 'daemon-died'] as const;

const CopyReportSchema = z.strictObject({
  volumeId: z.string().max(64),
  copyId: z.string().max(64),
  role: z.enum(['primary', 'mirror']),
  generation: z.number().int().min(0),
  state: z.enum(COPY_STATES),
  detail: z.string().max(1024).optional(),
});
export type CopyReport = z.infer<typeof CopyReportSchema>;

export const RegisterHostRequestSchema = z.strictObject({
  hostId: HostIdSchema,
  location: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  address: z.union([z.ipv4(), z.ipv6(), z.string().regex(/^[a-z0-9.-]{1,253}$/)]),
  agentVersion: z.string().regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, 'agentVersion must be a semantic version'),
  disks: z.array(DiskSchema).min(1).max(64),
  copies: z.array(CopyReportSchema).max(4096).default([]),
});
export type RegisterHostRequest = z.infer<typeof RegisterHostRequestSchema>;



export const HeartbeatRequestSchema = z.strictObject({
  health: z.enum(['ok', 'degraded', 'failing']),
  disks: z.array(DiskSchema).min(1).max(64).optional(),
  copies: z.array(CopyReportSchema).max(4096).optional(),
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequestSchema>;

export const PollCommandsQuerySchema = z.strictObject({
  wait: z.coerce.number().int().min(0).max(20).default(0),
});

export const CommandResultRequestSchema = z
  .strictObject({
    status: z.enum(['succeeded', 'failed']),
    result: z.record(z.string(), z.unknown()).optional(),
    error: z.strictObject({ code: z.string().min(1).max(128), message: z.string().max(4096) }).optional(),
  })
  .refine((r) => (r.status === 'failed') === (r.error !== undefined), {
    message: "a failed result needs 'error'; a succeeded result must not have one",
    path: ['error'],
  });
export type CommandResultRequest = z.infer<typeof CommandResultRequestSchema>;

/**
 * A primary's report that its mirror stopped taking writes (docs/replication-safety.md). The
 * primary holds client writes until the control plane answers: it continues alone only once
 * the mirror is durably out of date at a new generation.
 */
export const ReplicaFaultRequestSchema = z.strictObject({
  volumeId: z.string().min(1).max(64),
  copyId: z.string().min(1).max(64),
  generation: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  reason: z.string().min(1).max(1024),
});
export type ReplicaFaultRequest = z.infer<typeof ReplicaFaultRequestSchema>;
