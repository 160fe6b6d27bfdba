import { silentHosts } from '../../../core/host-liveness';
import { aHost } from '../fakes/builders';

const NOW = new Date('2025-03-01T00:01:00.000Z');

describe('silentHosts', () => {
  test('when a host last spoke longer ago than the timeout, it is silent; at exactly the timeout it is not', () => {
    // Given
    const hosts = [
      aHost({ hostId: 'host-a', lastHeartbeatAt: '2025-03-01T00:00:29.999Z' }),
      aHost({ hostId: 'host-b', lastHeartbeatAt: '2025-03-01T00:00:30.000Z' }),
      aHost({ hostId: 'host-c', lastHeartbeatAt: '2025-03-01T00:00:59.000Z' }),
    ];
    // When
    const silent = silentHosts(hosts, NOW, 30);
    // Then
    expect(silent.map((h) => h.hostId)).toEqual(['host-a']);
  });

  test('when a silent host is already unreachable, it is not listed again', () => {
    // Given
    const hosts = [aHost({ hostId: 'host-a', status: 'unreachable', lastHeartbeatAt: '2025-02-01T00:00:00.000Z' })];
    // When
    const silent = silentHosts(hosts, NOW, 30);
    // Then
    expect(silent).toEqual([]);
  });
});
