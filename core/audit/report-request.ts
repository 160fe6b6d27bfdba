import { z } from 'zod';
import { CLAUSE_ID_PATTERN, COMPONENT_TYPES, SEVERITIES } from './spec';

export const REPORT_FORMATS = ['json', 'csv', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
/** Longest window a report may cover: 31 days of history. */
export const MAX_REPORT_WINDOW_DAYS = 31;

/** `POST /compliance-reports`: which components and clauses, which time window, which format. */
export const ComplianceReportRequestSchema = z
  .strictObject({
    scope: z
      .strictObject({
        componentType: z.enum(COMPONENT_TYPES).optional(),
        componentIds: z.array(z.string().min(1).max(200)).min(1).max(500).optional(),
        clauseIds: z.array(z.string().regex(CLAUSE_ID_PATTERN)).min(1).max(500).optional(),
        severity: z.enum(SEVERITIES).optional(),
      })
      .default({}),
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    format: z.enum(REPORT_FORMATS),
  })
  .refine((request) => Date.parse(request.from) < Date.parse(request.to), { message: 'from must be before to', path: ['from'] })
  .refine((request) => Date.parse(request.to) - Date.parse(request.from) <= MAX_REPORT_WINDOW_DAYS * 86_400_000, {
    message: `the window may span at most ${MAX_REPORT_WINDOW_DAYS} days`,
    path: ['to'],
  });
export type ComplianceReportRequest = z.infer<typeof ComplianceReportRequestSchema>;
export type ReportScope = ComplianceReportRequest['scope'];
