import { HostIdSchema } from '../core/host-requests';
import { RecoveryReportRequestSchema } from '../core/recovery/recovery-report';
import { RecoveryDecisionRequestSchema } from '../core/recovery/use-cases/decide-recovery';
import { RecoveryAccessRequestSchema } from '../core/recovery/use-cases/grant-recovery-access';
import { VolumeIdSchema } from '../core/volume-requests';
import { RecoveryAccessSchema, RecoveryReportAnswerSchema, RecoveryViewSchema, VolumeEventsSchema } from './recovery-responses';
import type { ApiRoute } from './routes';

const volumeId = { volumeId: VolumeIdSchema };

/** The recovery routes (docs/recovery.md, "API"). */
export const RECOVERY_ROUTES: readonly ApiRoute[] = [
  {
    operationId: 'ReportRecovery', method: 'post', path: '/hosts/{hostId}/recovery-reports', caller: 'host',
    summary: 'A host in recovery reports a page of its copies (at most 32); each is classified and the verdict stored with its proof. Only a batch of hosts is answered at a time: 429 with Retry-After for the others',
    pathParameters: { hostId: HostIdSchema },
    body: RecoveryReportRequestSchema,
    success: { status: 200, description: 'The verdicts and what the host does with each copy', schema: RecoveryReportAnswerSchema },
    errors: [404, 413],
  },
  {
    operationId: 'GetRecovery', method: 'get', path: '/volumes/{volumeId}/recovery', caller: 'customer',
    summary: "A volume's recovery: the classification of each returning copy, its proof, the deadlines and the choices",
    pathParameters: volumeId,
    success: { status: 200, description: 'The recovery', schema: RecoveryViewSchema },
    errors: [404],
  },
  {
    operationId: 'CreateRecoveryAccess', method: 'post', path: '/volumes/{volumeId}/recovery-access', caller: 'customer',
    summary: 'A read-only export of a copy held in recovery with its own key (15 minutes); the paused client I/O does not block it',
    pathParameters: volumeId,
    body: RecoveryAccessRequestSchema,
    success: { status: 201, description: 'The export and its key', schema: RecoveryAccessSchema },
    errors: [404, 409, 413],
  },
  {
    operationId: 'DecideRecovery', method: 'post', path: '/volumes/{volumeId}/recovery-decision', caller: 'customer',
    summary: "The owner's decision: enable (writable again, a new mirror), snapshot, archive (snapshot, then delete) or delete. snapshot and archive answer 409 SnapshotsUnavailable until snapshots are wired",
    pathParameters: volumeId,
    body: RecoveryDecisionRequestSchema,
    success: { status: 200, description: 'The recovery after the decision', schema: RecoveryViewSchema },
    errors: [404, 409, 413],
  },
  {
    operationId: 'ListVolumeEvents', method: 'get', path: '/volumes/{volumeId}/events', caller: 'customer',
    summary: "The volume's owner notices (classifications, decisions, deletions), newest first",
    pathParameters: volumeId,
    success: { status: 200, description: 'The notices', schema: VolumeEventsSchema },
    errors: [404],
  },
];
