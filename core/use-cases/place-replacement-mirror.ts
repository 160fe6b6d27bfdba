import { createCopyCommand, type HostCommandRequest } from '../copy-commands';
import { InsufficientCapacityError, NotFoundError } from '../errors';
import { newCopyId } from '../ids';
import { placeReplacementMirror } from '../placement';
import type { HostRepository, VolumeRepository } from '../ports';
import type { KeyVault } from '../sealed-key';
import type { Volume } from '../volume';
import { SERVING_STATUSES } from '../volume-status';
import { MAX_PLACEMENT_ATTEMPTS, reservationsFor, withMirrorKey } from './place-volume-copies';

export interface PlaceReplacementMirrorDeps {
  readonly volumes: VolumeRepository;
  readonly hosts: HostRepository;
  readonly keys: KeyVault;
  readonly now: () => Date;
}

/**
 * Picks a host for a new mirror (not the primary's, not the lost one's), mints its replication key,
 * reserves it and returns its create-copy command; places nothing for a volume no longer served
 * (deleted or being deleted meanwhile), which it returns as `notServed`.
 */
export async function placeMirrorReplacement(
  deps: PlaceReplacementMirrorDeps,
  volumeId: string,
  lostHostId: string,
): Promise<{ readonly command: HostCommandRequest } | { readonly notServed: Volume }> {
  for (let attempt = 1; ; attempt++) {
    const volume = await deps.volumes.get(volumeId);
    if (!volume) throw new NotFoundError(`volume ${volumeId} does not exist`, { volumeId });
    if (!SERVING_STATUSES.includes(volume.status)) return { notServed: volume };
    const copies = volume.copies.filter((copy) => copy.role === 'primary');
    const abandoned = volume.copies.filter((copy) => copy.role !== 'primary');
    await deps.hosts.release(abandoned.map((copy) => ({ hostId: copy.hostId, volumeId, copyId: copy.copyId })));
    const excluded = [lostHostId, ...copies.map((copy) => copy.hostId)];
    const placed = placeReplacementMirror(volume, await deps.hosts.listInLocation(volume.location), excluded);
    const mirror = { copyId: newCopyId(), ...placed, role: 'mirror' as const };
    const planned = await withMirrorKey(deps.keys, { ...volume, copies: [...copies, mirror], version: volume.version + 1, updatedAt: deps.now().toISOString() });
    await deps.volumes.save(planned);
    try {
      await deps.hosts.reserve(reservationsFor(planned).filter((r) => r.copyId === mirror.copyId));
    } catch (error) {
      if (error instanceof InsufficientCapacityError && attempt < MAX_PLACEMENT_ATTEMPTS) continue;
      throw error;
    }
    return { command: createCopyCommand(planned, mirror) };
  }
}
