import { deleteCopyCommand } from '../copy-commands';
import { NotFoundError } from '../errors';
import type { HostCommandQueue, HostRepository, VolumeRepository } from '../ports';
import { reservationsFor } from './place-volume-copies';
import { sendHostCommand } from './send-host-command';

export interface ReleasePlacementDeps {
  readonly volumes: VolumeRepository;
  readonly hosts: HostRepository;
  readonly commands: HostCommandQueue;
  readonly now: () => Date;
}

/**
 * Frees what the volume's copies reserved on their hosts. After a failed creation it also
 * asks each host to delete whatever part of its copy it may have built (agents treat
 * deleting a copy they do not hold as done).
 */
export async function releasePlacement(deps: ReleasePlacementDeps, volumeId: string, cleanUpCopies: boolean) {
  const volume = await deps.volumes.get(volumeId);
  if (!volume) throw new NotFoundError(`volume ${volumeId} does not exist`, { volumeId });
  const reservations = reservationsFor(volume);
  await deps.hosts.release(reservations);
  if (cleanUpCopies) {
    for (const copy of volume.copies) {
      await sendHostCommand(deps.commands, deleteCopyCommand(volumeId, copy, volume.generation), deps.now());
    }
  }
  return { volumeId, released: reservations.map(({ hostId, copyId }) => ({ hostId, copyId })) };
}
