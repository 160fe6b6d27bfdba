import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ok, type AttachmentView, type VolumeView } from '../../client/blockplane-api';
import { killHost } from '../../local/local-fleet';
import { findKeyLeaks } from './support/key-leaks';
import { eventually, volumesAs } from './support/local-cloud';
import { canConnect } from './support/nbd-clients';
import { endpointOf } from './support/attachment-follower';
import { LocalFleetVolumes } from './support/local-fleet-volumes';
import { volumeRecord } from './support/tables';

jest.setTimeout(600_000);

/**
 * Keys on the real fleet (three namespaced hosts with real agents and storage daemons): each
 * attachment has its own key, a detach revokes it, a fail-over hands out fresh keys, and a
 * volume's whole life leaves no key in any log group, execution history or stored host command.
 */
const location = `e2e-k${randomUUID().slice(0, 6)}`;
const tenant = volumesAs('a');
const fleet = new LocalFleetVolumes(location, tenant, 'bp-e2e-keys-');
const hosts = fleet.hosts;
const volumeIn = fleet.volumeIn.bind(fleet);
const createAvailableVolume = fleet.createAvailableVolume.bind(fleet);
const endpointFile = fleet.endpointFile.bind(fleet);

const attach = async (volumeId: string) => ok<AttachmentView>(await tenant.http.request('POST', `/volumes/${volumeId}/attachments`));
const detach = async (volumeId: string, attachmentId: string) => ok(await tenant.http.request('DELETE', `/volumes/${volumeId}/attachments/${attachmentId}`));

/** Every key in every PSK file the hosts' agents wrote so far (client, replication and unshared keys). */
function keysOnHosts(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (stat?.isDirectory()) walk(path);
      else if (entry === 'keys.psk') {
        for (const line of readFileSync(path, 'utf8').split('\n')) if (/:[0-9a-f]{64}$/i.test(line)) found.push(line.split(':')[1]!);
      }
    }
  };
  for (const host of hosts) walk(host.root);
  return found;
}

beforeAll(() => fleet.start());

afterAll(() => fleet.stop());

test('when an attachment is detached, its key no longer opens the export while the other attachment keeps working', async () => {
  // Given an available volume with two attachments, each with its own key
  const volume = await createAvailableVolume({ sizeGiB: 1, type: 'ssd' });
  const first = await attach(volume.volumeId);
  const second = await attach(volume.volumeId);
  expect(second.tls.identity).not.toBe(first.tls.identity);
  expect(second.tls.keyHex).not.toBe(first.tls.keyHex);
  const firstFile = endpointFile('first', endpointOf(first));
  const secondFile = endpointFile('second', endpointOf(second));
  expect(await canConnect(firstFile)).toMatchObject({ ok: true });
  expect(await canConnect(secondFile)).toMatchObject({ ok: true });

  // When the second attachment ends
  await detach(volume.volumeId, second.attachmentId);

  // Then its key is refused (once the primary applied the new list) and the first still gets in
  await eventually(async () => ((await canConnect(secondFile)).ok ? undefined : true), 30_000, 'the detached key to be refused', 500);
  expect(await canConnect(firstFile)).toMatchObject({ ok: true });
  // And after the last detach nobody gets in with an old key
  await detach(volume.volumeId, first.attachmentId);
  await eventually(async () => ((await canConnect(firstFile)).ok ? undefined : true), 30_000, 'the last detached key to be refused', 500);
  expect(ok<VolumeView>(await tenant.get(volume.volumeId)).status).toBe('available');
});

test('when a volume lives a whole life (create, attach, write, detach, fail-over, rebuild, delete), no key it handed out or minted is in any log group, execution history or stored host command', async () => {
  const keys = new Set<string>();
  const remember = (...found: string[]) => found.forEach((key) => keys.add(key.toLowerCase()));

  // Given a replicated volume with two attachments that both write
  const volume = await createAvailableVolume({ sizeGiB: 1, type: 'ssd' });
  const first = await attach(volume.volumeId);
  const second = await attach(volume.volumeId);
  remember(first.tls.keyHex, second.tls.keyHex, ...keysOnHosts());
  expect(await canConnect(endpointFile('life-first', endpointOf(first)))).toMatchObject({ ok: true });
  expect(await canConnect(endpointFile('life-second', endpointOf(second)))).toMatchObject({ ok: true });
  await detach(volume.volumeId, second.attachmentId);

  // When the primary's host dies
  const primaryHost = hosts.find((host) => host.hostId === first.hostId)!;
  expect(killHost(primaryHost).length).toBeGreaterThanOrEqual(1);

  // Then the attachment names the promoted primary with a fresh key, which opens it; the old key does not
  const moved = await eventually(
    async () => {
      const now = ok<AttachmentView>(await tenant.http.request('GET', `/volumes/${volume.volumeId}/attachments/${first.attachmentId}`));
      return now.hostId !== first.hostId ? now : undefined;
    },
    90_000,
    'the attachment to name a new primary',
    500,
  );
  remember(moved.tls.keyHex);
  expect(moved.generation).toBe(first.generation + 1);
  expect(moved.tls.keyHex).not.toBe(first.tls.keyHex);
  // The promoted primary's clients are cut off once when its new mirror starts (docs/replication-safety.md,
  // "The mirror start window"): a session that meets that moment ends, the next one opens.
  await eventually(async () => ((await canConnect(endpointFile('life-moved', endpointOf(moved)))).ok ? true : undefined), 30_000, 'the new key to open the promoted primary', 500);
  expect(await canConnect(endpointFile('life-old-key', { ...endpointOf(moved), identity: first.tls.identity, keyHex: first.tls.keyHex }))).toMatchObject({ ok: false });

  // And the new mirror is built with a replication key of its own
  const healthy = await volumeIn(volume.volumeId, ['in-use'], 180_000);
  expect(healthy.copies).toHaveLength(2);
  remember(...keysOnHosts());
  const record = await volumeRecord(volume.volumeId);
  expect(record.replicationKey?.identity).toMatch(/^repl-/);
  const stored = JSON.stringify(record).toLowerCase();
  expect([...keys].filter((key) => stored.includes(key))).toEqual([]);

  // When it is detached and deleted
  await detach(volume.volumeId, first.attachmentId);
  ok(await tenant.delete(volume.volumeId));
  expect((await volumeIn(volume.volumeId, ['deleted', 'error'], 120_000)).status).toBe('deleted');

  // Then no key is anywhere in the logs, the execution histories or the host-commands table (nor in the agents' own logs)
  const { leaks, searched } = await findKeyLeaks(keys);
  const agentLogs = hosts.filter((host) => existsSync(host.logFile)).map((host) => ({ where: `agent log ${host.hostId}`, text: readFileSync(host.logFile, 'utf8').toLowerCase() }));
  const agentLeaks = agentLogs.flatMap(({ where, text }) => [...keys].filter((key) => text.includes(key)).map((keyHex) => ({ where, keyHex })));
  process.stdout.write(`key scan: ${keys.size} keys, ${searched} log groups/histories/tables and ${agentLogs.length} agent logs searched, ${leaks.length + agentLeaks.length} leaks\n`);
  expect(keys.size).toBeGreaterThanOrEqual(5);
  expect(searched).toBeGreaterThan(10);
  expect([...leaks, ...agentLeaks]).toEqual([]);
});
