/**
 * The copy's IOPS limit: its throttle group always gets the COMPLETE limits struct (qom-set
 * merges otherwise, qemu-7.2 §3), and the limit is recorded in the copy's metadata, from which
 * the graph takes it when the daemon starts.
 */
import { CopyGraph } from './copy-graph';
import { CopyQmp } from './copy-qmp';
import { ThrottleLimits, ThrottlePolicy, buildThrottleLimits } from './throttle-limits';
import { assertIops } from './volume-copy';

export class CopyThrottle {
  constructor(
    private readonly q: CopyQmp,
    private readonly graph: CopyGraph,
  ) {}

  /** Sets the committed IOPS (0 = unlimited) and records it in the metadata. */
  async setIopsLimit(iops: number): Promise<void> {
    assertIops(iops);
    await this.setThrottlePolicy({ iopsTotal: iops });
  }

  /** Sends the COMPLETE limits struct for `policy` (qom-set merges otherwise). */
  async setThrottlePolicy(policy: ThrottlePolicy): Promise<void> {
    this.graph.assertOpen('change the IOPS limit');
    const limits = buildThrottleLimits(policy);
    await this.q.exec('qom-set', { path: `/objects/${this.q.names.throttleGroup}`, property: 'limits', value: limits });
    await this.q.copy.updateMetadata({ iops: policy.iopsTotal });
    this.q.logger.info('throttle limits set', { policy });
  }

  /**
   * Reconcile's step: the throttle group gets the complete struct for `iops` unless QEMU
   * already has exactly that (the desired value is already recorded). True when it was set.
   */
  async ensureIopsLimit(iops: number): Promise<boolean> {
    this.graph.assertOpen('apply the IOPS limit');
    const wanted = buildThrottleLimits({ iopsTotal: iops });
    const current = await this.readThrottleLimits();
    if (Object.entries(wanted).every(([field, value]) => current[field as keyof ThrottleLimits] === value)) return false;
    await this.q.exec('qom-set', { path: `/objects/${this.q.names.throttleGroup}`, property: 'limits', value: wanted });
    this.q.logger.info('throttle limits applied', { iops, previousIops: current['iops-total'] });
    return true;
  }

  async readThrottleLimits(): Promise<ThrottleLimits> {
    return this.q.exec<ThrottleLimits>('qom-get', { path: `/objects/${this.q.names.throttleGroup}`, property: 'limits' });
  }
}
