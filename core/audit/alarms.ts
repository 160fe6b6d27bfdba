import { z } from 'zod';
import type { ClauseStatus } from './evaluation';
import type { Clause } from './spec';

/** `PUT /alarms`: what raises an alarm (docs/audit.md, "Alarms"). */
export const AlarmConfigSchema = z.strictObject({
  /** Any single FAIL of a `security` clause raises an alarm. */
  securityFailures: z.boolean(),
  /** At least `percent` % of a clause's components FAIL or SILENT raises one alarm for the clause. */
  threshold: z.strictObject({ percent: z.number().gt(0).max(100), minComponents: z.number().int().min(1).max(10_000) }).nullable(),
  /** The same alarm is raised again only after this many minutes. */
  repeatAfterMinutes: z.number().int().min(1).max(10_080),
});
export type AlarmConfig = z.infer<typeof AlarmConfigSchema>;

/** Until an operator configures alarms: security failures, 5 % of at least 2 components, once an hour. */
export const DEFAULT_ALARM_CONFIG: AlarmConfig = { securityFailures: true, threshold: { percent: 5, minComponents: 2 }, repeatAfterMinutes: 60 };

export interface Alarm {
  /** Same alarm, same key: a raised key is not raised again within `repeatAfterMinutes`. */
  readonly alarmKey: string;
  readonly kind: 'security-failure' | 'threshold';
  readonly clauseId: string;
  readonly severity: Clause['severity'];
  readonly componentIds: readonly string[];
  readonly message: string;
}

/** The alarms the statuses call for, without those raised recently (`recentKeys`). */
export function alarmsToRaise(statuses: readonly ClauseStatus[], config: AlarmConfig, recentKeys: ReadonlySet<string>): Alarm[] {
  const alarms: Alarm[] = [];
  if (config.securityFailures) {
    for (const status of statuses) {
      if (status.severity !== 'security' || status.state !== 'FAIL') continue;
      alarms.push({
        alarmKey: `security-failure|${status.clauseId}|${status.componentId}`,
        kind: 'security-failure',
        clauseId: status.clauseId,
        severity: status.severity,
        componentIds: [status.componentId],
        message: `security clause ${status.clauseId} fails on ${status.componentId}: observed ${JSON.stringify(status.observed)}, expected ${status.expected}`,
      });
    }
  }
  if (config.threshold) {
    const byClause = new Map<string, ClauseStatus[]>();
    for (const status of statuses) byClause.set(status.clauseId, [...(byClause.get(status.clauseId) ?? []), status]);
    for (const [clauseId, clauseStatuses] of byClause) {
      const bad = clauseStatuses.filter((status) => status.state === 'FAIL' || status.state === 'SILENT');
      const percent = (100 * bad.length) / clauseStatuses.length;
      if (bad.length < config.threshold.minComponents || percent < config.threshold.percent) continue;
      alarms.push({
        alarmKey: `threshold|${clauseId}`,
        kind: 'threshold',
        clauseId,
        severity: clauseStatuses[0].severity,
        componentIds: bad.map((status) => status.componentId),
        message: `${bad.length} of ${clauseStatuses.length} components (${percent.toFixed(1)} %) fail or are silent on ${clauseId}`,
      });
    }
  }
  return alarms.filter((alarm) => !recentKeys.has(alarm.alarmKey));
}
