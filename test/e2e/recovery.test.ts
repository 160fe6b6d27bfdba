import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import { DynamoDbHostRepository } from '../../adapters/dynamodb-host-repository';
import { ok, type VolumeView } from '../../client/blockplane-api';
import type { ScannedCopy } from '../../core/recovery/recovery-report';
import { ScriptedHost } from '../../local/scripted-host';
import { freshHostPrincipal } from './support/host-identity';
import { invokeFunction } from './support/invoke-function';
import { deployment, eventually, hostApiAs, httpAs, volumesAs } from './support/local-cloud';

jest.setTimeout(170_000);

/**
 * Recovery through the deployed API (docs/recovery.md) with scripted hosts: the classification,
 * the impaired volume, the owner's routes, the automatic re-enable and the mass-recovery batch.
 * The local cloud deploys with a 10 s quarantine and a batch of 5 hosts (local/cloud.sh).
 */
const outputs = JSON.parse(readFileSync(process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json', 'utf8')) as Record<string, Record<string, string>>;
const recoveryTable = outputs.BlockplaneRecovery?.RecoveryTableName as string;
const deadlinesFunction = outputs.BlockplaneRecovery?.ProcessRecoveryDeadlinesFunctionName as string;
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const hostsTable = new DynamoDbHostRepository(deployment.hostsTableName);
const tenant = volumesAs('a');
const other = volumesAs('b');
const CHUNKS = ['00000000000000aa', '00000000000000bb'];

function scanned(volume: VolumeView, copyId: string, chunks = CHUNKS): ScannedCopy {
  const copy = volume.copies.find((c) => c.copyId === copyId)!;
  return {
    volumeId: volume.volumeId, copyId, role: copy.role === 'primary' ? 'primary' : 'mirror', generation: 1, sizeBytes: 2 * 1024 * 1024,
    health: { readable: true, metadataConsistent: true }, digest: { algorithm: 'sha256-64', chunkBytes: 1024 * 1024, chunks },
  };
}

/** The sweep's judgement, done by the test: the host is lost. */
async function loseHost(hostId: string): Promise<void> {
  const host = await hostsTable.get(hostId);
  await hostsTable.markUnreachable(hostId, host!.lastHeartbeatAt);
}

const report = (host: ScriptedHost, copies: ScannedCopy[], final = true) =>
  host.api.http.request('POST', `/hosts/${host.options.hostId}/recovery-reports`, { trigger: 'unclean-shutdown', copies, final });

describe('recovery after a storage-host failure (scripted hosts, deployed API)', () => {
  const hosts: ScriptedHost[] = [];
  let location: string;
  afterAll(async () => {
    await Promise.all(hosts.map((host) => host.stop()));
  });

  beforeAll(async () => {
    location = `recovery-${randomUUID().slice(0, 8)}`;
    for (const n of [1, 2]) {
      const host = new ScriptedHost(hostApiAs(`h${n}`), { hostId: `${location}-h${n}`, location, address: `10.77.0.${230 + n}`, capacityGiB: 100, iopsCapacity: 20_000, behaviour: 'succeed' });
      await host.register();
      host.start();
      hosts.push(host);
    }
  });

  async function createVolume(): Promise<VolumeView> {
    const created = ok<VolumeView>(await tenant.create({ sizeGiB: 1, type: 'ssd', iops: 3000, location }));
    return eventually(async () => {
      const volume = ok<VolumeView>(await tenant.get(created.volumeId));
      return volume.status === 'available' && volume.copies.length === 2 ? volume : undefined;
    }, 60_000, 'the volume to be available');
  }

  test('when both hosts crashed and one reports, its copy is authoritative, the volume impaired; access, 409 for snapshot, bad input refused, another tenant 404; enable makes it serve again', async () => {
    // Given
    const volume = await createVolume();
    const primary = volume.copies.find((c) => c.role === 'primary')!;
    const host = hosts.find((h) => h.options.hostId === primary.hostId)!;
    for (const h of hosts) await loseHost(h.options.hostId);
    // When
    const answer = ok<{ copies: unknown[] }>(await report(host, [scanned(volume, primary.copyId)]));
    // Then
    expect(answer.copies).toEqual([{ volumeId: volume.volumeId, copyId: primary.copyId, verdict: 'authoritative', rule: 'sole-survivor', action: 'hold-read-only' }]);
    expect(ok<VolumeView>(await tenant.get(volume.volumeId))).toMatchObject({ status: 'impaired', statusReason: expect.stringContaining('client I/O paused') });
    const recovery = ok<Record<string, unknown>>(await tenant.http.request('GET', `/volumes/${volume.volumeId}/recovery`));
    expect(recovery).toMatchObject({ state: 'awaiting-decision', ioPaused: true, choices: ['enable', 'snapshot', 'archive', 'delete'], copies: [{ copyId: primary.copyId, disposition: 'read-only', proof: { hostId: primary.hostId } }] });
    expect((await other.http.request('GET', `/volumes/${volume.volumeId}/recovery`)).status).toBe(404);
    const access = await tenant.http.request('POST', `/volumes/${volume.volumeId}/recovery-access`, {});
    expect(access.status).toBe(201);
    expect(access.body).toMatchObject({ copyId: primary.copyId, readOnly: true, exportName: `${volume.volumeId}.recovery`, port: 10800 });
    // (10800: the scripted host's port for every copy.) The host polls: the command brings the recovery key, opened at delivery (the queue holds none).
    const { key } = access.body as { key: { identity: string; keyHex: string } };
    const delivered = await eventually(async () => host.received.find((c) => c.type === 'open-recovery-access' && c.payload.volumeId === volume.volumeId), 30_000, 'open-recovery-access delivered');
    expect(delivered.payload).toMatchObject({ copyId: primary.copyId, recoveryKey: key });
    const queued = await documents.send(new GetCommand({ TableName: deployment.hostCommandsTableName, Key: { hostId: primary.hostId, commandId: delivered.commandId } }));
    expect(queued.Item).toMatchObject({ type: 'open-recovery-access' });
    expect(JSON.stringify(queued.Item)).not.toContain(key.keyHex);
    const snapshot = await tenant.http.request('POST', `/volumes/${volume.volumeId}/recovery-decision`, { action: 'snapshot' });
    expect({ status: snapshot.status, code: (snapshot.body as { code: string }).code }).toEqual({ status: 409, code: 'SnapshotsUnavailable' });
    const bad = await tenant.http.request('POST', `/volumes/${volume.volumeId}/recovery-decision`, { action: 'explode' });
    expect(bad.status).toBe(400);
    // When the owner enables it (its host registered again)
    await host.register();
    const enabled = await tenant.http.request('POST', `/volumes/${volume.volumeId}/recovery-decision`, { action: 'enable' });
    // Then
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ state: 'enabled', decisions: [{ action: 'enable', by: 'owner', copyId: primary.copyId }] });
    const served = await eventually(async () => {
      const v = ok<VolumeView>(await tenant.get(volume.volumeId));
      return v.generation === 2 && v.copies.some((c) => c.copyId === primary.copyId && c.role === 'primary') ? v : undefined;
    }, 60_000, 'the enabled copy served as the primary at generation 2');
    expect(served.status).not.toBe('impaired');
    const events = ok<{ events: { type: string }[] }>(await tenant.http.request('GET', `/volumes/${volume.volumeId}/events`));
    expect(events.events.map((e) => e.type)).toEqual(expect.arrayContaining(['copy-classified', 'volume-impaired', 'recovery-access-granted', 'recovery-decided']));
  });

  test('when the twin returns with identical data, the held copy is enabled automatically and the proof stored; a diverged twin makes both ambiguous', async () => {
    for (const diverged of [false, true]) {
      // Given
      for (const h of hosts) await h.register();
      const volume = await createVolume();
      const [first, second] = volume.copies;
      for (const h of hosts) await loseHost(h.options.hostId);
      const hostOf = (copyId: string) => hosts.find((h) => h.options.hostId === volume.copies.find((c) => c.copyId === copyId)!.hostId)!;
      ok(await report(hostOf(first!.copyId), [scanned(volume, first!.copyId)]));
      await hostOf(first!.copyId).register();
      // When
      const answer = ok<{ copies: { rule: string }[] }>(await report(hostOf(second!.copyId), [scanned(volume, second!.copyId, diverged ? [CHUNKS[0] as string, '00000000000000cc'] : CHUNKS)]));
      // Then
      const recovery = ok<{ state: string; decisions: { by: string; why: string }[] }>(await tenant.http.request('GET', `/volumes/${volume.volumeId}/recovery`));
      if (diverged) {
        expect(answer.copies[0]?.rule).toBe('diverged-twin');
        expect(recovery.state).toBe('ambiguous');
        expect(ok<VolumeView>(await tenant.get(volume.volumeId))).toMatchObject({ status: 'impaired', statusReason: expect.stringContaining('diverged') });
      } else {
        expect(answer.copies[0]?.rule).toBe('identical-twin');
        expect(recovery).toMatchObject({ state: 'enabled', decisions: [{ action: 'enable', by: 'automatic', why: expect.stringContaining('chunk digests equal') }] });
      }
    }
  });

  test('when a host returns with a copy of a live volume that the record places elsewhere, it is quarantined, never readable, and deleted after the (shortened) period', async () => {
    // Given: a live volume; its primary's host reports a copy the record dropped (the mirror promoted meanwhile)
    for (const h of hosts) await h.register();
    const volume = await createVolume();
    const primary = volume.copies.find((c) => c.role === 'primary')!;
    const mirror = volume.copies.find((c) => c.role === 'mirror')!;
    const mirrorHost = hosts.find((h) => h.options.hostId === mirror.hostId)!;
    // The mirror's host reports the primary's copy id as a copy it holds: a copy the volume does not place there.
    const answer = ok<{ copies: { verdict: string; rule: string; action: string }[] }>(await report(mirrorHost, [{ ...scanned(volume, primary.copyId) }]));
    expect(answer.copies[0]).toMatchObject({ verdict: 'non-authoritative', action: 'quarantine' });
    expect(ok<VolumeView>(await tenant.get(volume.volumeId)).status).toBe('available');
    expect((await tenant.http.request('POST', `/volumes/${volume.volumeId}/recovery-access`, {})).status).toBe(409);
    // When the period passes, the deadline pass deletes it
    await eventually(async () => {
      await invokeFunction(deadlinesFunction, {});
      const recovery = ok<{ state: string }>(await tenant.http.request('GET', `/volumes/${volume.volumeId}/recovery`));
      return recovery.state === 'closed' ? recovery : undefined;
    }, 60_000, 'the quarantined copy to be deleted', 2_000);
    await eventually(
      async () => (mirrorHost.received.some((c) => c.type === 'delete-copy' && (c.payload as { copyId: string }).copyId === primary.copyId) ? true : undefined),
      30_000,
      'the host to receive delete-copy for the quarantined copy',
    );
  });

  test('when 20 hosts report at once with a batch of 5, never more than 5 hold a place, the others get 429 with Retry-After and every copy is classified', async () => {
    // Given: 20 hosts (principals of their own), 6 copies each in two pages
    const mass = `mass-${randomUUID().slice(0, 6)}`;
    const reporters = await Promise.all(
      Array.from({ length: 20 }, async (_, n) => {
        const principal = await freshHostPrincipal(`${mass}-${n}`);
        const api = new (await import('../../client/blockplane-api')).HostApi(httpAs(principal.identity, { throttleRetries: 0 }));
        const hostId = `${mass}-h${n}`;
        ok(await api.register({ hostId, location: mass, address: `10.77.0.${100 + n}`, agentVersion: '0.1.0', disks: [{ deviceId: `${hostId}-d0`, type: 'ssd', capacityGiB: 10, iopsCapacity: 3000 }] }));
        const copies: ScannedCopy[] = Array.from({ length: 6 }, (_, c) => ({
          volumeId: `vol-${(n * 16 + c).toString(16).padStart(17, '0')}`, copyId: `cpy-${(n * 16 + c).toString(16).padStart(12, '0')}`, role: 'primary', generation: 1,
          sizeBytes: 1024 * 1024, health: { readable: true, metadataConsistent: true }, digest: { algorithm: 'sha256-64', chunkBytes: 1024 * 1024, chunks: [CHUNKS[0] as string] },
        }));
        return { api, hostId, pages: [copies.slice(0, 3), copies.slice(3)] };
      }),
    );
    let maxInFlight = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const { Item } = await documents.send(new GetCommand({ TableName: recoveryTable, Key: { pk: 'BATCH', sk: 'HOSTS' }, ConsistentRead: true }));
        const live = Object.values((Item?.slots as Record<string, string>) ?? {}).filter((until) => Date.parse(until) > Date.now()).length;
        maxInFlight = Math.max(maxInFlight, live);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    // When: every host sends its pages, waiting Retry-After after a 429
    let throttled = 0;
    const classified = await Promise.all(
      reporters.map(async ({ api, hostId, pages }) => {
        let count = 0;
        for (const [index, copies] of pages.entries()) {
          for (;;) {
            const response = await api.http.request('POST', `/hosts/${hostId}/recovery-reports`, { trigger: 'unclean-shutdown', copies, final: index === pages.length - 1 });
            if (response.status === 200) {
              count += (response.body as { copies: unknown[] }).copies.length;
              break;
            }
            expect(response.status).toBe(429);
            expect(Number(response.retryAfter)).toBeGreaterThan(0);
            throttled += 1;
            await new Promise((resolve) => setTimeout(resolve, Number(response.retryAfter) * 1000));
          }
        }
        return count;
      }),
    );
    watching = false;
    await watcher;
    // Then
    expect(classified.reduce((a, b) => a + b, 0)).toBe(120);
    expect(throttled).toBeGreaterThan(0);
    expect(maxInFlight).toBeLessThanOrEqual(5);
    expect(maxInFlight).toBeGreaterThan(0);
    console.log(`mass recovery: 20 hosts × 6 copies, batch 5: ${throttled} answers 429, at most ${maxInFlight} hosts in flight`);
  });
});
