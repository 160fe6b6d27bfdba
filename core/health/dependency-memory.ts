import type { Host } from '../host';
import type { VolumeType } from '../volume';
import type { HealthLevel } from './health-level';

/**
 * Former dependents (docs/health.md, "Former dependents"): a host remembers for an hour each copy
 * that left it (a fail-over or a modification released its reservation), so an outage that made the
 * fail-over move a copy away within seconds still tells that copy's tenant. Without this the
 * evaluator, which runs after the fail-over, found nobody depending on the dead host and sent nothing.
 */
export const FORMER_DEPENDENCY_SECONDS = 3600;

/** How long before a host's trouble began a copy that left still counts as driven off by it. */
export const FORMER_DEPENDENCY_GRACE_SECONDS = 60;

/** A copy that left a host, with when its reservation there was released. */
export interface FormerDependent {
  readonly volumeId: string;
  readonly tenantId: string;
  readonly goneAt: string;
  /** The volume's type: a former copy's disk is not kept, so on a disk's event it counts for each disk of the type. */
  readonly type?: VolumeType;
}

/**
 * When the host's trouble began: its last heartbeat (the last sign of life), or when it turned
 * yellow or red if that was earlier (a host that kept heartbeating with a failing disk).
 */
export function troubleStartOf(host: Pick<Host, 'lastHeartbeatAt'>, level: { readonly level: HealthLevel; readonly levelSince: string } | undefined): number {
  const heartbeat = Date.parse(host.lastHeartbeatAt);
  if (!level || level.level === 'green') return heartbeat;
  return Math.min(heartbeat, Date.parse(level.levelSince));
}

/**
 * The former dependents the host's trouble affected: those that left no earlier than
 * FORMER_DEPENDENCY_GRACE_SECONDS before it began, within the memory window, and that do not
 * depend on the host again now (the current dependency wins). One per volume.
 */
export function affectedFormerDependents(
  formers: readonly FormerDependent[],
  troubleStart: number,
  current: ReadonlySet<string>,
  now: Date,
): FormerDependent[] {
  const from = Math.max(troubleStart - FORMER_DEPENDENCY_GRACE_SECONDS * 1000, now.getTime() - FORMER_DEPENDENCY_SECONDS * 1000);
  const byVolume = new Map<string, FormerDependent>();
  for (const former of formers) {
    if (current.has(former.volumeId) || Date.parse(former.goneAt) < from) continue;
    byVolume.set(former.volumeId, former);
  }
  return [...byVolume.values()];
}
