import type { CopyRole } from '../volume';
import { isUsable, sameData, differingChunks, type ScannedCopy } from './recovery-report';

/** What the classifier decides about one returning copy (docs/recovery.md, "Classification"). */
export const Verdict = {
  authoritative: 'authoritative',
  nonAuthoritative: 'non-authoritative',
  ambiguous: 'ambiguous',
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** The rule that decided, in the order they are tried; each is a row of the classification table. */
export const CLASSIFICATION_RULES = [
  'volume-gone',
  'live-copy-elsewhere',
  'dropped-from-record',
  'unhealthy',
  'ahead-of-record',
  'behind',
  'diverged-twin',
  'identical-twin',
  'sole-survivor',
] as const;
export type ClassificationRule = (typeof CLASSIFICATION_RULES)[number];

/** A copy as the volume record lists it. */
export interface RecordedCopy {
  readonly copyId: string;
  readonly hostId: string;
  readonly role: CopyRole;
  readonly inSync: boolean;
  readonly inSyncGeneration?: number;
  /** The copy came back from a failure itself and is held by a recovery: it serves nobody, so it is no live evidence. */
  readonly heldInRecovery: boolean;
}

/** What the host records say about a host that holds one of the volume's copies. */
export interface HostFacts {
  readonly active: boolean;
  /** The host itself reported a recovery and has not finished it: its copies are not live evidence. */
  readonly inRecovery: boolean;
}

/** A copy of the same volume that another returning host reported. */
export interface ReturningTwin {
  readonly hostId: string;
  readonly copy: ScannedCopy;
}

/** Everything the classifier looks at; stored as it was with the verdict (the proof). */
export interface ClassificationInput {
  readonly hostId: string;
  readonly copy: ScannedCopy;
  /** Absent when no volume with that id exists any more. */
  readonly volume?: {
    readonly status: string;
    readonly generation: number;
    readonly copies: readonly RecordedCopy[];
  };
  /** Facts about every host the record names, by host id. */
  readonly hosts: Readonly<Record<string, HostFacts>>;
  /** The volume's other copies reported in recovery (by other hosts), as reported. */
  readonly twins: readonly ReturningTwin[];
}

export interface Classification {
  readonly verdict: Verdict;
  readonly rule: ClassificationRule;
  readonly reason: string;
  /** The generation this copy is judged at: its own, or the record's when the record vouches for it in sync there. */
  readonly effectiveGeneration: number;
  /** The highest generation any record or report knows. */
  readonly highestKnownGeneration: number;
  /** Nothing counts on the copy: it may be deleted without a quarantine. */
  readonly deleteAtOnce: boolean;
  /** For `identical-twin`: the twin whose digest equals this copy's, the proof that no acknowledged write is missing. */
  readonly identicalTo?: { readonly hostId: string; readonly copyId: string };
  /** For `diverged-twin`: the twin and the chunks that differ. */
  readonly divergedFrom?: { readonly hostId: string; readonly copyId: string; readonly chunks: readonly number[] };
}

const SERVING_ROLES: readonly CopyRole[] = ['primary', 'mirror'];
const GONE_STATUSES = ['deleting', 'deleted'];

/** The generation a reported copy stands for: the record may vouch for a later one (it promoted the copy while its host was away). */
function effectiveGenerationOf(input: Pick<ClassificationInput, 'volume'>, hostId: string, copy: ScannedCopy): number {
  const recorded = input.volume?.copies.find((entry) => entry.copyId === copy.copyId && entry.hostId === hostId);
  const vouched = recorded?.inSync && recorded.inSyncGeneration === input.volume?.generation ? recorded.inSyncGeneration : undefined;
  return Math.max(copy.generation, vouched ?? 0);
}

/**
 * Classifies one returning copy. Pure: the same input always gives the same verdict, so the
 * input stored with it is the proof anyone can check. The rules are tried in the order of
 * CLASSIFICATION_RULES; the first that applies decides.
 */
export function classifyCopy(input: ClassificationInput): Classification {
  const { copy, volume, hostId } = input;
  const effective = effectiveGenerationOf(input, hostId, copy);
  const recordedTwins = input.twins.filter((twin) =>
    volume?.copies.some((entry) => entry.copyId === twin.copy.copyId && entry.hostId === twin.hostId && SERVING_ROLES.includes(entry.role)),
  );
  const twinGenerations = recordedTwins.map((twin) => effectiveGenerationOf(input, twin.hostId, twin.copy));
  const highest = Math.max(volume?.generation ?? 0, effective, ...twinGenerations);
  const verdict = (v: Verdict, rule: ClassificationRule, reason: string, extra: Partial<Classification> = {}): Classification => ({
    verdict: v,
    rule,
    reason,
    effectiveGeneration: effective,
    highestKnownGeneration: highest,
    deleteAtOnce: false,
    ...extra,
  });

  if (!volume || GONE_STATUSES.includes(volume.status)) {
    return verdict(Verdict.nonAuthoritative, 'volume-gone', `volume ${copy.volumeId} no longer exists; nothing counts on this copy`, { deleteAtOnce: true });
  }
  const live = volume.copies.find((entry) => {
    const host = input.hosts[entry.hostId];
    return (
      entry.hostId !== hostId &&
      SERVING_ROLES.includes(entry.role) &&
      entry.inSync &&
      entry.inSyncGeneration === volume.generation &&
      !entry.heldInRecovery &&
      host?.active === true &&
      !host.inRecovery
    );
  });
  if (live && volume.generation >= effective) {
    return verdict(
      Verdict.nonAuthoritative,
      'live-copy-elsewhere',
      `the ${live.role} on host ${live.hostId} is live and in sync at generation ${volume.generation} (this copy: ${effective}); this copy is quarantined`,
    );
  }
  const recorded = volume.copies.find((entry) => entry.copyId === copy.copyId && entry.hostId === hostId && SERVING_ROLES.includes(entry.role));
  if (!recorded) {
    return verdict(Verdict.nonAuthoritative, 'dropped-from-record', `the volume no longer counts on copy ${copy.copyId} on host ${hostId} (a fail-over dropped it); it is quarantined`);
  }
  if (!isUsable(copy)) {
    const problem = !copy.health.readable ? 'its data is not readable' : !copy.health.metadataConsistent ? 'its metadata is inconsistent' : 'it sent no digest';
    return verdict(Verdict.nonAuthoritative, 'unhealthy', `the copy cannot be served: ${problem}; it is quarantined`);
  }
  if (effective > volume.generation) {
    return verdict(
      Verdict.ambiguous,
      'ahead-of-record',
      `the copy claims generation ${effective}, later than the record's ${volume.generation}; no rule trusts a claim the record does not know`,
    );
  }
  if (effective < highest) {
    return verdict(Verdict.nonAuthoritative, 'behind', `the copy is at generation ${effective}; generation ${highest} is known, so the copy may miss acknowledged writes; it is quarantined`);
  }
  const peers = recordedTwins.filter((twin, index) => twinGenerations[index] === effective && isUsable(twin.copy));
  const diverged = peers.find((twin) => !sameData(copy, twin.copy));
  if (diverged) {
    const chunks = copy.sizeBytes === diverged.copy.sizeBytes && diverged.copy.digest && copy.digest ? differingChunks(copy.digest, diverged.copy.digest) : [];
    return verdict(
      Verdict.ambiguous,
      'diverged-twin',
      `copy ${diverged.copy.copyId} on host ${diverged.hostId} came back at the same generation ${effective} with different data; neither is served until the owner decides`,
      { divergedFrom: { hostId: diverged.hostId, copyId: diverged.copy.copyId, chunks } },
    );
  }
  const identical = peers[0];
  if (identical) {
    return verdict(
      Verdict.authoritative,
      'identical-twin',
      `copy ${identical.copy.copyId} on host ${identical.hostId} came back at generation ${effective} with identical data: no acknowledged write can be missing`,
      { identicalTo: { hostId: identical.hostId, copyId: identical.copy.copyId } },
    );
  }
  return verdict(
    Verdict.authoritative,
    'sole-survivor',
    `no live copy is in sync and this copy has the highest known generation ${effective}; it is recovered read-only with client I/O paused`,
  );
}
