import type { z } from 'zod';
import {
  CommandIdSchema,
  CommandResultRequestSchema,
  HeartbeatRequestSchema,
  HostIdSchema,
  PollCommandsQuerySchema,
  RegisterHostRequestSchema,
  ReplicaFaultRequestSchema,
} from '../core/host-requests';
import { CommandProgressRequestSchema } from '../core/command-progress';
import { UtilizationReportSchema, VolumePolicySchema } from '../core/volume-policy';
import { ListModificationsQuerySchema, ModificationIdSchema, ModifyVolumeRequestSchema } from '../core/modification-requests';
import { AttachmentIdSchema, CreateVolumeRequestSchema, ListVolumesQuerySchema, VolumeIdSchema } from '../core/volume-requests';
import {
  CommandBatchSchema,
  CommandReceiptSchema,
  ConnectionSchema,
  DetachmentSchema,
  HeartbeatReceiptSchema,
  CommandProgressReceiptSchema,
  HostViewSchema,
  ModificationDryRunSchema,
  ModificationPageSchema,
  ModificationViewSchema,
  UtilizationViewSchema,
  VolumePolicyViewSchema,
  ReplicaFaultAnswerSchema,
  VolumePageSchema,
  VolumeViewSchema,
} from './responses';
import { REPORT_ROUTES } from './report-routes';
import { RECOVERY_ROUTES } from './recovery-routes';
import { SNAPSHOT_ROUTES } from './snapshot-routes';
import { AUDIT_ROUTES } from './audit-routes';
import { HEALTH_ROUTES } from './health-routes';
import { CONSOLE_ROUTES } from './console-routes';

/**
 * Who may call a route: customers (tenants), storage hosts (README, "Authentication and tenancy"),
 * either (each reads only what it owns: reports), or operators (docs/diagnostics.md).
 */
export type Caller = 'customer' | 'host' | 'customer-or-host' | 'operator' | 'host-or-operator';

/** One route of the HTTP API as its handler implements it: what it takes and every answer it gives. */
export interface ApiRoute {
  readonly operationId: string;
  readonly method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI path, with `{name}` per path parameter. */
  readonly path: string;
  readonly summary: string;
  readonly caller: Caller;
  /** Served without a signature (the help page); every other route needs SigV4. */
  readonly unsigned?: true;
  readonly pathParameters?: Readonly<Record<string, z.ZodType>>;
  /** A strict object: the route refuses any other parameter. Absent: the route refuses every query string. */
  readonly query?: z.ZodObject;
  /** Absent: the route refuses any body. */
  readonly body?: z.ZodType;
  readonly success: { readonly status: number; readonly description: string; readonly schema: z.ZodType; readonly contentType?: string };
  /** Other successful answers (for instance a dry run's 200). */
  readonly alternatives?: readonly { readonly status: number; readonly description: string; readonly schema: z.ZodType; readonly contentType?: string }[];
  /** Statuses the handler answers besides success and the errors every route can give (docs/api.md). */
  readonly errors: readonly number[];
}

const volumeId = { volumeId: VolumeIdSchema };
const attachment = { volumeId: VolumeIdSchema, attachmentId: AttachmentIdSchema };
const hostId = { hostId: HostIdSchema };

export const API_ROUTES: readonly ApiRoute[] = [
  {
    operationId: 'CreateVolume', method: 'post', path: '/volumes', caller: 'customer',
    summary: 'Creates a volume; the create-volume workflow places and builds its two copies (with snapshotId: each filled from that completed snapshot first)',
    body: CreateVolumeRequestSchema,
    success: { status: 202, description: 'The volume, in creating (or the first volume created with this clientToken)', schema: VolumeViewSchema },
    errors: [404, 409, 413],
  },
  {
    operationId: 'ListVolumes', method: 'get', path: '/volumes', caller: 'customer',
    summary: "Lists the caller's volumes, newest first",
    query: ListVolumesQuerySchema,
    success: { status: 200, description: 'One page of volumes', schema: VolumePageSchema },
    errors: [],
  },
  {
    operationId: 'GetVolume', method: 'get', path: '/volumes/{volumeId}', caller: 'customer',
    summary: "Describes one of the caller's volumes",
    pathParameters: volumeId,
    success: { status: 200, description: 'The volume', schema: VolumeViewSchema },
    errors: [404],
  },
  {
    operationId: 'DeleteVolume', method: 'delete', path: '/volumes/{volumeId}', caller: 'customer',
    summary: 'Marks a volume deleting and starts its delete-volume workflow; repeating it is harmless',
    pathParameters: volumeId,
    success: { status: 202, description: 'The volume, in deleting', schema: VolumeViewSchema },
    errors: [404, 409],
  },
  {
    operationId: 'CreateModification', method: 'post', path: '/volumes/{volumeId}/modifications', caller: 'customer',
    summary: "Changes a volume's size, IOPS, type or location while it stays attached; merged into the modification in flight before its cutover, queued after it; dryRun answers the plan (200) and changes nothing",
    pathParameters: volumeId,
    body: ModifyVolumeRequestSchema,
    success: { status: 202, description: 'The modification (the one the request was merged into or queued as; the first one for a repeated clientToken)', schema: ModificationViewSchema },
    alternatives: [{ status: 200, description: 'dryRun: the plan; nothing changed', schema: ModificationDryRunSchema }],
    errors: [404, 409, 413],
  },
  {
    operationId: 'ListModifications', method: 'get', path: '/volumes/{volumeId}/modifications', caller: 'customer',
    summary: "Lists a volume's modifications, newest first",
    pathParameters: volumeId,
    query: ListModificationsQuerySchema,
    success: { status: 200, description: 'One page of modifications', schema: ModificationPageSchema },
    errors: [404],
  },
  {
    operationId: 'GetModification', method: 'get', path: '/volumes/{volumeId}/modifications/{modificationId}', caller: 'customer',
    summary: 'Describes one modification, with progress and ETA',
    pathParameters: { ...volumeId, modificationId: ModificationIdSchema },
    success: { status: 200, description: 'The modification', schema: ModificationViewSchema },
    errors: [404],
  },
  {
    operationId: 'CancelModification', method: 'delete', path: '/volumes/{volumeId}/modifications/{modificationId}', caller: 'customer',
    summary: 'Cancels a modification before its cutover (409 after it, saying why); the workflow leaves the volume exactly as before',
    pathParameters: { ...volumeId, modificationId: ModificationIdSchema },
    success: { status: 202, description: 'The modification, cancelled (queued) or with the cancel requested (running)', schema: ModificationViewSchema },
    errors: [404, 409],
  },
  {
    operationId: 'SetVolumePolicy', method: 'put', path: '/volumes/{volumeId}/policy', caller: 'customer',
    summary: "Replaces a volume's automatic-adjustment policy (autoGrow; autoShrink is stored but no shrink is made yet)",
    pathParameters: volumeId,
    body: VolumePolicySchema,
    success: { status: 200, description: 'The policy as stored', schema: VolumePolicyViewSchema },
    errors: [404, 409, 413],
  },
  {
    operationId: 'ReportUtilization', method: 'post', path: '/volumes/{volumeId}/utilization', caller: 'customer',
    summary: "Reports how much of the volume's filesystem is used (the attach side); the scheduled evaluation grows the volume by its policy",
    pathParameters: volumeId,
    body: UtilizationReportSchema,
    success: { status: 200, description: 'The utilization as stored', schema: UtilizationViewSchema },
    errors: [404, 409, 413],
  },
  {
    operationId: 'AttachVolume', method: 'post', path: '/volumes/{volumeId}/attachments', caller: 'customer',
    summary: "Attaches one of the caller's volumes: its primary's NBD endpoint and the client key",
    pathParameters: volumeId,
    success: { status: 201, description: 'The new attachment and how to connect', schema: ConnectionSchema },
    errors: [404, 409],
  },
  {
    operationId: 'GetAttachment', method: 'get', path: '/volumes/{volumeId}/attachments/{attachmentId}', caller: 'customer',
    summary: 'Where an attachment connects now (after a fail-over, the new primary)',
    pathParameters: attachment,
    success: { status: 200, description: 'How to connect', schema: ConnectionSchema },
    errors: [404, 409],
  },
  {
    operationId: 'DetachVolume', method: 'delete', path: '/volumes/{volumeId}/attachments/{attachmentId}', caller: 'customer',
    summary: 'Ends an attachment; the volume is available again when none is left',
    pathParameters: attachment,
    success: { status: 200, description: 'The attachment ended', schema: DetachmentSchema },
    errors: [404, 409],
  },
  {
    operationId: 'RegisterHost', method: 'post', path: '/hosts', caller: 'host',
    summary: 'Registers a storage host, bound to the calling principal, and settles the copies it reports',
    body: RegisterHostRequestSchema,
    success: { status: 200, description: 'The host as registered', schema: HostViewSchema },
    errors: [409, 413],
  },
  {
    operationId: 'RecordHeartbeat', method: 'post', path: '/hosts/{hostId}/heartbeat', caller: 'host',
    summary: "Records a storage host's heartbeat and starts fail-over for the copies it reports lost",
    pathParameters: hostId,
    body: HeartbeatRequestSchema,
    success: { status: 200, description: 'The heartbeat was recorded', schema: HeartbeatReceiptSchema },
    errors: [404, 409, 413],
  },
  {
    operationId: 'ReportReplicaFault', method: 'post', path: '/hosts/{hostId}/replica-faults', caller: 'host',
    summary: "A primary's mirror stopped taking writes: marks the mirror out of date at a new generation (the consent to continue alone)",
    pathParameters: hostId,
    body: ReplicaFaultRequestSchema,
    success: { status: 200, description: 'The generation the primary continues at; the copies that lost their in-sync mark', schema: ReplicaFaultAnswerSchema },
    errors: [404, 409, 413],
  },
  {
    operationId: 'PollCommands', method: 'get', path: '/hosts/{hostId}/commands', caller: 'host',
    summary: "Long-polls (up to wait seconds) for a storage host's pending commands",
    pathParameters: hostId,
    query: PollCommandsQuerySchema,
    success: { status: 200, description: 'Commands visible now (possibly none)', schema: CommandBatchSchema },
    errors: [404],
  },
  {
    operationId: 'CompleteCommand', method: 'post', path: '/hosts/{hostId}/commands/{commandId}/result', caller: 'host',
    summary: 'Records the result of a command and answers the workflow task waiting for it',
    pathParameters: { ...hostId, commandId: CommandIdSchema },
    body: CommandResultRequestSchema,
    success: { status: 200, description: 'The result was recorded (or had been, with the same outcome)', schema: CommandReceiptSchema },
    errors: [404, 409, 413],
  },
  {
    operationId: 'ReportCommandProgress', method: 'post', path: '/hosts/{hostId}/commands/{commandId}/progress', caller: 'host',
    summary: 'Reports that a long command still runs (figures when known); the waiting workflow task gets a heartbeat',
    pathParameters: { ...hostId, commandId: CommandIdSchema },
    body: CommandProgressRequestSchema,
    success: { status: 200, description: 'Whether the report counted as progress, and whether the workflow task got it', schema: CommandProgressReceiptSchema },
    errors: [404, 413],
  },
  ...REPORT_ROUTES,
  ...RECOVERY_ROUTES,
  ...SNAPSHOT_ROUTES,
  ...AUDIT_ROUTES,
  ...HEALTH_ROUTES,
  ...CONSOLE_ROUTES,
];
