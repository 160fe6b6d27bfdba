import type { Modification, Report, Volume, VolumeHealth } from '../../../console/src/api-types';
import { bytes, complianceWindow, createVolumeRequest, duration, isSettled, modificationRow, reportFindings, volumeRow } from '../../../console/src/view-models';

const volume: Volume = {
  volumeId: 'vol-0123456789abcdef0', sizeGiB: 10, type: 'ssd', iops: 3000, location: 'here', status: 'available',
  copies: [
    { copyId: 'cp-2', hostId: 'h2', role: 'mirror', inSync: false },
    { copyId: 'cp-1', hostId: 'h1', role: 'primary', inSync: true },
  ],
  generation: 1, attachments: [], createdAt: '2026-12-02T13:00:00Z', updatedAt: '2026-12-02T13:00:00Z',
} as unknown as Volume;

describe('volumeRow', () => {
  test('when a volume has a syncing mirror, the primary comes first and the mirror says it is syncing', () => {
    expect(volumeRow(volume)).toEqual({
      volumeId: 'vol-0123456789abcdef0', shape: '10 GiB ssd, 3000 IOPS', location: 'here', status: 'available',
      copies: 'primary on h1, mirror on h2 (syncing)', health: 'unknown',
    });
  });

  test('when its health is known, the row gives the level and counts the open events', () => {
    const health = { volumeId: volume.volumeId, level: 'yellow', components: [], openEvents: [{}, {}] } as unknown as VolumeHealth;
    expect(volumeRow(volume, health).health).toBe('yellow, 2 open event(s)');
  });

  test('when a volume failed, its status carries the reason; a volume without copies says none', () => {
    const row = volumeRow({ ...volume, status: 'error', statusReason: 'no capacity', copies: [] } as unknown as Volume);
    expect(row.status).toBe('error: no capacity');
    expect(row.copies).toBe('none');
  });

  test.each([['creating', false], ['deleting', false], ['modifying', false], ['available', true], ['error', true], ['deleted', true]])('when a volume is %s, settled is %p', (status, settled) => {
    expect(isSettled({ ...volume, status } as unknown as Volume)).toBe(settled);
  });
});

describe('createVolumeRequest', () => {
  const form = { sizeGiB: '10', type: 'ssd', iops: '3000', location: ' here ' };
  test('when the form is complete, it is the request with numbers and a trimmed location', () => {
    expect(createVolumeRequest(form)).toEqual({ ok: true, request: { sizeGiB: 10, type: 'ssd', iops: 3000, location: 'here' } });
  });
  test.each([
    [{ sizeGiB: '0' }, /Size/], [{ sizeGiB: '1.5' }, /Size/], [{ sizeGiB: 'ten' }, /Size/], [{ iops: '-1' }, /IOPS/], [{ type: 'tape' }, /Type/], [{ location: '  ' }, /Location/],
  ])('when the form has %p, it says what is wrong', (change, message) => {
    const answer = createVolumeRequest({ ...form, ...change });
    expect(answer.ok).toBe(false);
    expect(answer.ok ? '' : answer.error).toMatch(message);
  });
});

describe('modificationRow', () => {
  test('when a modification grows and re-rates a volume, the row lists each change with its progress and ETA', () => {
    const modification = {
      modificationId: 'mod-1', volumeId: volume.volumeId, status: 'optimizing', trigger: 'api', progressPercent: 40, etaSeconds: 75, coalesced: [], startedAt: '2026-12-02T13:00:00Z',
      original: { sizeGiB: 10, iops: 3000, type: 'ssd', location: 'here' },
      target: { sizeGiB: 20, iops: 4000, type: 'ssd', location: 'here' },
    } as unknown as Modification;
    expect(modificationRow(modification)).toEqual({ modificationId: 'mod-1', status: 'optimizing', change: 'size 10 → 20 GiB, IOPS 3000 → 4000', progressPercent: 40, eta: '1 min 15 s' });
  });
});

describe('reportFindings', () => {
  test('when a report is diagnosed, its matches carry their steps in order, and missing evidence is listed', () => {
    const report = {
      reportId: 'rep-1', status: 'diagnosed', source: 'host', createdAt: '', expiresAt: '',
      result: {
        matches: [{ issueId: 'KI-1', version: 1, title: 'Disk full', severity: 'high', cause: 'no space', solutions: [{ rank: 1, title: 't', steps: ['grow', 'check'] }, { rank: 2, title: 'u', steps: ['clean'] }] }],
        insufficientEvidence: [{ issueId: 'KI-2', title: 'Slow NIC', missing: ['ethtool', 'dmesg'] }],
        rulesEvaluated: 2, needsReview: false,
      },
    } as unknown as Report;
    expect(reportFindings(report)).toEqual({
      status: 'diagnosed',
      matches: [{ issueId: 'KI-1', title: 'Disk full', severity: 'high', cause: 'no space', steps: ['grow', 'check', 'clean'] }],
      insufficient: ['Slow NIC: missing ethtool, dmesg'],
    });
  });
});

describe('formatting', () => {
  test.each([[5, '5 s'], [60, '1 min 0 s'], [3725, '1 h 2 min']])('duration(%p) is %p', (seconds, text) => expect(duration(seconds)).toBe(text));
  test.each([[512, '512 B'], [1536, '1.5 KiB'], [10 * 1024 ** 3, '10.0 GiB']])('bytes(%p) is %p', (count, text) => expect(bytes(count)).toBe(text));
  test('a compliance window of 7 days ends now', () => {
    expect(complianceWindow(new Date('2026-12-08T00:00:00Z'), 7)).toEqual({ from: '2026-12-01T00:00:00.000Z', to: '2026-12-08T00:00:00.000Z' });
  });
});
