import type { Classification, ClassificationInput } from './classify-copy';
import { Verdict } from './classify-copy';
import { RecoveryStateError } from './errors';
import type { SealedKey } from '../sealed-key';
import type { RecoveryTrigger } from './recovery-report';

/**
 * A volume's recovery (docs/recovery.md, "States"):
 *
 *     awaiting-decision ──enable / automatic enable──► enabled (final)
 *     ambiguous ─────────enable {copyId}─────────────► enabled (final)
 *     awaiting-decision | ambiguous ──delete / archive──► deleted (final)
 *     quarantined ──every quarantined copy deleted──► closed (final)
 *
 * `awaiting-decision`: an authoritative copy is held read-only with client I/O paused;
 * `ambiguous`: two returning copies diverged, neither is served; `quarantined`: only
 * non-authoritative copies came back (the volume itself is fine), they wait for their deletion.
 * A returning twin can move `awaiting-decision` to `ambiguous` (it diverged) or to `enabled`
 * (identical: the automatic re-enable).
 */
export const RecoveryState = {
  awaitingDecision: 'awaiting-decision',
  ambiguous: 'ambiguous',
  quarantined: 'quarantined',
  enabled: 'enabled',
  deleted: 'deleted',
  closed: 'closed',
} as const;
export type RecoveryState = (typeof RecoveryState)[keyof typeof RecoveryState];
export const FINAL_RECOVERY_STATES: readonly RecoveryState[] = [RecoveryState.enabled, RecoveryState.deleted, RecoveryState.closed];
/** States in which the owner is asked to decide (the volume is `impaired`). */
export const OPEN_RECOVERY_STATES: readonly RecoveryState[] = [RecoveryState.awaitingDecision, RecoveryState.ambiguous];

/**
 * What happens to a returning copy: `read-only` held with its data readable through the admin
 * export only; `quarantined` no I/O at all until `deleteAfter`; `serving` the copy is the
 * volume's primary again; `deleting` its host was told to delete it; `deleted` it is gone.
 */
export const CopyDisposition = {
  readOnly: 'read-only',
  quarantined: 'quarantined',
  serving: 'serving',
  deleting: 'deleting',
} as const;
export type CopyDisposition = (typeof CopyDisposition)[keyof typeof CopyDisposition];

/** One returning copy with its verdict and the inputs it was decided from (the proof). */
export interface RecoveredCopy {
  readonly hostId: string;
  readonly copyId: string;
  readonly role: 'primary' | 'mirror';
  readonly generation: number;
  readonly trigger: RecoveryTrigger;
  readonly reportedAt: string;
  readonly classification: Classification;
  readonly proof: ClassificationInput;
  readonly disposition: CopyDisposition;
  /** For a quarantined copy: when it is deleted. */
  readonly deleteAfter?: string;
}

export const RECOVERY_ACTIONS = ['enable', 'snapshot', 'archive', 'delete'] as const;
export type RecoveryAction = (typeof RECOVERY_ACTIONS)[number];

/** A decision taken, by the owner or by the control plane on its own, with what it rested on. */
export interface RecoveryDecision {
  readonly action: RecoveryAction;
  readonly by: 'owner' | 'automatic';
  readonly at: string;
  readonly copyId?: string;
  readonly why: string;
}

export interface VolumeRecovery {
  readonly volumeId: string;
  readonly tenantId: string;
  readonly state: RecoveryState;
  readonly copies: readonly RecoveredCopy[];
  /** When the owner's time to decide ends (an open recovery only). */
  readonly autoArchiveAt?: string;
  readonly decisions: readonly RecoveryDecision[];
  /** The read-only admin export handed out last, its key sealed (never stored in clear). */
  readonly access?: { readonly copyId: string; readonly hostId: string; readonly key: SealedKey; readonly expiresAt: string };
  readonly accessExpiresAt?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

/** The state the copies' verdicts call for, before any decision. */
export function stateFromCopies(copies: readonly RecoveredCopy[]): RecoveryState {
  const held = copies.filter((copy) => copy.disposition === CopyDisposition.readOnly);
  if (held.some((copy) => copy.classification.verdict === Verdict.ambiguous)) return RecoveryState.ambiguous;
  if (held.some((copy) => copy.classification.verdict === Verdict.authoritative)) return RecoveryState.awaitingDecision;
  return RecoveryState.quarantined;
}

function refuse(state: RecoveryState, what: string): never {
  throw new RecoveryStateError(`a recovery that is ${state} cannot take '${what}'`, { state, event: what });
}

/** What moves a recovery along; the one exhaustive transition below decides each. */
export type RecoveryEvent =
  | { readonly type: 'copy-classified'; readonly copy: RecoveredCopy }
  | { readonly type: 'enabled'; readonly copyId: string; readonly decision: RecoveryDecision }
  | { readonly type: 'deleted'; readonly decision: RecoveryDecision }
  | { readonly type: 'copy-deleting'; readonly copyId: string; readonly hostId: string };

/** `next` as it is written over `read` (the version it was read at, none for a new recovery): one version later. */
export function toSave(read: VolumeRecovery | undefined, next: VolumeRecovery): VolumeRecovery {
  return { ...next, version: (read?.version ?? 0) + 1 };
}

/**
 * The recovery after `event` (written with toSave, however many events it took). A copy classified after the recovery was
 * decided (enabled or deleted) is quarantined whatever its verdict: the decision stands.
 */
export function applyRecoveryEvent(recovery: VolumeRecovery, event: RecoveryEvent, now: Date): VolumeRecovery {
  const at = now.toISOString();
  const next = (changes: Partial<VolumeRecovery>): VolumeRecovery => ({ ...recovery, ...changes, updatedAt: at });
  switch (event.type) {
    case 'copy-classified': {
      const others = recovery.copies.filter((copy) => !(copy.copyId === event.copy.copyId && copy.hostId === event.copy.hostId));
      if (FINAL_RECOVERY_STATES.includes(recovery.state) && recovery.state !== RecoveryState.closed) {
        const kept = { ...event.copy, disposition: CopyDisposition.quarantined };
        return next({ copies: [...others, kept] });
      }
      const copies = [...others, event.copy];
      return next({ copies, state: stateFromCopies(copies) });
    }
    case 'enabled': {
      if (!OPEN_RECOVERY_STATES.includes(recovery.state)) return refuse(recovery.state, event.type);
      const chosen = recovery.copies.find((copy) => copy.copyId === event.copyId && copy.disposition === CopyDisposition.readOnly);
      if (!chosen) throw new RecoveryStateError(`copy ${event.copyId} is not a recovered copy of this volume that can be enabled`, { copyId: event.copyId });
      if (chosen.classification.verdict === Verdict.nonAuthoritative) refuse(recovery.state, event.type);
      const copies = recovery.copies.map((copy) => {
        if (copy === chosen) return { ...copy, disposition: CopyDisposition.serving };
        if (copy.disposition === CopyDisposition.readOnly) return { ...copy, disposition: CopyDisposition.quarantined, deleteAfter: at };
        return copy;
      });
      return next({ copies, state: RecoveryState.enabled, autoArchiveAt: undefined, decisions: [...recovery.decisions, event.decision] });
    }
    case 'deleted': {
      if (!OPEN_RECOVERY_STATES.includes(recovery.state)) return refuse(recovery.state, event.type);
      const copies = recovery.copies.map((copy) => (copy.disposition === CopyDisposition.deleting ? copy : { ...copy, disposition: CopyDisposition.deleting }));
      return next({ copies, state: RecoveryState.deleted, autoArchiveAt: undefined, decisions: [...recovery.decisions, event.decision] });
    }
    case 'copy-deleting': {
      const copies = recovery.copies.map((copy) =>
        copy.copyId === event.copyId && copy.hostId === event.hostId ? { ...copy, disposition: CopyDisposition.deleting, deleteAfter: undefined } : copy,
      );
      const waiting = copies.some((copy) => copy.disposition === CopyDisposition.quarantined || copy.disposition === CopyDisposition.readOnly);
      const state = recovery.state === RecoveryState.quarantined && !waiting ? RecoveryState.closed : recovery.state;
      return next({ copies, state });
    }
    default: {
      const unknown: never = event;
      throw new Error(`unhandled recovery event ${JSON.stringify(unknown)}`);
    }
  }
}

/** A new recovery for a volume, before its first copy is classified. */
export function newRecovery(volumeId: string, tenantId: string, now: Date): VolumeRecovery {
  const at = now.toISOString();
  return { volumeId, tenantId, state: RecoveryState.quarantined, copies: [], decisions: [], createdAt: at, updatedAt: at, version: 0 };
}
