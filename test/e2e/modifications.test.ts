import { ok, type VolumeView } from '../../client/blockplane-api';
import {
  availableVolumeIn,
  cancelModification,
  commandsFor,
  listModifications,
  modificationHosts,
  modificationReaching,
  modify,
  type ModificationView,
} from '../statemachines/support/modifications';
import { freshLocation, stopHosts, tenant, volumeRecord } from '../statemachines/support/scenario';
import { readFileSync } from 'node:fs';
import { eventually, httpAs, identities } from './support/local-cloud';
import { invokeFunction } from './support/invoke-function';

const outputs = JSON.parse(readFileSync(process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json', 'utf8')) as Record<string, Record<string, string>>;
const http = httpAs(identities.tenants.a);

jest.setTimeout(180_000);
afterEach(() => stopHosts());

/** A fill that takes a while (progress reported every second), so a test can act while it runs. */
const SLOW_FILL = { type: 'extend-chain', answerAfterMs: 5000, progressEveryMs: 1000 } as const;

async function fillRunning(hosts: Awaited<ReturnType<typeof modificationHosts>>, volumeId: string, count = 1): Promise<void> {
  await eventually(async () => (commandsFor(hosts, volumeId).filter((type) => type === 'extend-chain').length >= count ? true : undefined), 60_000, 'the fill to start', 200);
}

describe('volume modifications on the local cloud (scripted hosts)', () => {
  test('bad requests get a 4xx saying why and change nothing: shrink, shrink with allowShrink, no-op, unknown field, empty, IOPS out of range, unknown volume', async () => {
    // Given
    const location = freshLocation();
    await modificationHosts(location);
    const volume = await availableVolumeIn(location);
    const before = await volumeRecord(volume.volumeId);
    // When
    const answers = {
      shrink: await modify(volume.volumeId, { sizeGiB: 5 }),
      allowedShrink: await modify(volume.volumeId, { sizeGiB: 5, allowShrink: true }),
      noop: await modify(volume.volumeId, { sizeGiB: 10, iops: 3000 }),
      unknownField: await modify(volume.volumeId, { size: 20 }),
      empty: await modify(volume.volumeId, {}),
      iops: await modify(volume.volumeId, { iops: 99_999 }),
      unknownVolume: await modify('vol-0000000000000dead', { sizeGiB: 20 }),
    };
    // Then
    expect(Object.fromEntries(Object.entries(answers).map(([name, answer]) => [name, answer.status]))).toEqual({
      shrink: 400, allowedShrink: 400, noop: 400, unknownField: 400, empty: 400, iops: 400, unknownVolume: 404,
    });
    expect((answers.shrink.body as { message: string }).message).toMatch(/allowShrink: true/);
    expect((answers.allowedShrink.body as { message: string }).message).toMatch(/not supported yet: no high-water mark.*10 GiB/);
    expect((answers.noop.body as { message: string }).message).toMatch(/nothing to modify/);
    expect(await volumeRecord(volume.volumeId)).toEqual(before);
    expect(ok<{ modifications: unknown[] }>(await listModifications(volume.volumeId)).modifications).toEqual([]);
  });

  test('a dry run answers the plan (which hosts, data to copy) and changes nothing', async () => {
    // Given
    const location = freshLocation();
    await modificationHosts(location);
    const volume = await availableVolumeIn(location);
    const before = await volumeRecord(volume.volumeId);
    // When
    const answer = await modify(volume.volumeId, { type: 'hdd', dryRun: true });
    // Then
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ dryRun: true, target: { type: 'hdd', iops: 100 }, plan: { kind: 'migrate', bytesToCopy: 2 * 10 * 1024 ** 3 } });
    expect(await volumeRecord(volume.volumeId)).toEqual(before);
    expect(ok<{ modifications: unknown[] }>(await listModifications(volume.volumeId)).modifications).toEqual([]);
  });

  test('a cancel mid-fill rolls back: the modification is cancelled, the filling copy deleted, the volume exactly as before', async () => {
    // Given
    const location = freshLocation();
    const hosts = await modificationHosts(location, SLOW_FILL);
    const volume = await availableVolumeIn(location);
    const requested = ok<ModificationView>(await modify(volume.volumeId, { type: 'hdd' }));
    await fillRunning(hosts, volume.volumeId);
    expect(ok<VolumeView>(await tenant.get(volume.volumeId)).status).toBe('modifying');
    // When
    const cancel = await cancelModification(volume.volumeId, requested.modificationId);
    // Then
    expect(cancel.status).toBe(202);
    const ended = await modificationReaching(volume.volumeId, requested.modificationId, ['cancelled', 'completed', 'failed']);
    expect(ended).toMatchObject({ status: 'cancelled', statusReason: expect.stringMatching(/cancelled before its cutover/) });
    const after = ok<VolumeView>(await tenant.get(volume.volumeId));
    expect(after).toEqual({ ...volume, updatedAt: after.updatedAt });
    expect(commandsFor(hosts, volume.volumeId)).not.toContain('quiesce-replication');
    await eventually(async () => (commandsFor(hosts, volume.volumeId).includes('delete-copy') ? true : undefined), 30_000, 'the filling copy to be deleted');
  });

  test('coalescing: a request during the fill is merged and re-planned; one after the cutover is queued and runs next; both are recorded', async () => {
    // Given: a type change filling its first new copy
    const location = freshLocation();
    const hosts = await modificationHosts(location, SLOW_FILL);
    const volume = await availableVolumeIn(location);
    const first = ok<ModificationView>(await modify(volume.volumeId, { type: 'hdd' }));
    await fillRunning(hosts, volume.volumeId);
    // When: a second request arrives before the cutover
    const merged = ok<ModificationView>(await modify(volume.volumeId, { iops: 400 }));
    // Then: it is the same modification with the merged target
    expect(merged).toMatchObject({ modificationId: first.modificationId, target: { type: 'hdd', iops: 400 }, coalesced: [{ outcome: 'merged' }] });
    // When: a third arrives after the (re-planned) first cutover
    await eventually(async () => (commandsFor(hosts, volume.volumeId).includes('quiesce-replication') ? true : undefined), 90_000, 'the cutover');
    const queued = ok<ModificationView>(await modify(volume.volumeId, { sizeGiB: 20 }));
    expect(queued).toMatchObject({ queuedBehind: first.modificationId, coalesced: [{ outcome: 'queued' }] });
    expect((await cancelModification(volume.volumeId, first.modificationId)).status).toBe(409);
    // Then: both end completed, in order, and the volume has every change
    expect(await modificationReaching(volume.volumeId, first.modificationId, ['completed', 'failed'])).toMatchObject({ status: 'completed' });
    expect(await modificationReaching(volume.volumeId, queued.modificationId, ['completed', 'failed'])).toMatchObject({
      status: 'completed', original: { type: 'hdd', iops: 400, sizeGiB: 10 }, target: { sizeGiB: 20 },
    });
    expect(ok<VolumeView>(await tenant.get(volume.volumeId))).toMatchObject({ status: 'available', type: 'hdd', iops: 400, sizeGiB: 20 });
    // The history, newest first, one page at a time.
    const page = ok<{ modifications: ModificationView[]; nextToken?: string }>(await listModifications(volume.volumeId, '?limit=1'));
    expect(page.modifications.map((m) => m.modificationId)).toEqual([queued.modificationId]);
    const rest = ok<{ modifications: ModificationView[] }>(await listModifications(volume.volumeId, `?limit=1&nextToken=${encodeURIComponent(page.nextToken ?? '')}`));
    expect(rest.modifications.map((m) => m.modificationId)).toEqual([first.modificationId]);
  });

  test('automatic grow: a reported utilization over the policy threshold makes the scheduled evaluation grow the volume (trigger auto-grow)', async () => {
    // Given
    const location = freshLocation();
    await modificationHosts(location);
    const volume = await availableVolumeIn(location);
    const policy = { autoGrow: { maxUtilizationPercent: 80, stepPercent: 50, maxSizeGiB: 20 } };
    expect(ok(await http.request('PUT', `/volumes/${volume.volumeId}/policy`, policy))).toEqual({ volumeId: volume.volumeId, policy });
    expect((await http.request('PUT', `/volumes/${volume.volumeId}/policy`, { autoGrow: { maxUtilizationPercent: 180 } })).status).toBe(400);
    ok(await http.request('POST', `/volumes/${volume.volumeId}/utilization`, { usedGiB: 9 }));
    // When
    await invokeFunction(outputs.BlockplaneWorkflows.EvaluateAutoAdjustFunctionName, {});
    // Then
    const history = ok<{ modifications: ModificationView[] }>(await listModifications(volume.volumeId));
    expect(history.modifications).toEqual([expect.objectContaining({ trigger: 'auto-grow', target: expect.objectContaining({ sizeGiB: 15 }) })]);
    await modificationReaching(volume.volumeId, history.modifications[0].modificationId, ['completed']);
    expect(ok<VolumeView>(await tenant.get(volume.volumeId))).toMatchObject({ status: 'available', sizeGiB: 15 });
  });
});
