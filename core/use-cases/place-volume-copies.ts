import { InsufficientCapacityError, InvalidStateError, NotFoundError } from '../errors';
import { newCommandId, newCopyId } from '../ids';
import { placeCopies } from '../placement';
import type { HostRepository, Reservation, VolumeRepository } from '../ports';
import { createRestoredCopyCommand, diskOf, type HostCommandRequest } from '../copy-commands';
import { newReplicationKey } from '../psk-key';
import type { KeyVault } from '../sealed-key';
import { mirrorOf, type Volume } from '../volume';
import { VolumeStatus } from '../volume-status';

export interface PlaceVolumeCopiesDeps {
  readonly volumes: VolumeRepository;
  readonly hosts: HostRepository;
  readonly keys: KeyVault;
  readonly now: () => Date;
}

/** A new replication key for the planned volume's mirror, sealed (a mirror never reuses another's key). */
export async function withMirrorKey(keys: KeyVault, volume: Volume): Promise<Volume> {
  const mirror = mirrorOf(volume);
  if (!mirror) return { ...volume, replicationKey: undefined };
  return { ...volume, replicationKey: await keys.seal(volume.volumeId, newReplicationKey(volume.volumeId, mirror.copyId)) };
}

/** A placement can lose a race for the last free capacity of a host; it is then chosen again. */
export const MAX_PLACEMENT_ATTEMPTS = 3;

export function reservationsFor(volume: Volume): Reservation[] {
  return volume.copies.map((copy) => ({
    hostId: copy.hostId,
    volumeId: volume.volumeId,
    copyId: copy.copyId,
    type: volume.type,
    sizeGiB: volume.sizeGiB,
    iops: volume.iops,
    ...diskOf(copy),
  }));
}

/**
 * Chooses the primary and mirror hosts, records the planned copies on the volume (so a
 * failure can always release them), then reserves capacity on both hosts atomically. Each
 * create-copy command gets its id here (the workflow sends it with that id).
 */
export async function placeVolumeCopies(deps: PlaceVolumeCopiesDeps, volumeId: string): Promise<readonly HostCommandRequest[]> {
  for (let attempt = 1; ; attempt++) {
    const volume = await deps.volumes.get(volumeId);
    if (!volume) throw new NotFoundError(`volume ${volumeId} does not exist`, { volumeId });
    if (volume.status !== VolumeStatus.creating) {
      throw new InvalidStateError(`volume ${volumeId} is ${volume.status}, not creating`, { volumeId });
    }
    await deps.hosts.release(reservationsFor(volume));
    const hosts = await deps.hosts.listInLocation(volume.location);
    const placement = placeCopies(volume, hosts);
    const now = deps.now();
    const copies = placement.map((placed) => ({ copyId: newCopyId(), ...placed }));
    // Command ids chosen now: a restored volume records them, so GET /volumes/{id} can read the fill's progress.
    const commandIds = copies.map(() => newCommandId(now));
    const planned = await withMirrorKey(deps.keys, {
      ...volume,
      copies,
      ...(volume.snapshotId ? { restoreCommands: copies.map((copy, index) => ({ hostId: copy.hostId, commandId: commandIds[index] })) } : {}),
      version: volume.version + 1,
      updatedAt: now.toISOString(),
    });
    await deps.volumes.save(planned);
    try {
      await deps.hosts.reserve(reservationsFor(planned));
    } catch (error) {
      if (error instanceof InsufficientCapacityError && attempt < MAX_PLACEMENT_ATTEMPTS) continue;
      throw error;
    }
    return planned.copies.map((copy, index) => createRestoredCopyCommand(planned, copy, commandIds[index]));
  }
}
