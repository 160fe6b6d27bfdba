import type { Alarm, AlarmConfig } from './alarms';
import type { Assertion } from './assertion';
import type { ComplianceReportRequest } from './report-request';
import type { ComponentType, SpecVersion } from './spec';
import type { Waiver } from './waiver';

/** Spec versions: immutable once stored; `publish` wins only over the version it read. */
export interface SpecStore {
  current(): Promise<SpecVersion | undefined>;
  get(version: number): Promise<SpecVersion | undefined>;
  /** Stores `next` as current if the current version is still `next.version - 1` (else VersionConflictError). */
  publish(next: SpecVersion): Promise<void>;
}

/** The assertion history and the latest assertion per (component, clause). */
export interface AssertionStore {
  record(assertions: readonly Assertion[]): Promise<void>;
  /** The latest assertion per (component, clause) of these types. */
  latest(types: readonly ComponentType[]): Promise<Assertion[]>;
  /** The newest assertion for (component, clause) at or before `at`. */
  latestAtOrBefore(componentId: string, clauseId: string, at: Date): Promise<Assertion | undefined>;
}

export interface WaiverStore {
  put(waiver: Waiver): Promise<void>;
  list(): Promise<Waiver[]>;
}

export interface RaisedAlarm extends Alarm {
  readonly raisedAt: string;
}

export interface AlarmStore {
  config(): Promise<AlarmConfig>;
  putConfig(config: AlarmConfig): Promise<void>;
  /** Keys raised within their repeat window. */
  recentKeys(now: Date): Promise<Set<string>>;
  /** Records each alarm unless its key was raised within the window (a race loses); returns those recorded. */
  claim(alarms: readonly Alarm[], now: Date, repeatAfterMinutes: number): Promise<RaisedAlarm[]>;
  recent(now: Date): Promise<RaisedAlarm[]>;
}

/** Where raised alarms go: an EventBridge event and the operators' notice. */
export interface AlarmPublisher {
  publish(alarms: readonly RaisedAlarm[]): Promise<void>;
}

export type ReportStatus = 'rendering' | 'ready' | 'failed';

export interface ComplianceReportRecord {
  readonly reportId: string;
  readonly request: ComplianceReportRequest;
  readonly status: ReportStatus;
  readonly requestedBy: string;
  readonly createdAt: string;
  readonly objectKey?: string;
  readonly failure?: string;
}

export interface ComplianceReportRepository {
  create(record: ComplianceReportRecord): Promise<void>;
  get(reportId: string): Promise<ComplianceReportRecord | undefined>;
  markReady(reportId: string, objectKey: string): Promise<void>;
  markFailed(reportId: string, failure: string): Promise<void>;
}

export interface ReportObjects {
  put(key: string, body: string, contentType: string): Promise<void>;
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
}

export interface ReportWorkflows {
  start(reportId: string): Promise<void>;
}
