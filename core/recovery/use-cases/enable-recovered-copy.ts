import { transition } from '../../volume-transition';
import type { Volume } from '../../volume';
import { VolumeStatus } from '../../volume-status';
import type { RecoveryDeps } from './recovery-deps';

/**
 * Makes a recovered copy the volume's only in-sync copy and hands it to the fail-over workflow,
 * which serves it as the primary at generation + 1 (fresh client keys, a command issued after its
 * host registered: `resumeInDoubtCopy` in begin-failover.ts), drops the other copies and builds a
 * new mirror; paused clients get the primary back. The copy must be one the record still lists.
 */
export async function enableRecoveredCopy(deps: Pick<RecoveryDeps, 'volumes' | 'failovers'>, volume: Volume, copyId: string, why: string, now: Date): Promise<Volume> {
  const chosen = volume.copies.find((copy) => copy.copyId === copyId);
  if (!chosen) throw new Error(`copy ${copyId} is not a copy of volume ${volume.volumeId}`);
  const copies = volume.copies.map((copy) =>
    copy.copyId === copyId ? { ...copy, inSync: true, inSyncGeneration: volume.generation } : { ...copy, inSync: false },
  );
  const next =
    volume.status === VolumeStatus.impaired
      ? transition(volume, { type: 'recovery-enabled', reason: `recovered copy ${copyId} on host ${chosen.hostId} enabled (${why}); serving it and building a new mirror` }, now, { copies })
      : { ...volume, copies, version: volume.version + 1, updatedAt: now.toISOString() };
  await deps.volumes.save(next);
  await deps.failovers.startFailover(volume.volumeId, copyId, `recovered copy enabled: ${why}`, next.version);
  return next;
}
