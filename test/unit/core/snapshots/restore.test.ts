import { createRestoredCopyCommand } from '../../../../core/copy-commands';
import { InvalidRequestError, InvalidStateError, NotFoundError } from '../../../../core/errors';
import type { HostCommand } from '../../../../core/host-command';
import type { ChunkUrl, SnapshotObjects } from '../../../../core/snapshots/ports';
import { restoreSource } from '../../../../core/snapshots/restore-source';
import { pendingSnapshot, type Snapshot } from '../../../../core/snapshots/snapshot';
import { ChunkUrlsRequestSchema } from '../../../../core/snapshots/snapshot-requests';
import { SnapshotStatus } from '../../../../core/snapshots/snapshot-status';
import { handOutChunkUrls } from '../../../../core/snapshots/use-cases/hand-out-chunk-urls';
import { createVolume, type CreateVolumeDeps } from '../../../../core/use-cases/create-volume';
import { describeVolumeNow } from '../../../../core/use-cases/describe-volume';
import { describeVolume } from '../../../../core/volume';
import { CreateVolumeRequestSchema } from '../../../../core/volume-requests';
import { fillPercent, restoreProgressPercent } from '../../../../core/volume-restore';
import { VolumeStatus } from '../../../../core/volume-status';
import { aVolume, aVolumeId, OTHER_TENANT, TENANT } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { InMemoryHostCommandQueue } from '../../fakes/in-memory-host-command-queue';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';
import { RecordingVolumeWorkflows } from '../../fakes/recording-volume-workflows';

const NOW = new Date('2025-03-01T12:00:00.000Z');

function snapshotOf(volumeId: string, overrides: Partial<Snapshot> = {}): Snapshot {
  return { ...pendingSnapshot({ tenantId: TENANT, volumeId, lineageId: volumeId, sizeGiB: 10, now: NOW }), status: SnapshotStatus.completed, ...overrides };
}

function snapshotStore(...snapshots: Snapshot[]) {
  const byId = new Map(snapshots.map((snapshot) => [snapshot.snapshotId, snapshot]));
  return { get: async (snapshotId: string) => byId.get(snapshotId) };
}

const request = (input: Record<string, unknown>) => CreateVolumeRequestSchema.parse({ sizeGiB: 10, type: 'ssd', location: 'zone-a', ...input });

function setUp(...snapshots: Snapshot[]) {
  const volumes = new InMemoryVolumeRepository();
  const workflows = new RecordingVolumeWorkflows();
  const deps: CreateVolumeDeps = { volumes, workflows, now: new FakeClock('2025-03-01T12:00:00.000Z').now, snapshots: snapshotStore(...snapshots) };
  return { volumes, workflows, deps };
}

describe('restoreSource', () => {
  const source = snapshotOf(aVolumeId());

  test('when the snapshot is the tenant\'s, completed and no larger than the volume, it is the source', async () => {
    await expect(restoreSource(snapshotStore(source), TENANT, source.snapshotId, 10)).resolves.toEqual(source);
  });

  test.each([
    ['another tenant\'s', { tenantId: OTHER_TENANT }, NotFoundError],
    ['deleted', { status: SnapshotStatus.deleted }, NotFoundError],
    ['pending', { status: SnapshotStatus.pending }, InvalidStateError],
    ['error', { status: SnapshotStatus.error }, InvalidStateError],
    ['deleting', { status: SnapshotStatus.deleting }, InvalidStateError],
  ] as const)('when the snapshot is %s, it is refused', async (_name, overrides, error) => {
    const snapshot = snapshotOf(aVolumeId(), overrides);
    await expect(restoreSource(snapshotStore(snapshot), TENANT, snapshot.snapshotId, 10)).rejects.toBeInstanceOf(error);
  });

  test('when the volume is smaller than the snapshot, it is a bad request naming both sizes', async () => {
    await expect(restoreSource(snapshotStore(source), TENANT, source.snapshotId, 9)).rejects.toThrow(new InvalidRequestError(`sizeGiB 9 is smaller than snapshot ${source.snapshotId} (10 GiB); the volume must be at least as large`));
  });

  test('when the snapshot does not exist, it is not found', async () => {
    await expect(restoreSource(snapshotStore(), TENANT, 'snap-0123456789abcdef0', 10)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('createVolume with snapshotId', () => {
  test('when the snapshot can be restored, it records a creating volume naming the snapshot and starts its workflow', async () => {
    // Given
    const source = snapshotOf(aVolumeId());
    const { volumes, workflows, deps } = setUp(source);
    // When
    const volume = await createVolume(deps, TENANT, request({ sizeGiB: 20, snapshotId: source.snapshotId }));
    // Then
    expect(volume).toMatchObject({ status: VolumeStatus.creating, sizeGiB: 20, snapshotId: source.snapshotId });
    expect(await volumes.get(volume.volumeId)).toEqual(volume);
    expect(workflows.creates).toEqual([volume.volumeId]);
    expect(describeVolume(volume)).toMatchObject({ snapshotId: source.snapshotId, restoreProgressPercent: 0 });
  });

  test.each([
    ['smaller than the snapshot', { sizeGiB: 5 }, TENANT, InvalidRequestError],
    ['another tenant\'s snapshot', {}, OTHER_TENANT, NotFoundError],
    ['an unknown snapshot', { snapshotId: 'snap-0123456789abcdef0' }, TENANT, NotFoundError],
  ] as const)('when the request names %s, it is refused and nothing is recorded or started', async (_name, input, tenant, error) => {
    // Given
    const source = snapshotOf(aVolumeId());
    const { volumes, workflows, deps } = setUp(source);
    // When
    const attempt = createVolume(deps, tenant, request({ snapshotId: source.snapshotId, ...input }));
    // Then
    await expect(attempt).rejects.toBeInstanceOf(error);
    expect(volumes.all()).toEqual([]);
    expect(workflows.creates).toEqual([]);
  });

  test('when a snapshot is still pending, it is a conflict and nothing is recorded', async () => {
    const source = snapshotOf(aVolumeId(), { status: SnapshotStatus.pending });
    const { volumes, deps } = setUp(source);
    await expect(createVolume(deps, TENANT, request({ snapshotId: source.snapshotId }))).rejects.toBeInstanceOf(InvalidStateError);
    expect(volumes.all()).toEqual([]);
  });

  test('when the control plane has no snapshots, a snapshotId is not found', async () => {
    const { volumes, deps } = setUp();
    await expect(createVolume({ ...deps, snapshots: undefined }, TENANT, request({ snapshotId: 'snap-0123456789abcdef0' }))).rejects.toBeInstanceOf(NotFoundError);
    expect(volumes.all()).toEqual([]);
  });

  test('when a client token is reused for another snapshot, the parameters do not match', async () => {
    const one = snapshotOf(aVolumeId());
    const two = snapshotOf(aVolumeId());
    const { deps } = setUp(one, two);
    await createVolume(deps, TENANT, request({ snapshotId: one.snapshotId, clientToken: 'tok' }));
    await expect(createVolume(deps, TENANT, request({ snapshotId: two.snapshotId, clientToken: 'tok' }))).rejects.toThrow(/other parameters/);
  });
});

describe('restore progress', () => {
  const running = (current?: number, total?: number): Pick<HostCommand, 'status' | 'progress'> => ({ status: 'pending', ...(total !== undefined ? { progress: { current, total } } : {}) });

  test('a copy\'s fill is its reported chunks, 99 at most until its command answers, 100 once it succeeded', () => {
    expect(fillPercent(undefined)).toBe(0);
    expect(fillPercent(running())).toBe(0);
    expect(fillPercent(running(25, 100))).toBe(25);
    expect(fillPercent(running(100, 100))).toBe(99);
    expect(fillPercent({ status: 'succeeded' })).toBe(100);
  });

  test('the volume is as far as its slowest copy', () => {
    expect(restoreProgressPercent([running(80, 100), running(30, 100)])).toBe(30);
    expect(restoreProgressPercent([{ status: 'succeeded' }, running(50, 100)])).toBe(50);
    expect(restoreProgressPercent([])).toBe(0);
  });

  test('when a restored volume is creating, GET reads its fill commands; once available it shows 100; an error shows none', async () => {
    // Given
    const commands = new InMemoryHostCommandQueue();
    const base = { hostId: 'host-a', type: 'create-copy' as const, payload: {}, status: 'pending' as const, createdAt: NOW.toISOString() };
    await commands.enqueue({ ...base, commandId: 'cmd-1' });
    await commands.enqueue({ ...base, hostId: 'host-b', commandId: 'cmd-2' });
    await commands.recordProgress('host-a', 'cmd-1', { current: 60, total: 100 }, NOW);
    await commands.recordProgress('host-b', 'cmd-2', { current: 40, total: 100 }, NOW);
    const volume = aVolume({ status: VolumeStatus.creating, snapshotId: 'snap-0123456789abcdef0', restoreCommands: [{ hostId: 'host-a', commandId: 'cmd-1' }, { hostId: 'host-b', commandId: 'cmd-2' }] });
    // When / Then
    const view = await describeVolumeNow(commands, volume);
    expect(view).toMatchObject({ restoreProgressPercent: 40 });
    expect(view).not.toHaveProperty('restoreCommands');
    expect(await describeVolumeNow(commands, { ...volume, status: VolumeStatus.available })).toMatchObject({ restoreProgressPercent: 100 });
    expect(await describeVolumeNow(commands, { ...volume, status: VolumeStatus.error })).not.toHaveProperty('restoreProgressPercent');
    expect(await describeVolumeNow(commands, aVolume())).not.toHaveProperty('restoreProgressPercent');
  });
});

describe('createRestoredCopyCommand', () => {
  test('a restored volume\'s copy is filled from its snapshot, with the planned command id; any other volume\'s is a plain create-copy', () => {
    const copy = { copyId: 'c-1', hostId: 'host-a', role: 'primary' as const };
    const volume = aVolume({ snapshotId: 'snap-0123456789abcdef0', copies: [copy] });
    const command = createRestoredCopyCommand(volume, copy, 'cmd-x');
    expect(command).toMatchObject({ hostId: 'host-a', commandId: 'cmd-x', type: 'create-copy', payload: { copyId: 'c-1', restoreFrom: { snapshotId: 'snap-0123456789abcdef0' } } });
    expect(createRestoredCopyCommand(aVolume({ copies: [copy] }), copy, 'cmd-y').payload).not.toHaveProperty('restoreFrom');
  });
});

describe('handOutChunkUrls for a restore', () => {
  const DIGEST = 'a'.repeat(64);
  const url = (digest: string): ChunkUrl => ({ digest, url: `https://s3.example/${digest || 'manifest'}`, headers: {}, expiresAt: NOW.toISOString() });
  const objects = {
    presignManifestGet: async () => url(''),
    presignGet: async (_lineage: string, digest: string) => url(digest),
    getManifest: async () => ({ chunks: [{ index: 0, digest: DIGEST, lengthBytes: 1 }] }),
  } as unknown as SnapshotObjects;

  async function setUpRestore() {
    const volumes = new InMemoryVolumeRepository();
    const source = aVolume({ volumeId: aVolumeId(), copies: [{ copyId: 'c-src', hostId: 'host-src', role: 'primary' }] });
    const snapshot = snapshotOf(source.volumeId);
    const restored = aVolume({ volumeId: aVolumeId(), snapshotId: snapshot.snapshotId, copies: [{ copyId: 'c-new', hostId: 'host-new', role: 'primary' }] });
    const unrelated = aVolume({ volumeId: aVolumeId(), copies: [{ copyId: 'c-other', hostId: 'host-other', role: 'primary' }] });
    for (const volume of [source, restored, unrelated]) await volumes.create(volume, 'fp');
    const deps = { snapshots: { ...snapshotStore(snapshot), save: async () => undefined } as never, volumes, objects, now: () => NOW };
    return { deps, snapshot, restored, unrelated };
  }

  test('when a host of the restored volume asks without digests, it gets the manifest URL; with digests, the chunk URLs', async () => {
    const { deps, snapshot, restored } = await setUpRestore();
    const manifest = await handOutChunkUrls(deps, 'host-new', ChunkUrlsRequestSchema.parse({ snapshotId: snapshot.snapshotId, method: 'GET', volumeId: restored.volumeId }));
    expect(manifest).toEqual({ urls: [], held: [], manifest: url('') });
    const chunks = await handOutChunkUrls(deps, 'host-new', ChunkUrlsRequestSchema.parse({ snapshotId: snapshot.snapshotId, method: 'GET', volumeId: restored.volumeId, digests: [DIGEST] }));
    expect(chunks.urls).toEqual([url(DIGEST)]);
  });

  test('when a host names a volume that was not restored from the snapshot, or holds no copy of the one it names, it is not found', async () => {
    const { deps, snapshot, restored, unrelated } = await setUpRestore();
    await expect(handOutChunkUrls(deps, 'host-other', ChunkUrlsRequestSchema.parse({ snapshotId: snapshot.snapshotId, method: 'GET', volumeId: unrelated.volumeId }))).rejects.toBeInstanceOf(NotFoundError);
    await expect(handOutChunkUrls(deps, 'host-other', ChunkUrlsRequestSchema.parse({ snapshotId: snapshot.snapshotId, method: 'GET', volumeId: restored.volumeId }))).rejects.toBeInstanceOf(NotFoundError);
    await expect(handOutChunkUrls(deps, 'host-new', ChunkUrlsRequestSchema.parse({ snapshotId: snapshot.snapshotId, method: 'GET' }))).rejects.toBeInstanceOf(NotFoundError);
  });
});
