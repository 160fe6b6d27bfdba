import { z } from 'zod';
import { HOST_COMMAND_TYPES } from '../core/host-command';
import { ATTACHMENT_ID_PATTERN, COMMAND_ID_PATTERN, COPY_ID_PATTERN, HOST_ID_PATTERN, VOLUME_ID_PATTERN } from '../core/ids';
import { COPY_ROLES, VOLUME_TYPES } from '../core/volume';
import { VolumeStatus } from '../core/volume-status';

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
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .register(responseSchemas, { id: 'Volume' });

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
    lastHeartbeatAt: Timestamp,
    registeredAt: Timestamp,
  })
  .register(responseSchemas, { id: 'Host' });

export const HeartbeatReceiptSchema = z
  .object({ hostId: HostId, receivedAt: Timestamp, lostCopies: z.array(z.string()), silentHosts: z.array(z.string()) })
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
