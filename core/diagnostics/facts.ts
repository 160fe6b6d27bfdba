/** What the parsers found in one report, as rules read it (docs/diagnostics.md, "Facts"). */
export type FactValue = number | string | boolean | readonly string[];

export const LOG_NAMES = ['kernel', 'system'] as const;
export type LogName = (typeof LOG_NAMES)[number];

export interface Facts {
  /** Named facts (`df.maxUsedPercent`, `time.synchronized`, …); a fact its source did not give is absent. */
  readonly values: ReadonlyMap<string, FactValue>;
  /** Each log's text (its files joined in a fixed order); a log no file gave is absent. */
  readonly logs: ReadonlyMap<LogName, string>;
  /** When the report was collected: the end of every log time window. */
  readonly collectedAt: Date;
  readonly source: string;
}
