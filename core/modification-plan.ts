import { InsufficientCapacityError, InvalidStateError } from './errors';
import { freeGiB, freeIops, HostStatus, type Host } from './host';
import type { CopyMove, ModificationPlan, VolumeParameters } from './modification';
import { diskCanTake, placesPerDisk } from './disk-placement';
import { rankHosts, refusalsIn, type RankedHost } from './placement';
import { diskOf } from './copy-commands';
import type { Reservation } from './ports';
import { mirrorOf, primaryOf, type Volume, type VolumeCopy } from './volume';

const GIB = 1024 ** 3;

/**
 * Plans a modification of `volume` to `target` against the hosts of the target location (pure).
 * A copy stays on its host when the host is active in the target location and can take the extra
 * size and committed IOPS, both in its pool of the volume's type and on the disk that holds the copy
 * (core/disk-placement.ts); when both stay the plan is in place.
 * A type or location change moves every copy; otherwise only the copies that cannot stay move,
 * each to one host that can hold all of it (its own host first, for a disk of the new type; never
 * the host of the copy it will be paired with). The primary moves first, then the mirror, each
 * filled from the mirror. A copy no single host can hold is refused: splitting a volume across
 * hosts is not supported. Admission control is this check; reservations follow it (planReservations).
 */
export function planModification(volume: Volume, target: VolumeParameters, hosts: readonly Host[], newCopyId: () => string): ModificationPlan {
  const primary = primaryOf(volume);
  const mirror = mirrorOf(volume);
  if (!primary || !mirror) {
    throw new InvalidStateError(`volume ${volume.volumeId} needs both its primary and its mirror to be modified`, { volumeId: volume.volumeId });
  }
  const sizeDelta = target.sizeGiB - volume.sizeGiB;
  const iopsDelta = target.iops - volume.iops;
  const relocates = target.type !== volume.type || target.location !== volume.location;
  const byId = new Map(hosts.map((host) => [host.hostId, host]));
  const canStay = (copy: VolumeCopy): boolean => {
    if (relocates) return false;
    const host = byId.get(copy.hostId);
    const disk = host?.capacity[volume.type];
    return (
      host?.status === HostStatus.active &&
      host.location === target.location &&
      disk !== undefined &&
      freeGiB(disk) >= sizeDelta &&
      freeIops(disk) >= iopsDelta &&
      (copy.deviceId === undefined || !placesPerDisk(host) || diskCanTake(host, copy.deviceId, sizeDelta, iopsDelta))
    );
  };
  const grow = sizeDelta > 0;
  const setIops = iopsDelta !== 0;
  const primaryStays = canStay(primary);
  const mirrorStays = canStay(mirror);
  if (primaryStays && mirrorStays) return { kind: 'in-place', setIops, grow };

  const moves: CopyMove[] = [];
  let pairedHostId: string;
  if (!primaryStays) {
    const to = chooseHost(volume, target, hosts, primary, [mirror.hostId]);
    moves.push({ replacesCopyId: primary.copyId, role: 'primary', fromHostId: primary.hostId, ...destinationOf(to), newCopyId: newCopyId() });
    pairedHostId = to.hostId;
  } else {
    pairedHostId = primary.hostId;
  }
  if (!mirrorStays) {
    const to = chooseHost(volume, target, hosts, mirror, [pairedHostId]);
    moves.push({ replacesCopyId: mirror.copyId, role: 'mirror', fromHostId: mirror.hostId, ...destinationOf(to), newCopyId: newCopyId() });
  }
  return { kind: 'migrate', moves, setIops, grow, bytesToCopy: moves.length * volume.sizeGiB * GIB };
}

const destinationOf = (ranked: RankedHost): { toHostId: string; toDeviceId?: string } => ({
  toHostId: ranked.hostId,
  ...(ranked.deviceId === undefined ? {} : { toDeviceId: ranked.deviceId }),
});

/** The copy's own host when it fits the whole target (a disk of the new type), else the best-ranked one. */
function chooseHost(volume: Volume, target: VolumeParameters, hosts: readonly Host[], copy: VolumeCopy, excludedHostIds: readonly string[]): RankedHost {
  const ranked = rankHosts(target, hosts, excludedHostIds);
  const own = ranked.find((candidate) => candidate.hostId === copy.hostId);
  const chosen = own ?? ranked[0];
  if (!chosen) {
    const role = copy.role === 'primary' ? 'primary' : 'mirror';
    throw new InsufficientCapacityError(
      `no single active host in ${target.location} can hold the ${role} copy as ${target.sizeGiB} GiB ${target.type} with ${target.iops} IOPS ` +
        `(besides the host of the other copy): ${refusalsIn(target, hosts, excludedHostIds)}; splitting a volume across hosts is not supported yet`,
      { volumeId: volume.volumeId, role, location: target.location, type: target.type, sizeGiB: target.sizeGiB, iops: target.iops, excludedHostIds },
    );
  }
  return chosen;
}

/**
 * What the plan reserves before anything runs: each new copy the whole target on its new host;
 * each staying copy its reservation changed to the target size and IOPS (`resize`).
 */
export function planReservations(volume: Volume, target: VolumeParameters, plan: ModificationPlan): { reserve: Reservation[]; resize: Reservation[] } {
  const moves = plan.kind === 'migrate' ? plan.moves : [];
  const reserve = moves.map((move) => ({
    hostId: move.toHostId,
    volumeId: volume.volumeId,
    copyId: move.newCopyId,
    type: target.type,
    sizeGiB: target.sizeGiB,
    iops: target.iops,
    ...(move.toDeviceId === undefined ? {} : { deviceId: move.toDeviceId }),
  }));
  const resize = volume.copies
    .filter((copy) => (copy.role === 'primary' || copy.role === 'mirror') && !moves.some((move) => move.replacesCopyId === copy.copyId))
    .map((copy) => ({ hostId: copy.hostId, volumeId: volume.volumeId, copyId: copy.copyId, type: volume.type, sizeGiB: target.sizeGiB, iops: target.iops, ...diskOf(copy) }));
  return { reserve, resize };
}
