import { InsufficientCapacityError, InvalidRequestError } from '../../../../core/errors';
import type { Host } from '../../../../core/host';
import type { VolumeParameters } from '../../../../core/modification';
import { planModification, planReservations } from '../../../../core/modification-plan';
import { stepsOf } from '../../../../core/modification-steps';
import { resolveTarget } from '../../../../core/modification-target';
import type { Volume } from '../../../../core/volume';
import { aHost, aVolume, capacity } from '../../fakes/builders';

let ids = 0;
const newId = () => `cpy-${(++ids).toString(16).padStart(12, '0')}`;

function twoCopyVolume(overrides: Partial<Volume> = {}): Volume {
  return aVolume({
    status: 'in-use',
    sizeGiB: 100,
    iops: 3000,
    copies: [
      { copyId: 'cpy-00000000000a', hostId: 'host-a', role: 'primary', inSync: true, inSyncGeneration: 1 },
      { copyId: 'cpy-00000000000b', hostId: 'host-b', role: 'mirror', inSync: true, inSyncGeneration: 1 },
    ],
    ...overrides,
  });
}

const target = (volume: Volume, change: Partial<VolumeParameters>): VolumeParameters => ({
  sizeGiB: volume.sizeGiB, iops: volume.iops, type: volume.type, location: volume.location, ...change,
});

/** host-a and host-b hold the copies (100 GiB, 3000 IOPS each); host-c is empty. */
function fleet(overrides: Record<string, Partial<Host>> = {}): Host[] {
  const used = capacity({ allocatedGiB: 100, allocatedIops: 3000 });
  return [
    aHost({ hostId: 'host-a', capacity: { ssd: used, hdd: capacity() }, ...overrides['host-a'] }),
    aHost({ hostId: 'host-b', capacity: { ssd: used, hdd: capacity() }, ...overrides['host-b'] }),
    aHost({ hostId: 'host-c', capacity: { ssd: capacity(), hdd: capacity() }, ...overrides['host-c'] }),
  ];
}

describe('planModification', () => {
  test('an IOPS change the current hosts can take is in place: set-iops only', () => {
    const volume = twoCopyVolume();
    const plan = planModification(volume, target(volume, { iops: 6000 }), fleet(), newId);
    expect(plan).toEqual({ kind: 'in-place', setIops: true, grow: false });
    expect(stepsOf(plan).map((step) => step.name)).toEqual(['set-iops']);
  });

  test('a grow the current hosts can take is in place: quiesce the primary, resize the mirror, then the primary', () => {
    const volume = twoCopyVolume();
    const plan = planModification(volume, target(volume, { sizeGiB: 200 }), fleet(), newId);
    expect(plan).toEqual({ kind: 'in-place', setIops: false, grow: true });
    expect(stepsOf(plan).map((step) => step.name)).toEqual(['quiesce-for-grow', 'resize-mirror', 'resize-primary']);
  });

  test('a type change moves both copies, each to a disk of the new type on its own host when it fits, primary first', () => {
    const volume = twoCopyVolume();
    const plan = planModification(volume, target(volume, { type: 'hdd', iops: 500 }), fleet(), newId);
    if (plan.kind !== 'migrate') throw new Error('expected a migration');
    expect(plan.moves.map(({ role, fromHostId, toHostId }) => ({ role, fromHostId, toHostId }))).toEqual([
      { role: 'primary', fromHostId: 'host-a', toHostId: 'host-a' },
      { role: 'mirror', fromHostId: 'host-b', toHostId: 'host-b' },
    ]);
    expect(plan.bytesToCopy).toBe(2 * 100 * 1024 ** 3);
    expect(stepsOf(plan).map((step) => step.name)).toEqual([
      'create-filling-copy', 'extend-chain', 'quiesce-for-cutover', 'end-chain', 'promote', 'start-replication',
      'create-filling-copy', 'extend-chain', 'quiesce-for-cutover', 'end-chain', 'switch-mirror',
      'delete-retired-copy', 'delete-retired-copy',
    ]);
  });

  test('only the copy whose host cannot take the new IOPS moves; the other stays and the primary gets set-iops at the end', () => {
    const volume = twoCopyVolume();
    const hosts = fleet({ 'host-b': { capacity: { ssd: capacity({ allocatedGiB: 100, allocatedIops: 3000, iopsCapacity: 4000 }) } } });
    const plan = planModification(volume, target(volume, { iops: 6000 }), hosts, newId);
    if (plan.kind !== 'migrate') throw new Error('expected a migration');
    expect(plan.moves.map(({ role, toHostId }) => ({ role, toHostId }))).toEqual([{ role: 'mirror', toHostId: 'host-c' }]);
    expect(stepsOf(plan).map((step) => step.name).slice(-2)).toEqual(['set-iops', 'delete-retired-copy']);
    const { reserve, resize } = planReservations(volume, target(volume, { iops: 6000 }), plan);
    expect(reserve).toEqual([expect.objectContaining({ hostId: 'host-c', sizeGiB: 100, iops: 6000 })]);
    expect(resize).toEqual([expect.objectContaining({ hostId: 'host-a', copyId: 'cpy-00000000000a', iops: 6000 })]);
  });

  test('a new copy never lands on the host of the copy it is paired with', () => {
    const volume = twoCopyVolume();
    // host-a has no room for the primary's growth; host-b (the mirror's host) has plenty but is excluded.
    const hosts = fleet({ 'host-a': { capacity: { ssd: capacity({ capacityGiB: 150, allocatedGiB: 100, allocatedIops: 3000 }) } } });
    const plan = planModification(volume, target(volume, { sizeGiB: 160 }), hosts, newId);
    if (plan.kind !== 'migrate') throw new Error('expected a migration');
    expect(plan.moves).toEqual([expect.objectContaining({ role: 'primary', toHostId: 'host-c' })]);
    expect(stepsOf(plan).map((step) => step.name)).toContain('resize-mirror');
  });

  test('a location change moves both copies into the new location', () => {
    const volume = twoCopyVolume();
    const hosts = [...fleet(), aHost({ hostId: 'host-x', location: 'zone-b' }), aHost({ hostId: 'host-y', location: 'zone-b' })];
    const plan = planModification(volume, target(volume, { location: 'zone-b' }), hosts, newId);
    if (plan.kind !== 'migrate') throw new Error('expected a migration');
    expect(plan.moves.map((move) => move.toHostId).sort()).toEqual(['host-x', 'host-y']);
  });

  test('when no single host can hold a copy, it is refused with a reason that says splitting is not supported', () => {
    const volume = twoCopyVolume();
    const small = { ssd: capacity({ capacityGiB: 500 }) };
    const hosts = fleet({ 'host-a': { capacity: small }, 'host-b': { capacity: small }, 'host-c': { capacity: small } });
    expect(() => planModification(volume, target(volume, { sizeGiB: 800 }), hosts, newId)).toThrow(InsufficientCapacityError);
    expect(() => planModification(volume, target(volume, { sizeGiB: 800 }), hosts, newId)).toThrow(/splitting a volume across hosts is not supported/);
  });

  test('when the move off a host finds no other host, the refusal counts why each was refused, naming none of them', () => {
    const volume = twoCopyVolume();
    const hosts = fleet({ 'host-c': { status: 'unreachable' } });
    const moveOff = () => planModification(volume, target(volume, {}), hosts.filter((host) => host.hostId !== 'host-a'), newId);
    expect(moveOff).toThrow('(besides the host of the other copy): 1 unreachable; splitting');
    const full = [...fleet({ 'host-c': { capacity: { ssd: capacity({ capacityGiB: 50 }) } } }), aHost({ hostId: 'host-d', capacity: { hdd: capacity() } })];
    expect(() => planModification(volume, target(volume, {}), full.filter((host) => host.hostId !== 'host-a'), newId)).toThrow(': 1 without room in its ssd pool, 1 without ssd disks; splitting');
  });
});

describe('resolveTarget', () => {
  const base: VolumeParameters = { sizeGiB: 100, iops: 3000, type: 'ssd', location: 'zone-a' };

  test('a no-op is refused', () => {
    expect(() => resolveTarget(base, { sizeGiB: 100 })).toThrow(/nothing to modify/);
  });

  test('a shrink without allowShrink is refused, naming allowShrink', () => {
    expect(() => resolveTarget(base, { sizeGiB: 50 })).toThrow(/allowShrink: true/);
  });

  test('every shrink is refused for now, saying why and which size fits', () => {
    expect(() => resolveTarget(base, { sizeGiB: 50, allowShrink: true })).toThrow(InvalidRequestError);
    expect(() => resolveTarget(base, { sizeGiB: 50, allowShrink: true })).toThrow(/no high-water mark.*100 GiB/);
  });

  test('a type change without iops takes the new type default when the current IOPS are out of its range', () => {
    expect(resolveTarget(base, { type: 'hdd' })).toEqual({ ...base, type: 'hdd', iops: 100 });
  });

  test('IOPS out of range for the type are refused', () => {
    expect(() => resolveTarget(base, { iops: 20000 })).toThrow(/between 3000 and 16000/);
  });
});
