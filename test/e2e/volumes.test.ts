import { randomUUID } from 'node:crypto';
import { ok, type VolumeView } from '../../client/blockplane-api';
import { ScriptedHost, type HostBehaviour } from '../../local/scripted-host';
import { eventually, hostApiAs, volumesAs } from './support/local-cloud';
import { hostAllocation, volumesTableItemCount } from './support/tables';

jest.setTimeout(120_000);

const tenantA = volumesAs('a');
const tenantB = volumesAs('b');

/** Each scenario gets its own location, so its scripted hosts are the only candidates. */
function freshLocation(): string {
  return `e2e-${randomUUID().slice(0, 8)}`;
}

const started: ScriptedHost[] = [];

async function hostsIn(location: string, behaviours: HostBehaviour[]): Promise<ScriptedHost[]> {
  const hosts = behaviours.map(
    (behaviour, i) =>
      new ScriptedHost(hostApiAs(`h${i + 1}`), {
        hostId: `${location}-h${i + 1}`,
        location,
        // Inside the local storage network (10.77.0.0/24), above the addresses local fleets use.
        address: `10.77.0.${200 + i}`,
        capacityGiB: 100,
        iopsCapacity: 20_000,
        behaviour,
      }),
  );
  for (const host of hosts) {
    await host.register();
    host.start();
    started.push(host);
  }
  return hosts;
}

// One principal holds one host id at a time: the next scenario's registration with the same
// identities retires this scenario's hosts, so they stop first.
afterEach(async () => {
  await Promise.all(started.splice(0).map((host) => host.stop()));
});

async function volumeReaching(volumeId: string, statuses: string[], timeoutMs = 60_000): Promise<VolumeView> {
  return eventually(
    async () => {
      const volume = ok<VolumeView>(await tenantA.get(volumeId));
      return statuses.includes(volume.status) ? volume : undefined;
    },
    timeoutMs,
    `volume ${volumeId} to reach ${statuses.join('|')}`,
  );
}

describe('volume lifecycle through the public API', () => {
  test('when two healthy hosts exist, a new volume is placed on both and becomes available; deleting it frees the placement', async () => {
    // Given
    const location = freshLocation();
    const hosts = await hostsIn(location, ['succeed', 'succeed']);
    // When
    const created = await tenantA.create({ sizeGiB: 10, type: 'ssd', iops: 3000, location });
    // Then
    expect(created.status).toBe(202);
    const accepted = created.body as VolumeView;
    expect(accepted.status).toBe('creating');
    expect(accepted.volumeId).toMatch(/^vol-[0-9a-f]{17}$/);

    const available = await volumeReaching(accepted.volumeId, ['available', 'error']);
    expect(available.status).toBe('available');
    expect(available.copies).toHaveLength(2);
    expect(new Set(available.copies.map((c) => c.hostId)).size).toBe(2);
    expect(available.copies.map((c) => c.role).sort()).toEqual(['mirror', 'primary']);
    for (const host of hosts) {
      expect(host.received.filter((c) => c.type === 'create-copy')).toHaveLength(1);
      expect(await hostAllocation(host.options.hostId)).toEqual({ allocatedGiB: 10, allocatedIops: 3000, reservations: 1 });
    }

    // When it is deleted
    const deleting = await tenantA.delete(accepted.volumeId);
    expect(deleting.status).toBe(202);
    expect((deleting.body as VolumeView).status).toBe('deleting');
    const deleted = await volumeReaching(accepted.volumeId, ['deleted', 'error']);
    // Then
    expect(deleted.status).toBe('deleted');
    for (const host of hosts) {
      expect(host.received.filter((c) => c.type === 'delete-copy')).toHaveLength(1);
      expect(await hostAllocation(host.options.hostId)).toEqual({ allocatedGiB: 0, allocatedIops: 0, reservations: 0 });
    }
    const listed = ok<{ volumes: VolumeView[] }>(await tenantA.list({ location }));
    expect(listed.volumes.map((v) => v.volumeId)).not.toContain(accepted.volumeId);
  });

  test('when a create is retried with the same clientToken, it returns the same volume; other parameters with that token are refused', async () => {
    const location = freshLocation();
    await hostsIn(location, ['succeed', 'succeed']);
    const clientToken = `retry-${randomUUID()}`;

    const first = ok<VolumeView>(await tenantA.create({ sizeGiB: 5, type: 'ssd', location, clientToken }));
    const second = ok<VolumeView>(await tenantA.create({ sizeGiB: 5, type: 'ssd', location, clientToken }));
    const mismatch = await tenantA.create({ sizeGiB: 6, type: 'ssd', location, clientToken });

    expect(second.volumeId).toBe(first.volumeId);
    expect(mismatch.status).toBe(409);
    expect(mismatch.body).toMatchObject({ code: 'IdempotentParameterMismatch' });
    const listed = ok<{ volumes: VolumeView[] }>(await tenantA.list({ location }));
    expect(listed.volumes).toHaveLength(1);
    await volumeReaching(first.volumeId, ['available']);
  });

  test('when a host reports failure, the volume ends in error with the reason and both reservations are released', async () => {
    const location = freshLocation();
    const hosts = await hostsIn(location, ['succeed', 'fail']);

    const accepted = ok<VolumeView>(await tenantA.create({ sizeGiB: 8, type: 'ssd', location }));
    const failed = await volumeReaching(accepted.volumeId, ['error', 'available']);

    expect(failed.status).toBe('error');
    expect(failed.statusReason).toContain('DiskFull');
    expect(failed.statusReason).toContain('no space left');
    for (const host of hosts) {
      expect(await eventually(async () => ((await hostAllocation(host.options.hostId)).reservations === 0 ? true : undefined), 10_000, 'release')).toBe(true);
      expect(await hostAllocation(host.options.hostId)).toEqual({ allocatedGiB: 0, allocatedIops: 0, reservations: 0 });
    }
    // Both hosts are asked to drop whatever they built.
    await eventually(async () => (hosts.every((h) => h.received.some((c) => c.type === 'delete-copy')) ? true : undefined), 15_000, 'clean-up commands');
  });

  test('when a host never answers, the volume ends in error after the command timeout and its reservations are released', async () => {
    const location = freshLocation();
    const hosts = await hostsIn(location, ['succeed', 'ignore']);

    const accepted = ok<VolumeView>(await tenantA.create({ sizeGiB: 4, type: 'ssd', location }));
    const failed = await volumeReaching(accepted.volumeId, ['error', 'available'], 90_000);

    expect(failed.status).toBe('error');
    expect(failed.statusReason).toMatch(/did not answer in time/);
    for (const host of hosts) {
      expect(await hostAllocation(host.options.hostId)).toEqual({ allocatedGiB: 0, allocatedIops: 0, reservations: 0 });
    }
  });

  test('when fewer than two hosts can hold the volume, it ends in error saying so', async () => {
    const location = freshLocation();
    await hostsIn(location, ['succeed']);

    const accepted = ok<VolumeView>(await tenantA.create({ sizeGiB: 4, type: 'ssd', location }));
    const failed = await volumeReaching(accepted.volumeId, ['error', 'available']);

    expect(failed.status).toBe('error');
    expect(failed.statusReason).toMatch(/need 2 distinct active hosts/);
  });
});

describe('listing', () => {
  test('when a tenant lists with a small page size, following nextToken returns each of its volumes exactly once, filtered by location', async () => {
    const location = freshLocation();
    const created: string[] = [];
    for (let i = 0; i < 3; i++) created.push(ok<VolumeView>(await tenantA.create({ sizeGiB: 1, type: 'ssd', location })).volumeId);

    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = ok<{ volumes: VolumeView[]; nextToken?: string }>(await tenantA.list({ location, limit: '1', ...(nextToken ? { nextToken } : {}) }));
      seen.push(...page.volumes.map((v) => v.volumeId));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken && pages < 100);

    expect(seen.sort()).toEqual(created.sort());
    expect(pages).toBeGreaterThanOrEqual(3);
  });
});

describe('tenancy and authentication', () => {
  test("when tenant B asks for tenant A's volume, it is told the volume does not exist and cannot delete it", async () => {
    const location = freshLocation();
    const volume = ok<VolumeView>(await tenantA.create({ sizeGiB: 1, type: 'ssd', location }));

    const seen = await tenantB.get(volume.volumeId);
    const deleted = await tenantB.delete(volume.volumeId);
    const listed = ok<{ volumes: VolumeView[] }>(await tenantB.list({ location }));

    expect(seen.status).toBe(404);
    expect(deleted.status).toBe(404);
    expect(listed.volumes).toHaveLength(0);
    expect(ok<VolumeView>(await tenantA.get(volume.volumeId)).volumeId).toBe(volume.volumeId);
  });

  test('when a customer calls a host route, or a host calls a customer route, it is refused', async () => {
    const customerOnHostRoute = await tenantA.http.request('POST', '/hosts', {
      hostId: 'sneaky-host', location: 'x', address: '10.9.9.9', agentVersion: '0.1.0',
      disks: [{ deviceId: 'd', type: 'ssd', capacityGiB: 10, iopsCapacity: 10 }],
    });
    const hostOnCustomerRoute = await hostApiAs('h1').http.request('GET', '/volumes');

    expect(customerOnHostRoute.status).toBe(403);
    expect(hostOnCustomerRoute.status).toBe(403);
  });

  test("when a host principal posts for a host id registered by another principal, it is refused", async () => {
    const location = freshLocation();
    const [host] = await hostsIn(location, ['ignore']);

    const hijack = await hostApiAs('h2').heartbeat(host.options.hostId, { health: 'ok' });

    expect(hijack.status).toBe(403);
  });
});

describe('malformed requests', () => {
  const location = 'e2e-malformed';
  const valid = { sizeGiB: 10, type: 'ssd', location };
  const cases: [string, unknown][] = [
    ['size as string', { ...valid, sizeGiB: '10' }],
    ['size zero', { ...valid, sizeGiB: 0 }],
    ['size above 16384', { ...valid, sizeGiB: 16385 }],
    ['fractional size', { ...valid, sizeGiB: 1.5 }],
    ['negative size', { ...valid, sizeGiB: -1 }],
    ['missing size', { type: 'ssd', location }],
    ['unknown type', { ...valid, type: 'nvme' }],
    ['type as number', { ...valid, type: 1 }],
    ['ssd iops below range', { ...valid, iops: 100 }],
    ['ssd iops above range', { ...valid, sizeGiB: 100, iops: 20000 }],
    ['ssd iops above 500 per GiB', { ...valid, sizeGiB: 8, iops: 4500 }],
    ['hdd iops above range', { ...valid, type: 'hdd', iops: 3000 }],
    ['iops as string', { ...valid, iops: '3000' }],
    ['unknown field', { ...valid, encrypted: true }],
    ['location with spaces', { ...valid, location: 'us east' }],
    ['location too long', { ...valid, location: 'x'.repeat(65) }],
    ['clientToken with slashes', { ...valid, clientToken: 'a/b' }],
    ['clientToken too long', { ...valid, clientToken: 'x'.repeat(65) }],
    ['array body', [valid]],
    ['null body', null],
    ['string body', '"just a string"'],
    ['not JSON', '{"sizeGiB": 10,'],
    ['empty body', ''],
    ['huge body', { ...valid, padding: 'x'.repeat(200_000) }],
  ];

  test.each(cases)('when the create body has %s, it gets a 4xx with a clear message and leaves no record', async (_name, body) => {
    const before = await volumesTableItemCount();

    const response = await tenantA.http.request('POST', '/volumes', typeof body === 'string' ? body : body);

    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    const error = response.body as { code: string; message: string; details: unknown };
    expect(typeof error.code).toBe('string');
    expect(error.message.length).toBeGreaterThan(10);
    expect(await volumesTableItemCount()).toBe(before);
  });

  test.each([
    ['a malformed volume id', 'GET', '/volumes/not-a-volume'],
    ['an upper-case volume id', 'GET', '/volumes/VOL-0123456789ABCDEF0'],
    ['a well-formed but unknown volume id', 'GET', '/volumes/vol-00000000000000000'],
    ['a bad list limit', 'GET', '/volumes?limit=1000'],
    ['an unknown list filter', 'GET', '/volumes?colour=red'],
    ['a forged nextToken', 'GET', '/volumes?nextToken=bm90LWEtdG9rZW4'],
    ['a malformed id on delete', 'DELETE', '/volumes/..%2F..%2Fhosts'],
  ])('when a request carries %s, it gets a 4xx with a clear message', async (_name, method, path) => {
    const response = await tenantA.http.request(method, path);

    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect((response.body as { message: string }).message).toBeTruthy();
  });

  test.each([
    ['a failed result without an error', { status: 'failed' }],
    ['an unknown status', { status: 'done' }],
    ['an unknown field', { status: 'succeeded', extra: 1 }],
  ])('when a host posts %s, it is refused with a reason', async (_name, body) => {
    const location = freshLocation();
    const [host] = await hostsIn(location, ['ignore']);

    const response = await host.api.postResult(host.options.hostId, 'cmd-0000000000-00000000', body);

    expect(response.status).toBe(400);
    expect((response.body as { message: string }).message).toMatch(/status|error|Unrecognized/);
  });
});
