import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DynamoDbHostRepository } from '../../adapters/dynamodb-host-repository';
import { ok, type VolumeView } from '../../client/blockplane-api';
import type { LocalHost } from '../../local/local-fleet';
import { volumeRecord } from './support/tables';
import { deployment, volumeSettled, volumesAs } from './support/local-cloud';
import { startOwnHosts, stopOwnHosts } from './support/own-hosts';

/**
 * Pins issue 7 "placement per disk" on the local fleet: two hosts, each with two 2 GiB hdd disks
 * (1 GiB each for copies, 2 GiB in the host's hdd pool). A 2 GiB volume fits each pool but no
 * disk: the control plane refuses it (before, it was placed and the agents failed with "no healthy
 * hdd disk has room"). Two 1 GiB volumes fill the four disks, one copy each, and every copy is on
 * the disk the control plane recorded for it.
 */
jest.setTimeout(600_000);

const location = `e2e-d${randomUUID().slice(0, 6)}`;
const tenant = volumesAs('a');
const hostRecords = new DynamoDbHostRepository(deployment.hostsTableName);
const hosts: LocalHost[] = [];
const SMALL_HDD = { type: 'hdd' as const, sizeBytes: 2 * 1024 ** 3 };

beforeAll(() => startOwnHosts(hosts, [4, 5], location, 'host-e2e-disk', [{ type: 'ssd', sizeBytes: 2 * 1024 ** 3 }, SMALL_HDD, SMALL_HDD]));

afterAll(() => stopOwnHosts(hosts));

const settle = (volumeId: string) => volumeSettled(tenant, volumeId);

test('when a volume fits a host pool of two disks but no single disk, the control plane refuses it; volumes that fit go to the disks recorded for them', async () => {
  // Given: each host reports two hdd disks of 1 GiB
  for (const host of hosts) {
    const record = await hostRecords.get(host.hostId);
    expect(record?.capacity.hdd?.capacityGiB).toBe(2);
    expect(record?.disks?.filter((disk) => disk.type === 'hdd').map((disk) => disk.capacityGiB)).toEqual([1, 1]);
  }
  // When
  const tooBig = await settle(ok<VolumeView>(await tenant.create({ sizeGiB: 2, type: 'hdd', location })).volumeId);
  const fitting = await Promise.all([0, 1].map(async () => ok<VolumeView>(await tenant.create({ sizeGiB: 1, type: 'hdd', location })).volumeId));
  const settled = [];
  for (const volumeId of fitting) settled.push(await settle(volumeId));
  // Then: the 2 GiB volume is refused by placement, never by an agent that was promised room
  console.log(`disk placement: 2 GiB volume ${tooBig.status} (${tooBig.statusReason}); 1 GiB volumes ${settled.map((v) => v.status).join(', ')}`);
  expect(tooBig.status).toBe('error');
  expect(tooBig.statusReason).toMatch(/free on one disk/);
  expect(tooBig.statusReason).not.toMatch(/has room/);
  expect(settled.map((volume) => volume.status)).toEqual(['available', 'available']);
  // Then: four copies on four distinct disks, each in the folder of the disk recorded for it
  const placed = [];
  for (const volumeId of fitting) {
    const stored = await volumeRecord(volumeId);
    for (const copy of stored.copies) {
      const host = hosts.find((candidate) => candidate.hostId === copy.hostId) as LocalHost;
      expect(copy.deviceId).toMatch(new RegExp(`^${host.hostId}-loop\\d+$`));
      const diskName = (copy.deviceId as string).slice(host.hostId.length + 1);
      expect(existsSync(join(host.dataDir, 'disks', diskName, 'copies', copy.copyId))).toBe(true);
      placed.push(copy.deviceId);
    }
  }
  expect(new Set(placed).size).toBe(4);
  for (const host of hosts) {
    const record = await hostRecords.get(host.hostId);
    const hddDisks = (record?.disks ?? []).filter((disk) => disk.type === 'hdd');
    expect(hddDisks.map((disk) => record?.diskAllocations?.[disk.deviceId]?.allocatedGiB)).toEqual([1, 1]);
  }
  for (const volumeId of [tooBig.volumeId, ...fitting]) await tenant.delete(volumeId);
});
