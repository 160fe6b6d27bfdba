import { VersionConflictError } from '../../../core/errors';
import type { VolumeCreation, VolumeListing, VolumePage, VolumeRepository } from '../../../core/ports';
import type { Volume } from '../../../core/volume';

/**
 * VolumeRepository in memory, with the semantics of the DynamoDB adapter: one volume per
 * (tenant, client token), `save` only over the version it read (else VersionConflictError).
 */
export class InMemoryVolumeRepository implements VolumeRepository {
  private readonly volumes = new Map<string, Volume>();
  private readonly tokens = new Map<string, { volumeId: string; fingerprint: string }>();
  private beforeNextSave: (() => void) | undefined;
  saves = 0;

  /** Seeds a stored volume, bypassing the version check. */
  put(volume: Volume): Volume {
    this.volumes.set(volume.volumeId, volume);
    return volume;
  }

  /** Runs `interleave` just before the next save, as a concurrent writer would. */
  interleaveBeforeNextSave(interleave: () => void): void {
    this.beforeNextSave = interleave;
  }

  all(): Volume[] {
    return [...this.volumes.values()];
  }

  async create(volume: Volume, fingerprint: string): Promise<VolumeCreation> {
    if (this.volumes.has(volume.volumeId)) throw new Error(`volume ${volume.volumeId} already exists`);
    if (volume.clientToken !== undefined) {
      const key = `${volume.tenantId}#${volume.clientToken}`;
      const existing = this.tokens.get(key);
      if (existing) return { created: false, existingVolumeId: existing.volumeId, existingFingerprint: existing.fingerprint };
      this.tokens.set(key, { volumeId: volume.volumeId, fingerprint });
    }
    this.volumes.set(volume.volumeId, volume);
    return { created: true, volume };
  }

  async get(volumeId: string): Promise<Volume | undefined> {
    return this.volumes.get(volumeId);
  }

  async listByTenant(tenantId: string, query: VolumeListing): Promise<VolumePage> {
    const matching = this.all()
      .filter((v) => v.tenantId === tenantId)
      .filter((v) => (query.status === undefined ? v.status !== 'deleted' : v.status === query.status))
      .filter((v) => query.location === undefined || v.location === query.location)
      .filter((v) => query.type === undefined || v.type === query.type)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const start = query.startKey ? Number(query.startKey.offset) : 0;
    const end = start + query.limit;
    return { volumes: matching.slice(start, end), lastKey: end < matching.length ? { offset: end } : undefined };
  }

  async save(volume: Volume): Promise<void> {
    const interleave = this.beforeNextSave;
    this.beforeNextSave = undefined;
    interleave?.();
    const stored = this.volumes.get(volume.volumeId);
    if (!stored || stored.version !== volume.version - 1) {
      throw new VersionConflictError(`volume ${volume.volumeId} was changed by another writer`, { volumeId: volume.volumeId });
    }
    this.saves += 1;
    this.volumes.set(volume.volumeId, volume);
  }
}
