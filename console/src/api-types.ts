import type { z } from 'zod';
import type { ComplianceReportViewSchema } from '../../contract/audit-responses';
import type { EventListSchema, VolumeHealthSchema } from '../../contract/health-responses';
import type { RecoveryViewSchema } from '../../contract/recovery-responses';
import type { ReportListSchema, ReportViewSchema } from '../../contract/report-responses';
import type { ModificationPageSchema, ModificationViewSchema, VolumePageSchema, VolumeViewSchema } from '../../contract/responses';
import type { SnapshotPageSchema, SnapshotViewSchema } from '../../contract/snapshot-responses';

/** The API's answers as the contract defines them (type-only: no schema code reaches the bundle). */
export type Volume = z.infer<typeof VolumeViewSchema>;
export type VolumePage = z.infer<typeof VolumePageSchema>;
export type VolumeHealth = z.infer<typeof VolumeHealthSchema>;
export type Modification = z.infer<typeof ModificationViewSchema>;
export type ModificationPage = z.infer<typeof ModificationPageSchema>;
export type Snapshot = z.infer<typeof SnapshotViewSchema>;
export type SnapshotPage = z.infer<typeof SnapshotPageSchema>;
export type Recovery = z.infer<typeof RecoveryViewSchema>;
export type EventList = z.infer<typeof EventListSchema>;
export type ReportList = z.infer<typeof ReportListSchema>;
export type Report = z.infer<typeof ReportViewSchema>;
export type ComplianceReport = z.infer<typeof ComplianceReportViewSchema>;
