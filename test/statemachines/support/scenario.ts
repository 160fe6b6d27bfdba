import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ok, type VolumeView } from '../../../client/blockplane-api';
import { ScriptedHost, type HostBehaviour, type ScriptedHostOptions } from '../../../local/scripted-host';
import { deployment, eventually, hostApiAs, volumesAs } from '../../e2e/support/local-cloud';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const tenant = volumesAs('a');

/** Each scenario gets its own location, so its scripted hosts are the only candidates. */
export const freshLocation = (): string => `sfn-${randomUUID().slice(0, 8)}`;

const running: ScriptedHost[] = [];

/** Scripted hosts h1…hN in `location` (host ids `<location>-h<i>`), registered and answering as told. */
export async function hostsIn(
  location: string,
  behaviours: readonly HostBehaviour[],
  first = 1,
  extra: Pick<ScriptedHostOptions, 'slow' | 'disks' | 'failType'> = {},
): Promise<ScriptedHost[]> {
  const hosts: ScriptedHost[] = [];
  for (const [i, behaviour] of behaviours.entries()) {
    const n = first + i;
    const host = new ScriptedHost(hostApiAs(`h${n}`), {
      hostId: `${location}-h${n}`,
      location,
      address: `10.77.0.${230 + n}`,
      capacityGiB: 100,
      iopsCapacity: 20_000,
      behaviour,
      ...extra,
    });
    await host.register();
    host.start();
    running.push(host);
    hosts.push(host);
  }
  return hosts;
}

export async function stopHosts(hosts: readonly ScriptedHost[] = running.splice(0)): Promise<void> {
  await Promise.all(hosts.map((host) => host.stop()));
}

export async function volumeReaching(volumeId: string, statuses: readonly string[], timeoutMs = 90_000): Promise<VolumeView> {
  return eventually(
    async () => {
      const volume = ok<VolumeView>(await tenant.get(volumeId));
      return statuses.includes(volume.status) ? volume : undefined;
    },
    timeoutMs,
    `volume ${volumeId} to reach ${statuses.join('|')}`,
    300,
  );
}

/** The stored volume record (the version names a deletion attempt; copies carry the in-sync evidence). */
export async function volumeRecord(volumeId: string): Promise<Record<string, unknown>> {
  const { Item } = await documents.send(new GetCommand({ TableName: deployment.volumesTableName, Key: { pk: `VOLUME#${volumeId}`, sk: 'VOLUME' }, ConsistentRead: true }));
  if (!Item) throw new Error(`volume ${volumeId} has no record`);
  return Item;
}
