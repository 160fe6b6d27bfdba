import { keysToDeliver } from '../command-keys';
import { describeCommand, type HostCommand } from '../host-command';
import type { VolumeRepository } from '../ports';
import type { KeyVault } from '../sealed-key';

export interface DeliverCommandDeps {
  readonly volumes: VolumeRepository;
  readonly keys: KeyVault;
}

/**
 * A command as its host receives it: what was queued plus the keys it needs, opened now from
 * the volume record (the queue itself never holds a key; see `keysToDeliver`).
 */
export async function deliverCommand(deps: DeliverCommandDeps, command: HostCommand) {
  const described = describeCommand(command);
  const volumeId = (command.payload as { volumeId?: unknown }).volumeId;
  if (typeof volumeId !== 'string') return described;
  const wanted = keysToDeliver(await deps.volumes.get(volumeId), command.hostId, command);
  const clientKeys = wanted.clientKeys ? await Promise.all(wanted.clientKeys.map((sealed) => deps.keys.open(volumeId, sealed))) : undefined;
  const replicationKey = wanted.replicationKey ? await deps.keys.open(volumeId, wanted.replicationKey) : undefined;
  return {
    ...described,
    payload: { ...described.payload, ...(clientKeys ? { clientKeys } : {}), ...(replicationKey ? { replicationKey } : {}) },
  };
}
