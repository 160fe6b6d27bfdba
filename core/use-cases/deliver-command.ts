import { keysToDeliver } from '../command-keys';
import { describeCommand, type HostCommand } from '../host-command';
import type { VolumeRepository } from '../ports';
import type { RecoveryRepository } from '../recovery/ports';
import { recoveryKeyToDeliver } from '../recovery/recovery-access-key';
import type { KeyVault } from '../sealed-key';

export interface DeliverCommandDeps {
  readonly volumes: VolumeRepository;
  readonly keys: KeyVault;
  /** Where `open-recovery-access` finds its key; absent when the recovery feature is not deployed (the command then carries none). */
  readonly recoveries?: RecoveryRepository;
  readonly now: () => Date;
}

/**
 * A command as its host receives it: what was queued plus the keys it needs, opened now from
 * the volume record, or for the admin export from the volume's recovery (the queue itself never
 * holds a key; see `keysToDeliver` and `recoveryKeyToDeliver`).
 */
export async function deliverCommand(deps: DeliverCommandDeps, command: HostCommand) {
  const described = describeCommand(command);
  const volumeId = (command.payload as { volumeId?: unknown }).volumeId;
  if (typeof volumeId !== 'string') return described;
  if (command.type === 'open-recovery-access') {
    const sealed = recoveryKeyToDeliver(await deps.recoveries?.get(volumeId), command.hostId, command, deps.now());
    const recoveryKey = sealed ? await deps.keys.open(volumeId, sealed) : undefined;
    return { ...described, payload: { ...described.payload, ...(recoveryKey ? { recoveryKey } : {}) } };
  }
  const wanted = keysToDeliver(await deps.volumes.get(volumeId), command.hostId, command);
  const clientKeys = wanted.clientKeys ? await Promise.all(wanted.clientKeys.map((sealed) => deps.keys.open(volumeId, sealed))) : undefined;
  const replicationKey = wanted.replicationKey ? await deps.keys.open(volumeId, wanted.replicationKey) : undefined;
  return {
    ...described,
    payload: { ...described.payload, ...(clientKeys ? { clientKeys } : {}), ...(replicationKey ? { replicationKey } : {}) },
  };
}
