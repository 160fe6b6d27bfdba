import { ok, type VolumeView } from '../../../client/blockplane-api';
import type { SignedResponse } from '../../../client/signed-http';
import type { ScriptedHost, ScriptedHostOptions } from '../../../local/scripted-host';
import { eventually, httpAs, identities } from '../../e2e/support/local-cloud';
import { hostsIn, tenant, volumeReaching } from './scenario';

/** The tenant's signed HTTP client for the modification routes (no VolumeApi methods for them yet). */
const http = httpAs(identities.tenants.a);

export interface ModificationView {
  readonly modificationId: string;
  readonly volumeId: string;
  readonly status: string;
  readonly original: Record<string, unknown>;
  readonly target: Record<string, unknown>;
  readonly plan?: { readonly kind: string; readonly moves: readonly { role: string; fromHostId: string; toHostId: string }[] };
  readonly progressPercent: number;
  readonly statusReason?: string;
  readonly coalesced: readonly { readonly outcome: string }[];
  readonly queuedBehind?: string;
}

export const modify = (volumeId: string, body: unknown): Promise<SignedResponse> => http.request('POST', `/volumes/${volumeId}/modifications`, body);
export const listModifications = (volumeId: string, query = ''): Promise<SignedResponse> => http.request('GET', `/volumes/${volumeId}/modifications${query}`);
export const getModification = (volumeId: string, modificationId: string): Promise<SignedResponse> =>
  http.request('GET', `/volumes/${volumeId}/modifications/${modificationId}`);
export const cancelModification = (volumeId: string, modificationId: string): Promise<SignedResponse> =>
  http.request('DELETE', `/volumes/${volumeId}/modifications/${modificationId}`);

export async function modificationReaching(volumeId: string, modificationId: string, statuses: readonly string[], timeoutMs = 90_000): Promise<ModificationView> {
  return eventually(
    async () => {
      const seen = ok<ModificationView>(await getModification(volumeId, modificationId));
      return statuses.includes(seen.status) ? seen : undefined;
    },
    timeoutMs,
    `modification ${modificationId} to reach ${statuses.join('|')}`,
    300,
  );
}

/** Three scripted hosts with an ssd and an hdd disk each (principals h1…h3), answering every command. */
export function modificationHosts(location: string, slow?: ScriptedHostOptions['slow'], failType?: string): Promise<ScriptedHost[]> {
  const disks = [
    { type: 'ssd' as const, capacityGiB: 100, iopsCapacity: 20_000 },
    { type: 'hdd' as const, capacityGiB: 100, iopsCapacity: 1_000 },
  ];
  return hostsIn(location, ['succeed', 'succeed', 'succeed'], 1, { disks, slow, failType });
}

export async function availableVolumeIn(location: string, sizeGiB = 10): Promise<VolumeView> {
  const created = ok<VolumeView>(await tenant.create({ sizeGiB, type: 'ssd', iops: 3000, location }));
  return volumeReaching(created.volumeId, ['available']);
}

/** The command types the hosts received for this volume, in the order they were issued (ids are time-ordered). */
export function commandsFor(hosts: readonly ScriptedHost[], volumeId: string, after = ''): string[] {
  return hosts
    .flatMap((host) => host.received.filter((command) => command.payload.volumeId === volumeId).map((command) => ({ host: host.options.hostId, command })))
    .filter(({ command }) => command.commandId > after)
    .sort((a, b) => a.command.commandId.localeCompare(b.command.commandId))
    .map(({ command }) => command.type);
}
