import { z } from 'zod';
import { AlarmConfigSchema } from '../core/audit/alarms';
import { ClauseSchema, SpecChangeSchema } from '../core/audit/spec';
import { ComplianceReportRequestSchema } from '../core/audit/report-request';
import { SEVERITIES } from '../core/audit/spec';
import { responseSchemas } from './responses';

/** What the audit routes answer (docs/audit.md, "API"). */
const Timestamp = z.iso.datetime({ offset: true });

export const SpecVersionSchema = z
  .strictObject({
    version: z.number().int().min(1),
    clauses: z.array(ClauseSchema),
    author: z.string(),
    createdAt: Timestamp,
    reason: z.string(),
    changes: z.array(SpecChangeSchema),
  })
  .register(responseSchemas, { id: 'SpecVersion', description: 'One immutable spec version: its clauses, author, time, reason and change log' });

export const SpecDiffSchema = z
  .strictObject({
    from: z.number().int(),
    to: z.number().int(),
    added: z.array(ClauseSchema),
    removed: z.array(ClauseSchema),
    modified: z.array(z.strictObject({ clauseId: z.string(), fields: z.array(z.string()), before: ClauseSchema, after: ClauseSchema })),
  })
  .register(responseSchemas, { id: 'SpecDiff', description: 'The clauses added, removed and modified from one version to the other' });

export const AssertionReceiptSchema = z
  .strictObject({ recorded: z.number().int(), alarmsRaised: z.number().int() })
  .register(responseSchemas, { id: 'AssertionReceipt', description: 'How many assertions were stored and how many alarms they raised' });

const RaisedAlarm = z.strictObject({
  alarmKey: z.string(),
  kind: z.enum(['security-failure', 'threshold']),
  clauseId: z.string(),
  severity: z.enum(SEVERITIES),
  componentIds: z.array(z.string()),
  message: z.string(),
  raisedAt: Timestamp,
});

export const AlarmsViewSchema = z
  .strictObject({ config: AlarmConfigSchema, recent: z.array(RaisedAlarm) })
  .register(responseSchemas, { id: 'AuditAlarms', description: 'The alarm configuration and the alarms raised in the last day, newest first' });

const Waiver = z.strictObject({
  componentId: z.string(),
  clauseId: z.string(),
  until: Timestamp,
  reason: z.string(),
  author: z.string(),
  createdAt: Timestamp,
});
export const WaiverSchema = Waiver.register(responseSchemas, { id: 'Waiver', description: 'A clause waived for one component until a time' });
export const WaiverListSchema = z.strictObject({ waivers: z.array(Waiver) }).register(responseSchemas, { id: 'WaiverList', description: 'Every waiver, active or expired' });

export const ComplianceReportViewSchema = z
  .strictObject({
    reportId: z.string(),
    request: ComplianceReportRequestSchema,
    status: z.enum(['rendering', 'ready', 'failed']),
    requestedBy: z.string(),
    createdAt: Timestamp,
    objectKey: z.string().optional(),
    failure: z.string().optional(),
    url: z.url().optional(),
    urlExpiresAt: Timestamp.optional(),
  })
  .register(responseSchemas, { id: 'ComplianceReport', description: 'A compliance report: rendering, failed (with why) or ready with a presigned GET valid 5 minutes' });

