import { deleteCopyCommand } from '../../copy-commands';
import { HostStatus } from '../../host';
import type { Volume } from '../../volume';
import { SERVING_STATUSES, VolumeStatus } from '../../volume-status';
import { transition } from '../../volume-transition';
import { sendHostCommand } from '../../use-cases/send-host-command';
import { reportLostCopies } from '../../use-cases/detect-lost-copies';
import { classifyCopy, Verdict, type ClassificationInput, type HostFacts } from '../classify-copy';
import type { RecoveryTrigger, ScannedCopy } from '../recovery-report';
import {
  applyRecoveryEvent,
  CopyDisposition,
  newRecovery,
  OPEN_RECOVERY_STATES,
  RecoveryState,
  toSave,
  type RecoveredCopy,
  type VolumeRecovery,
} from '../volume-recovery';
import { enableRecoveredCopy } from './enable-recovered-copy';
import type { RecoveryDeps } from './recovery-deps';

/** What the reporting host is told about one copy. */
export interface CopyAnswer {
  readonly volumeId: string;
  readonly copyId: string;
  readonly verdict: Verdict;
  readonly rule: string;
  /** `hold-read-only`: keep it, no client I/O (an admin export may be asked for); `quarantine`: keep it, no I/O at all; `delete`: a delete-copy command follows. */
  readonly action: 'hold-read-only' | 'quarantine' | 'delete';
}

const SERVING_ROLES = ['primary', 'mirror'];
const IMPAIRABLE: readonly string[] = [...SERVING_STATUSES, VolumeStatus.impaired, VolumeStatus.error];

/** The classifier's input for `copy`, from the records as they are now. */
async function inputFor(
  deps: Pick<RecoveryDeps, 'hosts'>,
  hostId: string,
  copy: ScannedCopy,
  volume: Volume | undefined,
  recovery: VolumeRecovery | undefined,
  reportingHosts: readonly string[],
): Promise<ClassificationInput> {
  const held = (recovery?.copies ?? []).filter((entry) => entry.disposition === CopyDisposition.readOnly || entry.disposition === CopyDisposition.quarantined);
  const hosts: Record<string, HostFacts> = {};
  for (const entry of volume?.copies ?? []) {
    const host = await deps.hosts.get(entry.hostId);
    hosts[entry.hostId] = { active: host?.status === HostStatus.active, inRecovery: reportingHosts.includes(entry.hostId) || entry.hostId === hostId };
  }
  return {
    hostId,
    copy,
    ...(volume
      ? {
          volume: {
            status: volume.status,
            generation: volume.generation,
            copies: volume.copies.map((entry) => ({
              copyId: entry.copyId,
              hostId: entry.hostId,
              role: entry.role,
              inSync: entry.inSync === true,
              ...(entry.inSyncGeneration !== undefined ? { inSyncGeneration: entry.inSyncGeneration } : {}),
              heldInRecovery: held.some((h) => h.copyId === entry.copyId && h.hostId === entry.hostId),
            })),
          },
        }
      : {}),
    hosts,
    twins: (recovery?.copies ?? [])
      .filter((entry) => entry.disposition === CopyDisposition.readOnly && !(entry.copyId === copy.copyId && entry.hostId === hostId))
      .map((entry) => ({ hostId: entry.hostId, copy: entry.proof.copy })),
  };
}

function recoveredCopy(hostId: string, copy: ScannedCopy, trigger: RecoveryTrigger, input: ClassificationInput, now: Date, quarantineSeconds: number): RecoveredCopy {
  const classification = classifyCopy(input);
  const at = now.toISOString();
  const base = { hostId, copyId: copy.copyId, role: copy.role, generation: copy.generation, trigger, reportedAt: at, classification, proof: input };
  if (classification.verdict !== Verdict.nonAuthoritative) return { ...base, disposition: CopyDisposition.readOnly };
  const deleteAfter = new Date(now.getTime() + (classification.deleteAtOnce ? 0 : quarantineSeconds * 1000)).toISOString();
  return { ...base, disposition: CopyDisposition.quarantined, deleteAfter };
}

/**
 * Classifies one copy a returning host reported and records the verdict with its proof on the
 * volume's recovery. The other copies held read-only are classified again with this one as a
 * twin (a twin that diverged makes both ambiguous). When a twin proves the data identical, the
 * held copy is enabled at once (the automatic re-enable) and the proof stored with the decision.
 * An open recovery makes the volume `impaired` with the reason and starts the owner's clock.
 */
export async function classifyReturningCopy(deps: RecoveryDeps, hostId: string, copy: ScannedCopy, trigger: RecoveryTrigger, reportingHosts: readonly string[]): Promise<CopyAnswer> {
  const now = deps.now();
  const volume = await deps.volumes.get(copy.volumeId);
  const stored = await deps.recoveries.get(copy.volumeId);
  const input = await inputFor(deps, hostId, copy, volume, stored, reportingHosts);
  const reported = recoveredCopy(hostId, copy, trigger, input, now, deps.policy.quarantineSeconds);
  const answer = (entry: RecoveredCopy): CopyAnswer => ({
    volumeId: copy.volumeId,
    copyId: copy.copyId,
    verdict: entry.classification.verdict,
    rule: entry.classification.rule,
    action: entry.disposition === CopyDisposition.readOnly ? 'hold-read-only' : entry.classification.deleteAtOnce ? 'delete' : 'quarantine',
  });
  if (!volume) {
    // Nobody owns a copy of a volume that is gone: no recovery record, the copy is deleted now.
    await sendHostCommand(deps.commands, deleteCopyCommand(copy.volumeId, { hostId, copyId: copy.copyId }, copy.generation), now);
    return answer(reported);
  }

  let recovery = applyRecoveryEvent(stored ?? newRecovery(volume.volumeId, volume.tenantId, now), { type: 'copy-classified', copy: reported }, now);
  for (const other of recovery.copies) {
    if (other.disposition !== CopyDisposition.readOnly || (other.copyId === copy.copyId && other.hostId === hostId)) continue;
    const again = await inputFor(deps, other.hostId, other.proof.copy, volume, recovery, reportingHosts);
    const reclassified = { ...other, classification: classifyCopy(again), proof: again };
    if (reclassified.classification.rule !== other.classification.rule) recovery = applyRecoveryEvent(recovery, { type: 'copy-classified', copy: reclassified }, now);
  }
  const entry = recovery.copies.find((c) => c.copyId === copy.copyId && c.hostId === hostId) ?? reported;
  const identical = entry.classification.identicalTo;
  const opened = OPEN_RECOVERY_STATES.includes(recovery.state);
  if (opened && !recovery.autoArchiveAt) recovery = { ...recovery, autoArchiveAt: new Date(now.getTime() + deps.policy.autoArchiveSeconds * 1000).toISOString() };

  const enableTarget = identical && recovery.state === RecoveryState.awaitingDecision ? recovery.copies.find((c) => c.copyId === identical.copyId && c.hostId === identical.hostId) : undefined;
  if (enableTarget) {
    const why = `copy ${copy.copyId} on host ${hostId} returned with data identical to copy ${enableTarget.copyId} on host ${enableTarget.hostId} at generation ${entry.classification.effectiveGeneration} (chunk digests equal): no acknowledged write can be missing`;
    recovery = applyRecoveryEvent(recovery, { type: 'enabled', copyId: enableTarget.copyId, decision: { action: 'enable', by: 'automatic', at: now.toISOString(), copyId: enableTarget.copyId, why } }, now);
  }
  await deps.recoveries.save(toSave(stored, recovery));

  await deps.events.append({
    volumeId: volume.volumeId,
    tenantId: volume.tenantId,
    type: 'copy-classified',
    at: now.toISOString(),
    message: `copy ${copy.copyId} on host ${hostId} is ${entry.classification.verdict} (${entry.classification.rule}): ${entry.classification.reason}`,
    details: { copyId: copy.copyId, hostId, classification: entry.classification },
  });
  if (enableTarget) {
    const decision = recovery.decisions[recovery.decisions.length - 1];
    await enableIfListed(deps, volume, enableTarget.copyId, decision?.why ?? 'identical twin', now);
    await deps.events.append({
      volumeId: volume.volumeId, tenantId: volume.tenantId, type: 'recovery-decided', at: now.toISOString(),
      message: `recovery enabled automatically: ${decision?.why ?? ''}`, details: { decision },
    });
  } else if (OPEN_RECOVERY_STATES.includes(recovery.state)) {
    await impair(deps, volume, recovery, now);
  }
  await failOverIfStillCounted(deps, volume, hostId, entry);
  return answer(entry);
}

/**
 * A copy quarantined because a live copy is in sync elsewhere, that the record still counts on
 * (the host's agent crashed while its volume went on without a fail-over), will serve nobody:
 * the volume fails over off it, as for any lost copy, so the live copy serves and a new one is
 * built. Without this the record would name a copy that no daemon serves, forever.
 */
async function failOverIfStillCounted(deps: RecoveryDeps, volume: Volume, hostId: string, entry: RecoveredCopy): Promise<void> {
  if (entry.classification.rule !== 'live-copy-elsewhere') return;
  if (!volume.copies.some((c) => c.copyId === entry.copyId && c.hostId === hostId && SERVING_ROLES.includes(c.role))) return;
  const reason = `host ${hostId} came back from an unclean shutdown; its copy is quarantined (${entry.classification.reason})`;
  await reportLostCopies(deps.failovers, [{ volumeId: volume.volumeId, copyId: entry.copyId, reason, volumeVersion: volume.version }]);
}

/** An open recovery makes the volume `impaired` with why (once per reason). */
async function impair(deps: RecoveryDeps, volume: Volume, recovery: VolumeRecovery, now: Date): Promise<void> {
  const reason =
    recovery.state === RecoveryState.ambiguous
      ? 'recovery: returning copies diverged at the same generation; neither is served until the owner decides (GET /volumes/{id}/recovery)'
      : 'recovery: a host failure left this copy as the only one with every acknowledged write; it is read-only with client I/O paused until the owner decides (GET /volumes/{id}/recovery)';
  if (volume.status === VolumeStatus.impaired && volume.statusReason === reason) return;
  // A volume being created or deleted has its own workflow; its recovery is recorded, the status left alone.
  if (!IMPAIRABLE.includes(volume.status)) return;
  await deps.volumes.save(transition(volume, { type: 'recovery-impaired', reason }, now));
  await deps.events.append({ volumeId: volume.volumeId, tenantId: volume.tenantId, type: 'volume-impaired', at: now.toISOString(), message: reason, details: { state: recovery.state } });
}

async function enableIfListed(deps: RecoveryDeps, volume: Volume, copyId: string, why: string, now: Date): Promise<void> {
  if (!volume.copies.some((c) => c.copyId === copyId && SERVING_ROLES.includes(c.role))) return;
  await enableRecoveredCopy(deps, volume, copyId, why, now);
}
