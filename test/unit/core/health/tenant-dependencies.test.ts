import { correlate, countedCorrelation, isCorrelated } from '../../../../core/health/correlation';
import { dependenciesOfTenant } from '../../../../core/health/tenant-dependencies';
import { aHost } from '../../fakes/builders';

const disks = [
  { deviceId: 'nvme-1', type: 'ssd' as const, health: 'ok' },
  { deviceId: 'sdb', type: 'hdd' as const, health: 'ok' },
];
const hosts = new Map(
  [
    aHost({ hostId: 'h-1', location: 'use1-az1', rack: 'partition-1', disks }),
    aHost({ hostId: 'h-2', location: 'use1-az1', rack: 'partition-1', disks }),
    aHost({ hostId: 'h-3', location: 'use1-az1', rack: 'partition-2', disks }),
  ].map((host) => [host.hostId, host]),
);

describe('the components a tenant depends on', () => {
  test('when a volume has copies on two hosts, it depends on their disks of its type, the hosts, their racks and the zone', () => {
    const dependencies = dependenciesOfTenant([{ volumeId: 'vol-1', type: 'ssd', hostIds: ['h-1', 'h-3'] }], hosts);
    expect(dependencies.map((d) => d.componentId).sort()).toEqual([
      'disk:h-1.nvme-1',
      'disk:h-3.nvme-1',
      'host:h-1',
      'host:h-3',
      'rack:use1-az1.partition-1',
      'rack:use1-az1.partition-2',
      'zone:use1-az1',
    ]);
    expect(dependencies.find((d) => d.componentId === 'zone:use1-az1')).toEqual({ componentId: 'zone:use1-az1', volumeIds: ['vol-1'], hostIds: ['h-1', 'h-3'] });
  });

  test('when two volumes share a rack, the rack lists both and the hosts they are on', () => {
    const dependencies = dependenciesOfTenant(
      [
        { volumeId: 'vol-1', type: 'ssd', hostIds: ['h-1'] },
        { volumeId: 'vol-2', type: 'hdd', hostIds: ['h-2'] },
      ],
      hosts,
    );
    expect(dependencies.find((d) => d.componentId === 'rack:use1-az1.partition-1')).toEqual({ componentId: 'rack:use1-az1.partition-1', volumeIds: ['vol-1', 'vol-2'], hostIds: ['h-1', 'h-2'] });
    expect(dependencies.find((d) => d.componentId === 'disk:h-2.sdb')?.volumeIds).toEqual(['vol-2']);
  });

  test('when the disk holding a copy is recorded, the copy depends on that disk only, not on its host\'s other disks of the type', () => {
    const twoSsd = new Map([[ 'h-1', aHost({ hostId: 'h-1', location: 'use1-az1', disks: [...disks, { deviceId: 'nvme-2', type: 'ssd' as const, health: 'ok' }] }) ]]);
    const of = (diskOnHost?: Record<string, string>) => dependenciesOfTenant([{ volumeId: 'vol-1', type: 'ssd', hostIds: ['h-1'], diskOnHost }], twoSsd).map((d) => d.componentId).filter((id) => id.startsWith('disk:'));
    expect(of({ 'h-1': 'nvme-2' })).toEqual(['disk:h-1.nvme-2']);
    expect(of()).toEqual(['disk:h-1.nvme-1', 'disk:h-1.nvme-2']);
    expect(of({ 'h-1': 'gone' })).toEqual(['disk:h-1.nvme-1', 'disk:h-1.nvme-2']);
  });

  test('when a copy is on a host no longer registered, only that host is a component', () => {
    expect(dependenciesOfTenant([{ volumeId: 'vol-1', type: 'ssd', hostIds: ['h-9'] }], hosts)).toEqual([{ componentId: 'host:h-9', volumeIds: ['vol-1'], hostIds: ['h-9'] }]);
  });
});

describe('correlation with every component of the copies', () => {
  const candidatesFor = (levels: Record<string, 'green' | 'yellow' | 'red'>, hostIds: string[]) =>
    dependenciesOfTenant([{ volumeId: 'vol-1', type: 'ssd', hostIds }], hosts).map((d) => ({ ...d, worstLevelInWindow: levels[d.componentId] ?? 'green' }));

  test('when a rack is yellow, a comment from a tenant whose copy is on a green host in it correlates with the rack, and counts on it', () => {
    const correlations = correlate('timeouts on my volume', 'vol-1', 30, candidatesFor({ 'rack:use1-az1.partition-1': 'yellow', 'zone:use1-az1': 'yellow' }, ['h-2']));
    expect(isCorrelated(correlations)).toBe(true);
    const counted = countedCorrelation(correlations);
    expect(counted).toEqual({
      componentId: 'rack:use1-az1.partition-1',
      score: 0.85,
      reasons: ['rack:use1-az1.partition-1 was yellow within the last 30 min', 'the text names timeout', 'the comment names vol-1, which depends on rack:use1-az1.partition-1 through copies on h-2'],
    });
    expect(correlations.find((c) => c.componentId === 'host:h-2')?.score).toBe(0.5);
  });

  test('when a host is red, its disk, rack and zone correlate too, but the comment counts on the host', () => {
    const levels = { 'host:h-1': 'red', 'disk:h-1.nvme-1': 'red', 'rack:use1-az1.partition-1': 'yellow', 'zone:use1-az1': 'yellow' } as const;
    const correlations = correlate('I/O errors', undefined, 30, candidatesFor(levels, ['h-1']));
    expect(correlations.filter((c) => c.score >= 0.6).map((c) => c.componentId).sort()).toEqual(['disk:h-1.nvme-1', 'host:h-1', 'rack:use1-az1.partition-1', 'zone:use1-az1']);
    expect(countedCorrelation(correlations)?.componentId).toBe('host:h-1');
  });

  test('when only a disk is red (its host yellow), the comment counts on the disk', () => {
    const levels = { 'host:h-1': 'yellow', 'disk:h-1.nvme-1': 'red' } as const;
    expect(countedCorrelation(correlate('the disk is read-only', undefined, 30, candidatesFor(levels, ['h-1'])))?.componentId).toBe('disk:h-1.nvme-1');
  });

  test('when every component is green, the comment is noise and counts nowhere', () => {
    const correlations = correlate('my volume is slow', 'vol-1', 30, candidatesFor({}, ['h-1', 'h-3']));
    expect(isCorrelated(correlations)).toBe(false);
    expect(countedCorrelation(correlations)).toBeUndefined();
  });
});
