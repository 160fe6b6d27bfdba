import { resumableAfterCleanStop } from '../../../core/clean-restart';
import type { CopyReport } from '../../../core/host-requests';
import type { Volume, VolumeCopy } from '../../../core/volume';
import { aVolume } from '../fakes/builders';

const NBD = { address: '10.0.0.2', port: 10809, exportName: 'vol.g3' };
const PRIMARY: VolumeCopy = { copyId: 'cpy-000000000001', hostId: 'host-a', role: 'primary', inSync: true, inSyncGeneration: 3, nbd: { ...NBD, address: '10.0.0.1' } };
const MIRROR: VolumeCopy = { copyId: 'cpy-000000000002', hostId: 'host-b', role: 'mirror', inSync: true, inSyncGeneration: 3, nbd: NBD };

function twoCopies(overrides: Partial<Volume> = {}): Volume {
  return aVolume({ status: 'in-use', generation: 3, copies: [PRIMARY, MIRROR], ...overrides });
}

function report(overrides: Partial<CopyReport> = {}): CopyReport {
  return { volumeId: 'vol', copyId: PRIMARY.copyId, role: 'primary', generation: 3, state: 'held', stoppedCleanly: true, ...overrides };
}

describe('resumableAfterCleanStop', () => {
  test('when a copy held since a clean stop is still the record\'s, at the current generation, with both copies in sync, it is resumed', () => {
    expect(resumableAfterCleanStop(twoCopies(), 'host-a', report())).toEqual({ copy: PRIMARY });
    expect(resumableAfterCleanStop(twoCopies({ status: 'available' }), 'host-b', report({ copyId: MIRROR.copyId, role: 'mirror' }))).toEqual({ copy: MIRROR });
  });

  test.each<[string, Volume, string, CopyReport, string]>([
    ['the agent did not stop cleanly', twoCopies(), 'host-a', report({ stoppedCleanly: undefined }), 'its host did not stop cleanly'],
    ['the copy serves already', twoCopies(), 'host-a', report({ state: 'serving' }), 'it is serving, not held'],
    ['the copy is placed on another host', twoCopies(), 'host-c', report(), 'the volume no longer places it on host host-c'],
    ['the roles differ (the mirror was promoted)', twoCopies(), 'host-a', report({ role: 'mirror' }), 'it is reported mirror but the volume counts it as primary'],
    ['a promotion advanced the generation', twoCopies({ generation: 4 }), 'host-a', report(), 'it is at generation 3, the volume at 4'],
    ['the volume is degraded (a rebuild runs)', twoCopies({ status: 'degraded' }), 'host-a', report(), 'the volume is degraded'],
    ['a modification runs', twoCopies({ status: 'modifying' }), 'host-a', report(), 'the volume is modifying'],
    ['the volume is impaired (a recovery is open)', twoCopies({ status: 'impaired' }), 'host-a', report(), 'the volume is impaired'],
    ['the volume has one copy', twoCopies({ copies: [PRIMARY] }), 'host-a', report(), 'the volume does not have exactly one primary and one mirror'],
    ['the mirror was outdated', twoCopies({ copies: [PRIMARY, { ...MIRROR, inSync: false }] }), 'host-a', report(), 'its copies are not both in sync at generation 3'],
    ['the mirror\'s mark is from an older generation', twoCopies({ copies: [PRIMARY, { ...MIRROR, inSyncGeneration: 2 }] }), 'host-a', report(), 'its copies are not both in sync at generation 3'],
    ['the mirror has no export', twoCopies({ copies: [PRIMARY, { ...MIRROR, nbd: undefined }] }), 'host-a', report(), 'the mirror has no known export'],
  ])('when %s, it is not resumed, and says why', (_case, volume, hostId, reported, why) => {
    expect(resumableAfterCleanStop(volume, hostId, reported)).toEqual({ why });
  });
});
