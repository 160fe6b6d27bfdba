import { z } from 'zod';
import { COMMAND_ID_PATTERN, HOST_ID_PATTERN } from './ids';
import { boundedJsonProblem } from './bounded-json';
import { VOLUME_TYPES } from './volume';

export const HostIdSchema = z.string().regex(HOST_ID_PATTERN, 'host ids are 3-63 lower-case letters, digits or dashes');
export const CommandIdSchema = z.string().regex(COMMAND_ID_PATTERN, 'command ids look like cmd-<10 chars>-<8 hex>');

/**
 * What one disk may claim (docs/host-commands.md, "What a host may claim"): at most 16 TiB (the largest EBS
 * volume) and, per type, at most the IOPS of the fastest device of that type. A host reports at
 * most MAX_DISKS_PER_HOST disks, each device once.
 */
export const DISK_LIMITS = {
  maxCapacityGiB: 16_384,
  maxIops: { ssd: 1_000_000, hdd: 10_000 },
} as const;
export const MAX_DISKS_PER_HOST = 16;

const DiskSchema = z
  .strictObject({
    deviceId: z.string().regex(/^[\x21-\x7e][\x20-\x7e]{0,127}$/, 'device ids are 1-128 printable ASCII characters, not starting with a space'),
    type: z.enum(VOLUME_TYPES),
    capacityGiB: z.number().int().min(0).max(DISK_LIMITS.maxCapacityGiB),
    iopsCapacity: z.number().int().min(1),
    health: z.enum(['ok', 'degraded', 'failed']).default('ok'),
  })
  .refine((disk) => disk.iopsCapacity <= DISK_LIMITS.maxIops[disk.type], {
    message: `iopsCapacity may be at most ${DISK_LIMITS.maxIops.ssd} for an ssd disk and ${DISK_LIMITS.maxIops.hdd} for an hdd disk`,
    path: ['iopsCapacity'],
  });
export type Disk = z.infer<typeof DiskSchema>;

const DisksSchema = z
  .array(DiskSchema)
  .min(1)
  .max(MAX_DISKS_PER_HOST)
  .refine((disks) => new Set(disks.map((disk) => disk.deviceId)).size === disks.length, { message: 'each disk (deviceId) may be reported once' });

/** Ids as the agent names copy folders and exports: never empty, a safe alphabet. */
const ReportedIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'ids are 1-64 letters, digits, or _ . -');

/** What an agent says about one copy it holds (see docs/host-commands.md). */
export const COPY_STATES = ['created', 'serving', 'replica-stale', 'mirroring', 'held', 'daemon-died'] as const;

const CopyReportSchema = z.strictObject({
  volumeId: ReportedIdSchema,
  copyId: ReportedIdSchema,
  role: z.enum(['primary', 'mirror']),
  generation: z.number().int().min(0).max(2 ** 31 - 1),
  state: z.enum(COPY_STATES),
  detail: z.string().max(1024).optional(),
  /**
   * Set at registration on a copy held since a clean stop of its host's agent (the clean-stop
   * marker was found): its daemon quit cleanly, and a primary first cut its clients off and gave
   * its mirror a final sync (docs/recovery.md, "Clean restart"). Such a copy may be resumed.
   */
  stoppedCleanly: z.literal(true).optional(),
});
export type CopyReport = z.infer<typeof CopyReportSchema>;

/** A host's address on the storage network: IPv4, IPv6 or a DNS name. */
export const HostAddressSchema = z.union([z.ipv4(), z.ipv6(), z.string().regex(/^[a-z0-9.-]{1,253}$/)]);

export const RegisterHostRequestSchema = z.strictObject({
  hostId: HostIdSchema,
  location: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  rack: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'rack must be 1-64 lower-case letters, digits or dashes').optional(),
  address: HostAddressSchema,
  agentVersion: z.string().regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, 'agentVersion must be a semantic version'),
  disks: DisksSchema,
  copies: z.array(CopyReportSchema).max(4096).default([]),
});
export type RegisterHostRequest = z.infer<typeof RegisterHostRequestSchema>;

export const HeartbeatRequestSchema = z.strictObject({
  health: z.enum(['ok', 'degraded', 'failing']),
  disks: DisksSchema.optional(),
  copies: z.array(CopyReportSchema).max(4096).optional(),
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequestSchema>;

/** Whole seconds 0–20 written plainly: `Number()` would also take "1e1", "0x14" or " 5". */
const WAIT_SECONDS = /^(?:1?[0-9]|20)$/;

export const PollCommandsQuerySchema = z.strictObject({
  wait: z
    .string()
    .regex(WAIT_SECONDS, 'wait is a whole number of seconds from 0 to 20')
    .default('0')
    .transform(Number),
});

export const CommandResultRequestSchema = z
  .strictObject({
    status: z.enum(['succeeded', 'failed']),
    result: z
      .record(z.string(), z.unknown())
      .superRefine((result, context) => {
        const problem = boundedJsonProblem(result, 1);
        if (problem) context.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
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
