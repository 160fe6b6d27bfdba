import type { FailoverWorkflows, HostCommandQueue, HostRepository, VolumeRepository, VolumeWorkflows } from '../../ports';
import type { RecoveryBatch, RecoveryRepository, SnapshotRequests, VolumeEventLog } from '../ports';
import type { RecoveryPolicy } from '../recovery-policy';

/** What the recovery use cases work with (each takes the part it needs). */
export interface RecoveryDeps {
  readonly recoveries: RecoveryRepository;
  readonly events: VolumeEventLog;
  readonly volumes: VolumeRepository;
  readonly hosts: HostRepository;
  readonly commands: HostCommandQueue;
  readonly failovers: FailoverWorkflows;
  readonly policy: RecoveryPolicy;
  readonly now: () => Date;
}

export interface RecoveryDecisionDeps extends RecoveryDeps {
  readonly volumeWorkflows: VolumeWorkflows;
  readonly snapshots: SnapshotRequests;
}

export interface RecoveryReportDeps extends RecoveryDeps {
  readonly batch: RecoveryBatch;
}
