import { z } from 'zod';
import { HOST_COMMAND_TYPES } from '../core/host-command';
import { ATTACHMENT_ID_PATTERN, COMMAND_ID_PATTERN, COPY_ID_PATTERN, HOST_ID_PATTERN, VOLUME_ID_PATTERN } from '../core/ids';
import { COPY_ROLES, VOLUME_TYPES } from '../core/volume';
import { VolumeStatus } from '../core/volume-status';
import { MODIFICATION_TRIGGERS, ModificationStatus } from '../core/modification';
import { MODIFICATION_ID_PATTERN } from '../core/modification-id';
import { SNAPSHOT_ID_PATTERN } from '../core/snapshots/snapshot-requests';

/**
 * What the API answers, as zod schemas: the OpenAPI document (contract/openapi.ts) publishes
 * them and schemathesis checks every answer against them. Customer views are strict (a field
 * the handlers add without a schema change, a key for instance, is a contract violation);
 * host views allow more fields, so the agent contract can grow without breaking old agents.
 */
/** The response schemas the OpenAPI document lists under components/schemas, by id. */
export const responseSchemas = z.registry<{ id: string; description?: string }>();

const Timestamp = z.iso.datetime({ offset: true });
const VolumeId = z.string().regex(VOLUME_ID_PATTERN);
const AttachmentId = z.string().regex(ATTACHMENT_ID_PATTERN);
const HostId = z.string().regex(HOST_ID_PATTERN);

export const ErrorResponseSchema = z
  .strictObject({
    code: z.string().min(1),
    message: z.string(),
    details: z.unknown(),
  })
  .register(responseSchemas, { id: 'Error', description: 'Every error, from a handler or from API Gateway itself' });

export const VolumeViewSchema = z
  .strictObject({
    volumeId: VolumeId,
    sizeGiB: z.number().int(),
    type: z.enum(VOLUME_TYPES),
    iops: z.number().int(),
    location: z.string(),
    status: z.enum(Object.values(VolumeStatus) as [VolumeStatus, ...VolumeStatus[]]),
    statusReason: z.string().optional(),
    copies: z.array(z.strictObject({ copyId: z.string().regex(COPY_ID_PATTERN), hostId: HostId, role: z.enum(COPY_ROLES), inSync: z.boolean() })),
    generation: z.number().int().min(1),
    attachments: z.array(z.strictObject({ attachmentId: AttachmentId, createdAt: Timestamp })),
    modificationId: z.string().regex(MODIFICATION_ID_PATTERN).optional(),
    snapshotId: z.string().regex(SNAPSHOT_ID_PATTERN).optional(),
    restoreProgressPercent: z.number().int().min(0).max(100).optional(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .register(responseSchemas, { id: 'Volume', description: 'snapshotId: the snapshot it was restored from; restoreProgressPercent: how far the slowest copy\'s fill from it is (100 once created)' });

export const VolumePageSchema = z
  .strictObject({ volumes: z.array(VolumeViewSchema), nextToken: z.string().optional() })
  .register(responseSchemas, { id: 'VolumePage', description: 'Newest first; follow nextToken (valid only for the tenant it was given to)' });

export const ConnectionSchema = z
  .strictObject({
    attachmentId: AttachmentId,
    volumeId: VolumeId,
    generation: z.number().int().min(1),
    hostId: HostId,
    nbd: z.strictObject({ address: z.string(), port: z.number().int().min(1).max(65535), exportName: z.string() }),
    tls: z.strictObject({ type: z.literal('psk'), identity: z.string(), keyHex: z.string().regex(/^[0-9a-f]+$/) }),
  })
  .register(responseSchemas, { id: 'Connection', description: "How to reach the volume's primary copy over NBD with TLS-PSK" });

export const DetachmentSchema = z
  .strictObject({ volumeId: VolumeId, attachmentId: AttachmentId, status: z.enum(Object.values(VolumeStatus) as [VolumeStatus, ...VolumeStatus[]]) })
  .register(responseSchemas, { id: 'Detachment' });

const TypeCapacitySchema = z.object({
  capacityGiB: z.number(),
  allocatedGiB: z.number(),
  iopsCapacity: z.number(),
  allocatedIops: z.number(),
});

export const HostViewSchema = z
  .object({
    hostId: HostId,
    location: z.string(),
    address: z.string(),
    agentVersion: z.string(),
    status: z.string(),
    health: z.string(),
    capacity: z.object({ hdd: TypeCapacitySchema.optional(), ssd: TypeCapacitySchema.optional() }),
    rack: z.string().optional(),
    disks: z
      .array(z.object({ deviceId: z.string(), type: z.enum(['hdd', 'ssd']), health: z.string(), capacityGiB: z.number().optional(), iopsCapacity: z.number().optional() }))
      .optional(),
    diskAllocations: z
      .record(z.string(), z.object({ allocatedGiB: z.number(), allocatedIops: z.number() }))
      .optional()
      .describe('What is promised on each disk, by deviceId (placement per disk; absent on hosts placed by their pool alone)'),
    lastHeartbeatAt: Timestamp,
    registeredAt: Timestamp,
  })
  .register(responseSchemas, { id: 'Host' });

export const HeartbeatReceiptSchema = z
  .object({ hostId: HostId, receivedAt: Timestamp, lostCopies: z.array(z.string()) })
  .register(responseSchemas, { id: 'HeartbeatReceipt' });

export const CommandProgressReceiptSchema = z
  .object({ commandId: z.string(), progress: z.enum(['recorded', 'unchanged', 'finished']), workflow: z.enum(['delivered', 'expired', 'none']) })
  .register(responseSchemas, { id: 'CommandProgressReceipt' });

export const ReplicaFaultAnswerSchema = z
  .object({ volumeId: z.string(), generation: z.number().int().min(0), outdatedCopyIds: z.array(z.string()) })
  .register(responseSchemas, { id: 'ReplicaFaultAnswer' });

export const CommandBatchSchema = z
  .object({
    commands: z.array(
      z.object({
        commandId: z.string().regex(COMMAND_ID_PATTERN),
        type: z.enum(HOST_COMMAND_TYPES),
        payload: z.record(z.string(), z.unknown()),
        createdAt: Timestamp,
      }),
    ),
  })
  .register(responseSchemas, { id: 'CommandBatch', description: 'Commands for the host (see docs/host-commands.md)' });

export const CommandReceiptSchema = z
  .object({
    commandId: z.string().regex(COMMAND_ID_PATTERN),
    status: z.enum(['succeeded', 'failed']),
    workflow: z.enum(['none', 'already-recorded', 'delivered', 'expired']),
  })
  .register(responseSchemas, { id: 'CommandReceipt' });

const VolumeParametersSchema = z.strictObject({
  sizeGiB: z.number().int(),
  iops: z.number().int(),
  type: z.enum(VOLUME_TYPES),
  location: z.string(),
});

const PlanSchema = z.strictObject({
  kind: z.enum(['in-place', 'migrate']),
  setIops: z.boolean(),
  grow: z.boolean(),
  moves: z.array(z.strictObject({ role: z.enum(['primary', 'mirror']), fromHostId: HostId, toHostId: HostId })),
  bytesToCopy: z.number().int().min(0),
});

export const ModificationViewSchema = z
  .strictObject({
    modificationId: z.string().regex(MODIFICATION_ID_PATTERN),
    volumeId: VolumeId,
    status: z.enum(Object.values(ModificationStatus) as [ModificationStatus, ...ModificationStatus[]]),
    original: VolumeParametersSchema,
    target: VolumeParametersSchema,
    plan: PlanSchema.optional(),
    trigger: z.enum(MODIFICATION_TRIGGERS),
    progressPercent: z.number().int().min(0).max(100),
    etaSeconds: z.number().int().min(0).optional(),
    statusReason: z.string().optional(),
    coalesced: z.array(
      z.strictObject({ at: Timestamp, requested: VolumeParametersSchema.partial(), outcome: z.enum(['merged', 'queued']) }),
    ),
    queuedBehind: z.string().regex(MODIFICATION_ID_PATTERN).optional(),
    startedAt: Timestamp,
    endedAt: Timestamp.optional(),
  })
  .register(responseSchemas, { id: 'Modification', description: 'One change of a volume (docs/modification.md)' });

export const ModificationPageSchema = z
  .strictObject({ modifications: z.array(ModificationViewSchema), nextToken: z.string().optional() })
  .register(responseSchemas, { id: 'ModificationPage', description: 'Newest first; follow nextToken (valid only for the tenant it was given to)' });

export const ModificationDryRunSchema = z
  .strictObject({ dryRun: z.literal(true), volumeId: VolumeId, original: VolumeParametersSchema, target: VolumeParametersSchema, plan: PlanSchema })
  .register(responseSchemas, { id: 'ModificationDryRun', description: 'What a modification would do; nothing was changed or reserved' });

export const VolumePolicyViewSchema = z
  .strictObject({
    volumeId: VolumeId,
    policy: z.strictObject({
      autoGrow: z.strictObject({ maxUtilizationPercent: z.number().int(), stepPercent: z.number().int(), maxSizeGiB: z.number().int() }).optional(),
      autoShrink: z.strictObject({ minUtilizationPercent: z.number().int(), periodHours: z.number().int(), minSizeGiB: z.number().int() }).optional(),
    }),
  })
  .register(responseSchemas, { id: 'VolumePolicy' });

export const UtilizationViewSchema = z
  .strictObject({
    volumeId: VolumeId,
    utilization: z.strictObject({ usedGiB: z.number(), percent: z.number().int().min(0).max(100), reportedAt: Timestamp }),
  })
  .register(responseSchemas, { id: 'Utilization' });
