import { createDocumentClient } from '../../adapters/dynamodb-document-client';
import { DynamoDbRecoveryBatch } from '../../adapters/dynamodb-recovery-batch';
import { DynamoDbRecoveryRepository } from '../../adapters/dynamodb-recovery-repository';
import { DynamoDbVolumeEventLog } from '../../adapters/dynamodb-volume-event-log';
import { DEFAULT_RECOVERY_POLICY, recoveryPolicyProblem, type RecoveryPolicy } from '../../core/recovery/recovery-policy';
import { SnapshotsUnavailable } from '../../core/recovery/snapshots-unavailable';
import { failoverWorkflows, hostCommandQueue, hostRepository, now, volumeRepository, volumeWorkflows } from './composition';

/** Wiring for the recovery functions (docs/recovery.md): the only place they read the environment. */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

const documents = createDocumentClient();

/** The policy from RECOVERY_* (lib/recovery-stack.ts sets them from the CDK context); defaults for those not set. */
export function recoveryPolicy(): RecoveryPolicy {
  const read = (name: string, fallback: number): number => (process.env[name] === undefined ? fallback : Number(process.env[name]));
  const policy: RecoveryPolicy = {
    quarantineSeconds: read('RECOVERY_QUARANTINE_SECONDS', DEFAULT_RECOVERY_POLICY.quarantineSeconds),
    autoArchiveSeconds: read('RECOVERY_AUTO_ARCHIVE_SECONDS', DEFAULT_RECOVERY_POLICY.autoArchiveSeconds),
    hostBatch: read('RECOVERY_HOST_BATCH', DEFAULT_RECOVERY_POLICY.hostBatch),
    slotSeconds: read('RECOVERY_SLOT_SECONDS', DEFAULT_RECOVERY_POLICY.slotSeconds),
    retryAfterSeconds: read('RECOVERY_RETRY_AFTER_SECONDS', DEFAULT_RECOVERY_POLICY.retryAfterSeconds),
  };
  const problem = recoveryPolicyProblem(policy);
  if (problem) throw new Error(`recovery policy: ${problem}`);
  return policy;
}

export const recoveryRepository = () => new DynamoDbRecoveryRepository(required('RECOVERY_TABLE'), documents);
/** The recovery table's records when RECOVERY_TABLE is set (the poll route delivers admin-export keys from it); else none. */
export const optionalRecoveryRepository = () => (process.env.RECOVERY_TABLE ? { recoveries: recoveryRepository() } : {});
export const volumeEventLog = () => new DynamoDbVolumeEventLog(required('RECOVERY_TABLE'), documents);
export const recoveryBatch = () => new DynamoDbRecoveryBatch(required('RECOVERY_TABLE'), recoveryPolicy(), documents);

/** What every recovery use case works with. */
export const recoveryDeps = () => ({
  recoveries: recoveryRepository(),
  events: volumeEventLog(),
  volumes: volumeRepository(),
  hosts: hostRepository(),
  commands: hostCommandQueue(),
  failovers: failoverWorkflows(),
  policy: recoveryPolicy(),
  now,
});

/** The decisions also delete volumes and ask for snapshots (refused until the snapshots feature is wired). */
export const recoveryDecisionDeps = () => ({ ...recoveryDeps(), volumeWorkflows: volumeWorkflows(), snapshots: new SnapshotsUnavailable() });
