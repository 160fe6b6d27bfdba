import { z } from 'zod';
import { CLASSIFICATION_RULES, Verdict } from '../core/recovery/classify-copy';
import { RECOVERY_NOTICE_TYPES } from '../core/recovery/recovery-notice';
import { RECOVERY_ACTIONS, RecoveryState, CopyDisposition } from '../core/recovery/volume-recovery';
import { responseSchemas } from './responses';

/** What the recovery routes answer (docs/recovery.md). */
const Timestamp = z.iso.datetime({ offset: true });
const VerdictSchema = z.enum(Object.values(Verdict) as [Verdict, ...Verdict[]]);
const RuleSchema = z.enum(CLASSIFICATION_RULES);

const ClassificationSchema = z.object({
  verdict: VerdictSchema,
  rule: RuleSchema,
  reason: z.string(),
  effectiveGeneration: z.number().int(),
  highestKnownGeneration: z.number().int(),
  deleteAtOnce: z.boolean(),
  identicalTo: z.object({ hostId: z.string(), copyId: z.string() }).optional(),
  divergedFrom: z.object({ hostId: z.string(), copyId: z.string(), chunks: z.array(z.number().int()) }).optional(),
});

export const RecoveryReportAnswerSchema = z
  .strictObject({
    hostId: z.string(),
    copies: z.array(z.strictObject({ volumeId: z.string(), copyId: z.string(), verdict: VerdictSchema, rule: RuleSchema, action: z.enum(['hold-read-only', 'quarantine', 'delete']) })),
  })
  .register(responseSchemas, { id: 'RecoveryReportAnswer', description: 'The verdict on each reported copy and what the host does with it' });

export const RecoveryViewSchema = z
  .strictObject({
    volumeId: z.string(),
    state: z.enum(Object.values(RecoveryState) as [RecoveryState, ...RecoveryState[]]),
    ioPaused: z.boolean(),
    autoArchiveAt: Timestamp.nullable(),
    choices: z.array(z.enum(RECOVERY_ACTIONS)),
    copies: z.array(
      z.strictObject({
        copyId: z.string(),
        hostId: z.string(),
        role: z.enum(['primary', 'mirror']),
        generation: z.number().int(),
        trigger: z.string(),
        reportedAt: Timestamp,
        disposition: z.enum(Object.values(CopyDisposition) as [CopyDisposition, ...CopyDisposition[]]),
        readable: z.boolean(),
        deleteAfter: Timestamp.nullable(),
        classification: ClassificationSchema,
        proof: z.record(z.string(), z.unknown()).describe('The classifier input as it was: the record, the hosts, the reported copy and its returning twins'),
      }),
    ),
    decisions: z.array(z.object({ action: z.enum(RECOVERY_ACTIONS), by: z.enum(['owner', 'automatic']), at: Timestamp, copyId: z.string().optional(), why: z.string() })),
    accessExpiresAt: Timestamp.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .register(responseSchemas, { id: 'Recovery', description: "A volume's recovery: each returning copy's verdict with its proof, the deadlines and the owner's choices" });

export const RecoveryAccessSchema = z
  .strictObject({
    volumeId: z.string(),
    copyId: z.string(),
    hostId: z.string(),
    exportName: z.string(),
    address: z.string(),
    /** The copy's own NBD port on that host. */
    port: z.number().int().min(1).max(65535),
    key: z.strictObject({ identity: z.string(), keyHex: z.string().regex(/^[0-9a-f]{64}$/) }),
    readOnly: z.literal(true),
    expiresAt: Timestamp,
  })
  .register(responseSchemas, { id: 'RecoveryAccess', description: 'A read-only NBD export of the held copy (TLS-PSK with this key) until expiresAt' });

export const VolumeEventsSchema = z
  .strictObject({
    events: z.array(z.strictObject({ volumeId: z.string(), tenantId: z.string(), type: z.enum(RECOVERY_NOTICE_TYPES), at: Timestamp, message: z.string(), details: z.record(z.string(), z.unknown()) })),
  })
  .register(responseSchemas, { id: 'VolumeEvents', description: "The volume's owner notices, newest first (at most 100)" });
