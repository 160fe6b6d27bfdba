import { ForbiddenError, InvalidStateError } from '../../../../core/errors';
import { outdateMirror, type OutdateMirrorDeps } from '../../../../core/use-cases/outdate-mirror';
import type { Volume, VolumeCopy } from '../../../../core/volume';
import { aHost, aVolume, HOST_PRINCIPAL, OTHER_HOST_PRINCIPAL } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { InMemoryHostRepository } from '../../fakes/in-memory-host-repository';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';
import { RecordingFailoverWorkflows } from '../../fakes/recording-failover-workflows';

const PRIMARY: VolumeCopy = { copyId: 'cpy-00000000000a', hostId: 'host-a', role: 'primary', inSync: true, inSyncGeneration: 4 };
const MIRROR: VolumeCopy = { copyId: 'cpy-00000000000b', hostId: 'host-b', role: 'mirror', inSync: true, inSyncGeneration: 4 };

function setUp(volume: Partial<Volume> = {}) {
  const volumes = new InMemoryVolumeRepository();
  const hosts = new InMemoryHostRepository();
  const failovers = new RecordingFailoverWorkflows();
  hosts.put(aHost({ hostId: 'host-a', principalArn: HOST_PRINCIPAL }));
  hosts.put(aHost({ hostId: 'host-b', principalArn: OTHER_HOST_PRINCIPAL }));
  const stored = volumes.put(aVolume({ status: 'in-use', generation: 4, copies: [PRIMARY, MIRROR], ...volume }));
  const deps: OutdateMirrorDeps = { volumes, hosts, failovers, now: new FakeClock('2025-03-01T03:00:00.000Z').now };
  return { volumes, failovers, deps, stored };
}

const fault = (volumeId: string, overrides: Partial<{ copyId: string; generation: number }> = {}) => ({
  volumeId,
  copyId: PRIMARY.copyId,
  generation: 4,
  reason: 'the mirror does not answer',
  ...overrides,
});

describe('outdateMirror (the consent a primary needs to continue alone)', () => {
  test('when the primary reports its in-sync mirror lost, the mirror loses its in-sync mark and the generation advances in one write, then its replacement starts', async () => {
    // Given
    const { volumes, failovers, deps, stored } = setUp();
    // When
    const answer = await outdateMirror(deps, HOST_PRINCIPAL, 'host-a', fault(stored.volumeId));
    // Then
    expect(answer).toEqual({ volumeId: stored.volumeId, generation: 5, outdatedCopyIds: [MIRROR.copyId] });
    const saved = (await volumes.get(stored.volumeId)) as Volume;
    expect(saved).toMatchObject({ status: 'degraded', generation: 5, version: stored.version + 1, copies: [{ ...PRIMARY, inSyncGeneration: 5 }, { ...MIRROR, inSync: false }] });
    expect(saved.statusReason).toContain('out of date at generation 5');
    expect(failovers.started).toEqual([{ volumeId: stored.volumeId, lostCopyId: MIRROR.copyId, reason: expect.stringContaining('lost its mirror'), volumeVersion: saved.version }]);
  });

  test('when the same report comes again (the answer was lost), it answers the current generation and changes nothing', async () => {
    // Given
    const { volumes, deps, stored } = setUp();
    await outdateMirror(deps, HOST_PRINCIPAL, 'host-a', fault(stored.volumeId));
    const before = await volumes.get(stored.volumeId);
    // When
    const again = await outdateMirror(deps, HOST_PRINCIPAL, 'host-a', fault(stored.volumeId));
    // Then
    expect(again).toEqual({ volumeId: stored.volumeId, generation: 5, outdatedCopyIds: [] });
    expect(await volumes.get(stored.volumeId)).toEqual(before);
  });

  test('when the reporting copy is no longer the primary (the mirror was promoted), it refuses: the old primary must never continue alone', async () => {
    // Given: the mirror on host-b was promoted at generation 5, the old primary is gone
    const { volumes, deps, stored } = setUp({ generation: 5, copies: [{ ...MIRROR, role: 'primary' }] });
    // When / Then
    await expect(outdateMirror(deps, HOST_PRINCIPAL, 'host-a', fault(stored.volumeId))).rejects.toThrow(InvalidStateError);
    expect(await volumes.get(stored.volumeId)).toEqual(stored);
  });

  test('when a copy claims a generation the control plane never issued, it refuses and changes nothing', async () => {
    const { volumes, deps, stored } = setUp();
    await expect(outdateMirror(deps, HOST_PRINCIPAL, 'host-a', fault(stored.volumeId, { generation: 9 }))).rejects.toThrow(InvalidStateError);
    expect(await volumes.get(stored.volumeId)).toEqual(stored);
  });

  test('when the mirror is still being built (not in sync), there is nothing to outdate: it consents at the current generation', async () => {
    const { failovers, deps, stored } = setUp({ status: 'degraded', copies: [PRIMARY, { ...MIRROR, inSync: false }] });
    expect(await outdateMirror(deps, HOST_PRINCIPAL, 'host-a', fault(stored.volumeId))).toEqual({ volumeId: stored.volumeId, generation: 4, outdatedCopyIds: [] });
    expect(failovers.started).toEqual([]);
  });

  test('when a fail-over writes the volume at the same moment, it reads again and decides on what is stored now', async () => {
    // Given: just before our write, a fail-over promoted the mirror (another host lost the primary)
    const { volumes, deps, stored } = setUp();
    volumes.interleaveBeforeNextSave(() => volumes.put({ ...stored, generation: 5, version: stored.version + 1, copies: [{ ...MIRROR, role: 'primary' }] }));
    // When / Then: the retry sees the promotion and refuses
    await expect(outdateMirror(deps, HOST_PRINCIPAL, 'host-a', fault(stored.volumeId))).rejects.toThrow(InvalidStateError);
  });

  test('when another host principal calls for this host, it is refused', async () => {
    const { deps, stored } = setUp();
    await expect(outdateMirror(deps, OTHER_HOST_PRINCIPAL, 'host-a', fault(stored.volumeId))).rejects.toThrow(ForbiddenError);
  });
});
