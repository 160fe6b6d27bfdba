import { affectedFormerDependents, FORMER_DEPENDENCY_GRACE_SECONDS, FORMER_DEPENDENCY_SECONDS, troubleStartOf } from '../../../../core/health/dependency-memory';

const NOW = new Date('2026-12-02T04:00:00.000Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();
const former = (volumeId: string, goneSecondsAgo: number) => ({ volumeId, tenantId: 'T1', goneAt: ago(goneSecondsAgo) });

describe('former dependents', () => {
  test("when a host's last heartbeat was before its copy left (a fail-over off a dead host), the volume is affected", () => {
    const start = troubleStartOf({ lastHeartbeatAt: ago(30) }, { level: 'red', levelSince: ago(5) });
    expect(affectedFormerDependents([former('vol-1', 10)], start, new Set(), NOW).map((f) => f.volumeId)).toEqual(['vol-1']);
  });

  test('when the copy left long before the trouble began (an ordinary move while the host was well), it is not affected', () => {
    const start = troubleStartOf({ lastHeartbeatAt: ago(30) }, { level: 'red', levelSince: ago(5) });
    expect(affectedFormerDependents([former('vol-1', 30 + FORMER_DEPENDENCY_GRACE_SECONDS + 1)], start, new Set(), NOW)).toEqual([]);
    expect(affectedFormerDependents([former('vol-1', 30 + FORMER_DEPENDENCY_GRACE_SECONDS - 1)], start, new Set(), NOW)).toHaveLength(1);
  });

  test('when a heartbeating host turned yellow earlier, its trouble began then; a green host has only its heartbeat', () => {
    expect(troubleStartOf({ lastHeartbeatAt: ago(2) }, { level: 'yellow', levelSince: ago(600) })).toBe(Date.parse(ago(600)));
    expect(troubleStartOf({ lastHeartbeatAt: ago(2) }, { level: 'green', levelSince: ago(600) })).toBe(Date.parse(ago(2)));
    expect(troubleStartOf({ lastHeartbeatAt: ago(2) }, undefined)).toBe(Date.parse(ago(2)));
  });

  test('when the copy left more than the memory window ago, or the volume depends on the host again, it is not a former dependent; one per volume', () => {
    const longAgo = Date.parse(ago(FORMER_DEPENDENCY_SECONDS * 2));
    expect(affectedFormerDependents([former('vol-1', FORMER_DEPENDENCY_SECONDS + 1)], longAgo, new Set(), NOW)).toEqual([]);
    expect(affectedFormerDependents([former('vol-1', 10)], longAgo, new Set(['vol-1']), NOW)).toEqual([]);
    expect(affectedFormerDependents([former('vol-1', 10), former('vol-1', 20)], longAgo, new Set(), NOW)).toHaveLength(1);
  });
});
