import type { HostCommandRequest } from './copy-commands';
import type { Reservation } from './ports';
import type { VolumeType } from './volume';

/** A modification's lifecycle, in the words EBS uses (docs/modification.md, "States"). */
export const ModificationStatus = {
  modifying: 'modifying',
  /** The new parameters are in effect (a new size is usable); what is left is cleanup. */
  optimizing: 'optimizing',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
} as const;
export type ModificationStatus = (typeof ModificationStatus)[keyof typeof ModificationStatus];

export const FINAL_MODIFICATION_STATUSES: readonly ModificationStatus[] = [
  ModificationStatus.completed,
  ModificationStatus.failed,
  ModificationStatus.cancelled,
];

export const MODIFICATION_TRIGGERS = ['user', 'auto-grow', 'auto-shrink', 'health'] as const;
export type ModificationTrigger = (typeof MODIFICATION_TRIGGERS)[number];

/** The operational parameters a modification changes. */
export interface VolumeParameters {
  readonly sizeGiB: number;
  readonly iops: number;
  readonly type: VolumeType;
  readonly location: string;
}

/** One copy that moves to a new host (or a disk of another type on the same host). */
export interface CopyMove {
  /** The copy the move replaces, and the role it has when the move starts. */
  readonly replacesCopyId: string;
  readonly role: 'primary' | 'mirror';
  readonly fromHostId: string;
  readonly toHostId: string;
  /** The disk on `toHostId` the new copy is placed on; absent for a host placed by its pool alone. */
  readonly toDeviceId?: string;
  /** The new copy's id, chosen when the plan is made so reservations and commands agree. */
  readonly newCopyId: string;
}

/**
 * How a modification is carried out (core/modification-plan.ts):
 * - `in-place`: the current hosts take the new parameters (live IOPS change, replicated grow);
 * - `migrate`: one new copy per copy that cannot stay, each filled from the mirror and cut over;
 *   a staying copy keeps its host with its IOPS reservation adjusted; a grow runs in place after
 *   the moves (a chain needs copies of equal size).
 */
export type ModificationPlan =
  | { readonly kind: 'in-place'; readonly setIops: boolean; readonly grow: boolean }
  | {
      readonly kind: 'migrate';
      readonly moves: readonly CopyMove[];
      readonly setIops: boolean;
      readonly grow: boolean;
      /** Data the fills copy: the volume's current size once per move. */
      readonly bytesToCopy: number;
    };

/** A request merged into a modification (coalescing) or queued behind it, as recorded. */
export interface CoalescedRequest {
  readonly at: string;
  readonly requested: Partial<VolumeParameters>;
  readonly outcome: 'merged' | 'queued';
}

/** The host command the workflow waits for now (progress comes from its reports). */
export interface CurrentCommand {
  readonly hostId: string;
  readonly commandId: string;
  readonly step: string;
  readonly sentAt: string;
}

/**
 * The command a failed modification's rollback sent to tell the primary it left quiesced to serve
 * again (`resize-copy`, core/modification-steps.ts `reServeCommandOf`; only past the cutover, where
 * cancels and merges are refused). The modification ends once the host answers it.
 */
export interface PendingReServe {
  readonly hostId: string;
  readonly copyId: string;
  /** The command as sent (its id is the one whose answer ends the modification). */
  readonly command: HostCommandRequest & { readonly commandId: string };
  /** Why the modification failed (it ends `failed` once the primary serves again). */
  readonly reason: string;
  /** How many times it was sent (a repeated Catch, or once more at the target size); bounded by MAX_RE_SERVE_SENDS. */
  readonly sends: number;
  readonly sentAt: string;
}

export interface Modification {
  readonly modificationId: string;
  /** Hosts the copies must leave (a move off a component, docs/health.md); planned as if they could hold nothing. */
  readonly awayFromHostIds?: readonly string[];
  readonly volumeId: string;
  readonly tenantId: string;
  readonly status: ModificationStatus;
  readonly original: VolumeParameters;
  readonly target: VolumeParameters;
  /** Absent while the modification waits its turn behind another (queued). */
  readonly plan?: ModificationPlan;
  readonly trigger: ModificationTrigger;
  /** Steps of the plan done so far and in all (core/modification-steps.ts). */
  readonly stepsDone: number;
  readonly stepsTotal: number;
  readonly currentCommand?: CurrentCommand;
  /** Set by a rollback that told the quiesced primary to serve again, until the host answers. */
  readonly reServe?: PendingReServe;
  /** The plan's reservations are held (made by the workflow's first step, released by a rollback). */
  readonly reserved: boolean;
  /** What the workflow reserved: new copies' reservations, and staying copies' before and after their resize. */
  readonly reservations?: { readonly created: readonly Reservation[]; readonly resized: readonly { readonly before: Reservation; readonly after: Reservation }[] };
  /** Set once the first step that clients see has been sent: cancel and merge are refused from then on. */
  readonly pastCutover: boolean;
  readonly cancelRequested: boolean;
  /** A request merged into the target after planning: the workflow re-plans at its next step. */
  readonly replanRequested: boolean;
  readonly coalesced: readonly CoalescedRequest[];
  /** The modification this one waits behind (queued after that one's cutover). */
  readonly queuedBehind?: string;
  readonly statusReason?: string;
  readonly clientToken?: string;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly updatedAt: string;
  /** Optimistic-concurrency counter, as for volumes. */
  readonly version: number;
}

export function parametersOf(volume: VolumeParameters): VolumeParameters {
  return { sizeGiB: volume.sizeGiB, iops: volume.iops, type: volume.type, location: volume.location };
}

export function isFinal(modification: Pick<Modification, 'status'>): boolean {
  return FINAL_MODIFICATION_STATUSES.includes(modification.status);
}

/** Percent done: whole steps, plus the running command's reported share of its step. */
export function progressPercent(modification: Modification, commandFraction: number | undefined): number {
  if (modification.status === ModificationStatus.completed) return 100;
  if (modification.stepsTotal === 0) return 0;
  const done = modification.stepsDone + (modification.currentCommand ? Math.min(Math.max(commandFraction ?? 0, 0), 1) : 0);
  return Math.min(99, Math.floor((100 * done) / modification.stepsTotal));
}

/** What a customer sees: no tenant, token, counters or internal flags. */
export function describeModification(modification: Modification, progress: { readonly percent: number; readonly etaSeconds?: number }) {
  return {
    modificationId: modification.modificationId,
    volumeId: modification.volumeId,
    status: modification.status,
    original: modification.original,
    target: modification.target,
    ...(modification.plan ? { plan: describePlan(modification.plan) } : {}),
    trigger: modification.trigger,
    progressPercent: progress.percent,
    ...(progress.etaSeconds !== undefined ? { etaSeconds: progress.etaSeconds } : {}),
    ...(modification.statusReason !== undefined ? { statusReason: modification.statusReason } : {}),
    coalesced: modification.coalesced,
    ...(modification.queuedBehind !== undefined ? { queuedBehind: modification.queuedBehind } : {}),
    startedAt: modification.startedAt,
    ...(modification.endedAt !== undefined ? { endedAt: modification.endedAt } : {}),
  };
}

export function describePlan(plan: ModificationPlan) {
  if (plan.kind === 'in-place') return { kind: plan.kind, setIops: plan.setIops, grow: plan.grow, moves: [], bytesToCopy: 0 };
  return {
    kind: plan.kind,
    setIops: plan.setIops,
    grow: plan.grow,
    moves: plan.moves.map(({ role, fromHostId, toHostId }) => ({ role, fromHostId, toHostId })),
    bytesToCopy: plan.bytesToCopy,
  };
}

/** The hosts as planning sees them when copies must leave `awayFromHostIds`: those hosts count as unavailable. */
export function hostsAvoiding<H extends { readonly hostId: string; readonly status: string }>(hosts: readonly H[], awayFromHostIds: readonly string[] | undefined): H[] {
  if (!awayFromHostIds || awayFromHostIds.length === 0) return [...hosts];
  return hosts.map((host) => (awayFromHostIds.includes(host.hostId) ? { ...host, status: 'unreachable' } : host));
}
