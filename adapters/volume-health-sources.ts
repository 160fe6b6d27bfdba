import type { FormerDependent } from '../core/health/dependency-memory';
import type { CopySignal } from '../core/health/host-signals';
import type { DependencyMap, HostDependent, VolumeSignals } from '../core/health/ports';
import type { TenantVolume } from '../core/health/tenant-dependencies';
import type { HostRepository, Reservation, VolumeRepository } from '../core/ports';
import type { Volume } from '../core/volume';
import { VolumeStatus } from '../core/volume-status';

/**
 * The health evaluation's view of volumes, read through the hosts' reservations (one per copy on
 * the host) and the volume records: which tenants depend on a host, and what the copies there say
 * (a mirror out of sync, a fail-over under way), and which volumes' copies left it lately (their
 * released reservations, remembered by the hosts table). Recovery events plug in here as more signals.
 */
export class VolumeHealthSources implements DependencyMap, VolumeSignals {
  constructor(
    private readonly hosts: HostRepository,
    private readonly volumes: VolumeRepository,
  ) {}

  /**
   * The copies reserved on the host, each with its live volume. The reservation, not the copy list:
   * a fail-over takes a lost copy off the volume at once, but the volume depended on the host until
   * its reservation there is released.
   */
  private async reservedOn(hostId: string): Promise<{ reservation: Reservation; volume: Volume }[]> {
    const reservations = await this.hosts.reservationsOf(hostId);
    const volumeIds = [...new Set(reservations.map((reservation) => reservation.volumeId))];
    const volumes = new Map((await Promise.all(volumeIds.map((volumeId) => this.volumes.get(volumeId)))).flatMap((volume) => (volume && volume.status !== VolumeStatus.deleted ? [[volume.volumeId, volume] as const] : [])));
    return reservations.flatMap((reservation) => {
      const volume = volumes.get(reservation.volumeId);
      return volume ? [{ reservation, volume }] : [];
    });
  }

  private async volumesOn(hostId: string): Promise<Volume[]> {
    return [...new Map((await this.reservedOn(hostId)).map(({ volume }) => [volume.volumeId, volume])).values()];
  }

  async dependentsOf(hostId: string): Promise<readonly HostDependent[]> {
    return (await this.reservedOn(hostId)).map(({ reservation, volume }) => ({
      volumeId: volume.volumeId,
      tenantId: volume.tenantId,
      type: reservation.type,
      ...(reservation.deviceId === undefined ? {} : { deviceId: reservation.deviceId }),
    }));
  }

  async formerDependentsOf(hostId: string): Promise<readonly FormerDependent[]> {
    const formers = await this.hosts.formerReservationsOf(hostId);
    const volumes = new Map<string, Volume | undefined>();
    for (const volumeId of new Set(formers.map((former) => former.volumeId))) volumes.set(volumeId, await this.volumes.get(volumeId));
    return formers.flatMap((former) => {
      const volume = volumes.get(former.volumeId);
      return volume && volume.status !== VolumeStatus.deleted ? [{ volumeId: volume.volumeId, tenantId: volume.tenantId, goneAt: former.goneAt, type: volume.type }] : [];
    });
  }

  async signalsOf(hostId: string): Promise<readonly CopySignal[]> {
    return (await this.volumesOn(hostId)).flatMap((volume) =>
      volume.copies
        .filter((copy) => copy.hostId === hostId)
        .flatMap((copy): CopySignal[] => {
          if (volume.status === VolumeStatus.degraded) return [{ volumeId: volume.volumeId, copyId: copy.copyId, kind: 'recovering' }];
          if (copy.role === 'mirror' && copy.inSync === false) return [{ volumeId: volume.volumeId, copyId: copy.copyId, kind: 'replica-stale' }];
          return [];
        }),
    );
  }

  async volumesOfTenant(tenantId: string): Promise<readonly TenantVolume[]> {
    const result: TenantVolume[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.volumes.listByTenant(tenantId, { limit: 100, startKey });
      for (const volume of page.volumes) {
        if (volume.status === VolumeStatus.deleted) continue;
        const diskOnHost = Object.fromEntries(volume.copies.flatMap((copy) => (copy.deviceId === undefined ? [] : [[copy.hostId, copy.deviceId]])));
        result.push({ volumeId: volume.volumeId, type: volume.type, hostIds: volume.copies.map((copy) => copy.hostId), diskOnHost });
      }
      startKey = page.lastKey;
    } while (startKey);
    return result;
  }
}
