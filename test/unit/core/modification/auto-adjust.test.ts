import type { PolicyVolumes } from '../../../../core/modification-ports';
import { evaluateAutoAdjust } from '../../../../core/use-cases/evaluate-auto-adjust';
import { reportUtilization, setVolumePolicy } from '../../../../core/use-cases/volume-policy';
import type { Volume } from '../../../../core/volume';
import { autoGrowTarget, type VolumePolicy } from '../../../../core/volume-policy';
import { aHost, aVolume, capacity, TENANT } from '../../fakes/builders';
import { FakeClock } from '../../fakes/fake-clock';
import { InMemoryHostRepository } from '../../fakes/in-memory-host-repository';
import { InMemoryModificationRepository } from '../../fakes/in-memory-modification-repository';
import { InMemoryVolumeRepository } from '../../fakes/in-memory-volume-repository';

const POLICY: VolumePolicy = { autoGrow: { maxUtilizationPercent: 80, stepPercent: 50, maxSizeGiB: 130 } };
const NOW = new Date('2025-01-01T00:00:00.000Z');
const used = (usedGiB: number, at = NOW) => ({ usedGiB, percent: usedGiB, reportedAt: at.toISOString() });

describe('autoGrowTarget', () => {
  test('at or over the threshold it grows by the step, capped at maxSizeGiB', () => {
    expect(autoGrowTarget({ sizeGiB: 100 }, POLICY, used(80), NOW)).toBe(130);
    expect(autoGrowTarget({ sizeGiB: 20 }, POLICY, used(19), NOW)).toBe(30);
  });

  test('under the threshold, at the cap, without a policy or with a stale report it asks for nothing', () => {
    expect(autoGrowTarget({ sizeGiB: 100 }, POLICY, used(79), NOW)).toBeUndefined();
    expect(autoGrowTarget({ sizeGiB: 130 }, POLICY, used(129), NOW)).toBeUndefined();
    expect(autoGrowTarget({ sizeGiB: 100 }, {}, used(99), NOW)).toBeUndefined();
    expect(autoGrowTarget({ sizeGiB: 100 }, POLICY, used(99, new Date(NOW.getTime() - 16 * 60_000)), NOW)).toBeUndefined();
  });
});

describe('evaluateAutoAdjust', () => {
  test('a volume whose reported utilization crossed its threshold gets a grow with trigger auto-grow; the others nothing', async () => {
    // Given
    const clock = new FakeClock(NOW.toISOString());
    const volumes = new InMemoryVolumeRepository();
    const hosts = new InMemoryHostRepository();
    for (const hostId of ['host-a', 'host-b']) hosts.put(aHost({ hostId, capacity: { ssd: capacity() } }));
    const copies: Volume['copies'] = [
      { copyId: 'cpy-00000000000a', hostId: 'host-a', role: 'primary', inSync: true, inSyncGeneration: 1 },
      { copyId: 'cpy-00000000000b', hostId: 'host-b', role: 'mirror', inSync: true, inSyncGeneration: 1 },
    ];
    const full = volumes.put(aVolume({ status: 'available', copies }));
    const calm = volumes.put(aVolume({ status: 'available', copies }));
    const deps = { volumes, now: clock.now };
    await setVolumePolicy(deps, TENANT, full.volumeId, POLICY);
    await setVolumePolicy(deps, TENANT, calm.volumeId, POLICY);
    await reportUtilization(deps, TENANT, full.volumeId, { usedGiB: 90 });
    await reportUtilization(deps, TENANT, calm.volumeId, { usedGiB: 10 });
    const policyVolumes: PolicyVolumes = { listWithPolicy: async () => volumes.all().filter((volume) => volume.policy) };
    const modifications = new InMemoryModificationRepository();
    const started: string[] = [];
    // When
    const outcome = await evaluateAutoAdjust({
      volumes, hosts, modifications, policyVolumes, now: clock.now,
      workflows: { startModification: async (_volumeId, modificationId) => void started.push(modificationId) },
    });
    // Then
    expect(outcome).toMatchObject({ evaluated: 2, requested: [{ volumeId: full.volumeId, sizeGiB: 130 }], refused: [] });
    expect(modifications.all()).toEqual([expect.objectContaining({ volumeId: full.volumeId, trigger: 'auto-grow', target: expect.objectContaining({ sizeGiB: 130 }) })]);
    expect(started).toHaveLength(1);
    expect((await volumes.get(full.volumeId))?.status).toBe('modifying');
  });
});
