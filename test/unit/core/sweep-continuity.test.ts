import { judgeLiveness, type SweepContinuity } from '../../../core/sweep-continuity';
import { aHost } from '../fakes/builders';

const NOW = new Date('2025-03-01T00:10:00.000Z');
const TIMEOUT = 6;
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();
const continuity = (overrides: Partial<SweepContinuity> = {}): SweepContinuity => ({
  lastSweepAt: ago(2),
  observedSince: ago(600),
  newestHeartbeatAt: ago(1),
  ...overrides,
});

describe('judgeLiveness', () => {
  test('when the sweep ran recently and other hosts are heard, it declares lost only the host silent longer than the timeout', () => {
    // Given
    const hosts = [aHost({ hostId: 'host-a', lastHeartbeatAt: ago(1) }), aHost({ hostId: 'host-b', lastHeartbeatAt: ago(TIMEOUT + 1) })];
    // When
    const judgement = judgeLiveness(hosts, NOW, TIMEOUT, continuity());
    // Then
    expect(judgement.lost.map((h) => h.hostId)).toEqual(['host-b']);
    expect(judgement.continuityBreak).toBeUndefined();
    expect(judgement.continuity).toEqual({ lastSweepAt: NOW.toISOString(), observedSince: ago(600), newestHeartbeatAt: ago(1) });
  });

  test('when a host is silent for exactly the timeout, or already unreachable, it is not declared lost again', () => {
    const hosts = [aHost({ hostId: 'host-a', lastHeartbeatAt: ago(1) }), aHost({ hostId: 'host-b', lastHeartbeatAt: ago(TIMEOUT) }), aHost({ hostId: 'host-c', status: 'unreachable', lastHeartbeatAt: ago(60) })];
    expect(judgeLiveness(hosts, NOW, TIMEOUT, continuity()).lost).toEqual([]);
  });

  test('pins issue 6 invariant 5: when no sweep ran for longer than the timeout (the control plane was down), it declares nobody lost and restarts every grace period', () => {
    // Given: the control plane was down 20 s; host-a's heartbeat got through first, the others are 20 s old
    const hosts = [aHost({ hostId: 'host-a', lastHeartbeatAt: ago(0) }), aHost({ hostId: 'host-b', lastHeartbeatAt: ago(20) }), aHost({ hostId: 'host-c', lastHeartbeatAt: ago(21) })];
    // When
    const judgement = judgeLiveness(hosts, NOW, TIMEOUT, continuity({ lastSweepAt: ago(20) }));
    // Then
    expect(judgement.lost).toEqual([]);
    expect(judgement.continuityBreak).toBe('sweep-gap');
    expect(judgement.continuity.observedSince).toBe(NOW.toISOString());
  });

  test('pins issue 6 invariant 5: when no heartbeat of any host got through for longer than the timeout (the API was down), it declares nobody lost', () => {
    // Given: the sweep kept running, but every host's heartbeat is 20 s old
    const hosts = [aHost({ hostId: 'host-a', lastHeartbeatAt: ago(20) }), aHost({ hostId: 'host-b', lastHeartbeatAt: ago(21) })];
    // When
    const judgement = judgeLiveness(hosts, NOW, TIMEOUT, continuity({ newestHeartbeatAt: ago(20) }));
    // Then
    expect(judgement.lost).toEqual([]);
    expect(judgement.continuityBreak).toBe('no-heartbeat-got-through');
  });

  test('when heartbeats come back after an outage, a host that does not come back is lost only a full timeout after the break ended', () => {
    // Given: the break ended 4 s ago; host-a is back, host-b is still silent (20 s)
    const hosts = [aHost({ hostId: 'host-a', lastHeartbeatAt: ago(1) }), aHost({ hostId: 'host-b', lastHeartbeatAt: ago(20) })];
    const afterBreak = continuity({ observedSince: ago(4) });
    // When
    const within = judgeLiveness(hosts, NOW, TIMEOUT, afterBreak);
    const stillBeating = [aHost({ hostId: 'host-a', lastHeartbeatAt: new Date(NOW.getTime() + 3000).toISOString() }), hosts[1]];
    const later = judgeLiveness(stillBeating, new Date(NOW.getTime() + 3000), TIMEOUT, { ...afterBreak, lastSweepAt: NOW.toISOString() });
    // Then
    expect(within.lost).toEqual([]);
    expect(later.lost.map((h) => h.hostId)).toEqual(['host-b']);
  });

  test('pins issue 6 invariant 5: when the whole fleet goes quiet at once, the hosts that beat first are not lost before the silence counts as a break', () => {
    // Given: host-a beat 7 s ago, host-b 5.5 s ago, nothing since (the ingress went down 5.5 s ago)
    const hosts = [aHost({ hostId: 'host-a', lastHeartbeatAt: ago(7) }), aHost({ hostId: 'host-b', lastHeartbeatAt: ago(5.5) })];
    // When
    const judgement = judgeLiveness(hosts, NOW, TIMEOUT, continuity({ newestHeartbeatAt: ago(5.5) }));
    // Then: host-a is silent past the timeout, but nobody was heard a timeout after its last beat
    expect(judgement.lost).toEqual([]);
    expect(judgement.continuityBreak).toBeUndefined();
  });

  test('pins issue 6 invariant 5: the grace after an outage counts from the first pass that hears a heartbeat again, not from the last pass that saw the break', () => {
    // Given: the last pass that saw the break ran 10 s ago; host-a's heartbeat got through 1 s ago
    const inBreak = continuity({ lastSweepAt: ago(2), observedSince: ago(10), newestHeartbeatAt: ago(30), inBreak: true });
    const hosts = [aHost({ hostId: 'host-a', lastHeartbeatAt: ago(1) }), aHost({ hostId: 'host-b', lastHeartbeatAt: ago(30) })];
    // When: the first pass hears host-a, and host-b is still silent
    const ended = judgeLiveness(hosts, NOW, TIMEOUT, inBreak);
    // Then: the break ends now and host-b has a full timeout from now
    expect(ended.lost).toEqual([]);
    expect(ended.continuityBreak).toBeUndefined();
    expect(ended.continuity).toEqual({ lastSweepAt: NOW.toISOString(), observedSince: NOW.toISOString(), newestHeartbeatAt: ago(1) });
    const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
    expect(judgeLiveness(hosts, at(TIMEOUT), TIMEOUT, { ...ended.continuity, lastSweepAt: at(TIMEOUT - 1).toISOString() }).lost).toEqual([]);
    const stillBeating = [aHost({ hostId: 'host-a', lastHeartbeatAt: at(TIMEOUT).toISOString() }), hosts[1]];
    expect(judgeLiveness(stillBeating, at(TIMEOUT + 1), TIMEOUT, { ...ended.continuity, lastSweepAt: at(TIMEOUT).toISOString() }).lost.map((h) => h.hostId)).toEqual(['host-b']);
  });

  test('when the sweep has never run, it starts the continuity now and declares nobody lost', () => {
    const judgement = judgeLiveness([aHost({ lastHeartbeatAt: ago(600) })], NOW, TIMEOUT, undefined);
    expect(judgement.lost).toEqual([]);
    expect(judgement.continuityBreak).toBe('first-sweep');
    expect(judgement.continuity.observedSince).toBe(NOW.toISOString());
  });
});
