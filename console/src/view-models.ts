import type { ComplianceReport, EventList, Modification, Recovery, Report, Snapshot, Volume, VolumeHealth } from './api-types';

/** What the pages show, computed from the API's answers (no DOM, no fetch: unit-tested). */

export interface VolumeRow {
  readonly volumeId: string;
  readonly shape: string;
  readonly location: string;
  readonly status: string;
  readonly copies: string;
  readonly health: string;
}

export function volumeRow(volume: Volume, health?: VolumeHealth): VolumeRow {
  const copies = [...volume.copies]
    .sort((a, b) => (a.role === b.role ? a.hostId.localeCompare(b.hostId) : a.role === 'primary' ? -1 : 1))
    .map((copy) => `${copy.role} on ${copy.hostId}${copy.inSync ? '' : ' (syncing)'}`)
    .join(', ');
  return {
    volumeId: volume.volumeId,
    shape: `${volume.sizeGiB} GiB ${volume.type}, ${volume.iops} IOPS`,
    location: volume.location,
    status: volume.statusReason ? `${volume.status}: ${volume.statusReason}` : volume.status,
    copies: copies || 'none',
    health: health ? `${health.level}${health.openEvents.length ? `, ${health.openEvents.length} open event(s)` : ''}` : 'unknown',
  };
}

/** A volume that will not change by itself any more: watching it can stop. */
export function isSettled(volume: Volume): boolean {
  return !['creating', 'deleting', 'modifying'].includes(volume.status);
}

export type CreateVolumeForm = Readonly<Record<'sizeGiB' | 'type' | 'iops' | 'location', string>>;
export type CreateVolumeRequest = { sizeGiB: number; type: string; iops: number; location: string };

/** The create form as a request, or what is wrong with it (the API checks again). */
export function createVolumeRequest(form: CreateVolumeForm): { ok: true; request: CreateVolumeRequest } | { ok: false; error: string } {
  const sizeGiB = Number(form.sizeGiB);
  const iops = Number(form.iops);
  if (!Number.isInteger(sizeGiB) || sizeGiB < 1) return { ok: false, error: 'Size must be a whole number of GiB, at least 1' };
  if (!Number.isInteger(iops) || iops < 1) return { ok: false, error: 'IOPS must be a whole number, at least 1' };
  if (form.type !== 'ssd' && form.type !== 'hdd') return { ok: false, error: 'Type must be ssd or hdd' };
  if (form.location.trim() === '') return { ok: false, error: 'Location is required' };
  return { ok: true, request: { sizeGiB, type: form.type, iops, location: form.location.trim() } };
}

export interface ModificationRow {
  readonly modificationId: string;
  readonly status: string;
  readonly change: string;
  readonly progressPercent: number;
  readonly eta: string;
}

export function modificationRow(modification: Modification): ModificationRow {
  const { original, target } = modification;
  const changes = [
    original.sizeGiB !== target.sizeGiB ? `size ${original.sizeGiB} → ${target.sizeGiB} GiB` : '',
    original.iops !== target.iops ? `IOPS ${original.iops} → ${target.iops}` : '',
    original.type !== target.type ? `type ${original.type} → ${target.type}` : '',
    original.location !== target.location ? `location ${original.location} → ${target.location}` : '',
  ].filter(Boolean);
  return {
    modificationId: modification.modificationId,
    status: modification.statusReason ? `${modification.status}: ${modification.statusReason}` : modification.status,
    change: changes.join(', ') || 'no change',
    progressPercent: modification.progressPercent,
    eta: modification.etaSeconds === undefined ? '' : duration(modification.etaSeconds),
  };
}

export interface SnapshotRow {
  readonly snapshotId: string;
  readonly volumeId: string;
  readonly status: string;
  readonly progressPercent: number;
  readonly stored: string;
}

export function snapshotRow(snapshot: Snapshot): SnapshotRow {
  return {
    snapshotId: snapshot.snapshotId,
    volumeId: snapshot.volumeId,
    status: snapshot.statusReason ? `${snapshot.status}: ${snapshot.statusReason}` : snapshot.status,
    progressPercent: snapshot.progressPercent,
    stored: snapshot.storedBytes === undefined ? '' : bytes(snapshot.storedBytes),
  };
}

export interface RecoverySummary {
  readonly state: string;
  readonly copies: readonly { copyId: string; hostId: string; verdict: string; readable: boolean }[];
  readonly decisions: readonly string[];
  readonly choices: readonly string[];
}

export function recoverySummary(recovery: Recovery): RecoverySummary {
  return {
    state: `${recovery.state}${recovery.ioPaused ? ' (I/O paused)' : ''}`,
    copies: recovery.copies.map((copy) => ({ copyId: copy.copyId, hostId: copy.hostId, verdict: copy.disposition, readable: copy.readable })),
    decisions: recovery.decisions.map((d) => `${d.at}: ${d.action} by ${d.by}${d.copyId ? ` (${d.copyId})` : ''}: ${d.why}`),
    choices: recovery.choices,
  };
}

export interface EventRows {
  readonly events: readonly { eventId: string; summary: string; status: string; level: string }[];
  readonly notices: readonly { noticeId: string; volumeId: string; summary: string; action: string }[];
}

export function eventRows(list: EventList): EventRows {
  return {
    events: list.events.map((e) => ({ eventId: e.eventId, summary: `${e.eventTypeCode} on ${e.componentId}: ${e.description}`, status: e.statusCode, level: e.level })),
    notices: list.notices.map((n) => ({
      noticeId: n.noticeId,
      volumeId: n.volumeId,
      summary: `${n.at} ${n.eventTypeCode}: ${n.description}`,
      action: n.recommendedAction ? `${n.recommendedAction.method} ${n.recommendedAction.path}: ${n.recommendedAction.why}` : '',
    })),
  };
}

export interface Findings {
  readonly status: string;
  readonly matches: readonly { issueId: string; title: string; severity: string; cause: string; steps: readonly string[] }[];
  readonly insufficient: readonly string[];
}

export function reportFindings(report: Report): Findings {
  return {
    status: report.reason ? `${report.status}: ${report.reason}` : report.status,
    matches: (report.result?.matches ?? []).map((m) => ({ issueId: m.issueId, title: m.title, severity: m.severity, cause: m.cause, steps: m.solutions.flatMap((s) => s.steps) })),
    insufficient: (report.result?.insufficientEvidence ?? []).map((i) => `${i.title}: missing ${i.missing.join(', ')}`),
  };
}

/** A window of `days` ending at `now`, as the compliance-report request wants it. */
export function complianceWindow(now: Date, days: number): { from: string; to: string } {
  return { from: new Date(now.getTime() - days * 86_400_000).toISOString(), to: now.toISOString() };
}

export function complianceStatus(report: ComplianceReport): string {
  if (report.status === 'failed') return `failed: ${report.failure ?? 'no reason given'}`;
  if (report.status === 'ready') return `ready (link valid until ${report.urlExpiresAt ?? 'soon'})`;
  return 'rendering';
}

/** `403 Forbidden: …` for an answer that failed. */
export function failure(status: number, message: string): string {
  return `${status}: ${message}`;
}

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

export function bytes(count: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
