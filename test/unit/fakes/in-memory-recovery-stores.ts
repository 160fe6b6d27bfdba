import { VersionConflictError } from '../../../core/errors';
import type { RecoveryBatch, RecoveryRepository, VolumeEventLog } from '../../../core/recovery/ports';
import { admitHost, releaseHost, type Admission, type BatchSlots } from '../../../core/recovery/recovery-batch';
import type { RecoveryNotice } from '../../../core/recovery/recovery-notice';
import type { RecoveryPolicy } from '../../../core/recovery/recovery-policy';
import { dueAtOf } from '../../../core/recovery/recovery-due';
import type { VolumeRecovery } from '../../../core/recovery/volume-recovery';

/** RecoveryRepository in memory, with the adapter's semantics: save only over the version read. */
export class InMemoryRecoveryRepository implements RecoveryRepository {
  private readonly recoveries = new Map<string, VolumeRecovery>();

  async get(volumeId: string): Promise<VolumeRecovery | undefined> {
    return this.recoveries.get(volumeId);
  }

  async save(recovery: VolumeRecovery): Promise<void> {
    const stored = this.recoveries.get(recovery.volumeId);
    if ((stored?.version ?? 0) !== recovery.version - 1) throw new VersionConflictError(`recovery of ${recovery.volumeId} was changed by another writer`);
    this.recoveries.set(recovery.volumeId, recovery);
  }

  async listDue(now: Date, limit: number): Promise<readonly VolumeRecovery[]> {
    return [...this.recoveries.values()].filter((r) => {
      const due = dueAtOf(r);
      return due !== undefined && Date.parse(due) <= now.getTime();
    }).slice(0, limit);
  }
}

export class InMemoryVolumeEventLog implements VolumeEventLog {
  readonly notices: RecoveryNotice[] = [];

  async append(notice: RecoveryNotice): Promise<void> {
    this.notices.push(notice);
  }

  async list(volumeId: string, limit: number): Promise<readonly RecoveryNotice[]> {
    return this.notices.filter((n) => n.volumeId === volumeId).reverse().slice(0, limit);
  }
}

/** The batch in memory; `maxInFlight` records the most hosts that ever held a place at once. */
export class InMemoryRecoveryBatch implements RecoveryBatch {
  private slots: BatchSlots = {};
  maxInFlight = 0;
  refusals = 0;

  constructor(private readonly policy: RecoveryPolicy) {}

  async admit(hostId: string, now: Date): Promise<Admission> {
    const admission = admitHost(this.slots, hostId, now, this.policy);
    if (admission.admitted) {
      this.slots = admission.slots;
      this.maxInFlight = Math.max(this.maxInFlight, Object.keys(this.slots).length);
    } else this.refusals += 1;
    return admission;
  }

  async release(hostId: string): Promise<void> {
    this.slots = releaseHost(this.slots, hostId);
  }

  async holders(now: Date): Promise<readonly string[]> {
    return Object.entries(this.slots).filter(([, until]) => Date.parse(until) > now.getTime()).map(([id]) => id);
  }
}
