import { ExportHostProbe } from '../../../../adapters/export-host-probe';
import type { EndpointReach } from '../../../../adapters/endpoint-reach';
import type { Host } from '../../../../core/host';
import type { HostRepository, VolumeRepository } from '../../../../core/ports';
import type { Volume } from '../../../../core/volume';
import { handler } from '../../../../lambdas/events/probe-endpoints';
import { handshakePorts, type HandshakePorts } from '../../../agent/helpers/nbd-clients';

/** A TCP listener on 127.0.0.1 (a stand-in for a daemon's NBD port: the probe only handshakes), and a port nothing listens on. */
let ports: HandshakePorts;
beforeAll(async () => {
  ports = await handshakePorts();
});
afterAll(() => ports.close());

test("when a quiet host's exports are probed, the probe answers true once one takes a handshake and false when none does", async () => {
  // When
  const answers = [
    await handler({ endpoints: [{ address: '127.0.0.1', port: ports.closed }, { address: '127.0.0.1', port: ports.open }] }),
    await handler({ endpoints: [{ address: '127.0.0.1', port: ports.closed }] }),
  ];
  // Then
  expect(answers).toEqual([{ answered: true }, { answered: false }]);
});

test('when the probe is asked anything but one to three endpoints, it refuses without connecting', async () => {
  // When
  const refusals = await Promise.all(
    [{}, { endpoints: [] }, { endpoints: Array.from({ length: 4 }, () => ({ address: '127.0.0.1', port: ports.open })) }, { endpoints: [{ address: '127.0.0.1', port: 0 }] }, { endpoints: [{ address: 'a b', port: ports.open }] }, { endpoints: [{ address: '127.0.0.1', port: ports.open }], extra: 1 }].map(
      (event) => handler(event).then(() => 'answered', (error: Error) => error.name),
    ),
  );
  // Then
  expect(refusals).toEqual(Array(6).fill('ZodError'));
});

test("when the probe function cannot be reached, the quiet host's probe is failed (not refused), so the evaluation goes on", async () => {
  // Given a host with one served copy, and a reach that throws as a failed invocation does
  const hosts = { reservationsOf: async () => [{ volumeId: 'vol-1', copyId: 'c-1' }] } as unknown as HostRepository;
  const volumes = { get: async () => ({ copies: [{ copyId: 'c-1', nbd: { address: '10.0.0.5', port: 10800 } }] }) as unknown as Volume } as unknown as VolumeRepository;
  const asked: unknown[] = [];
  const failing: EndpointReach = {
    anyAnswers: async (endpoints) => {
      asked.push(endpoints);
      throw new Error('the host probe function blockplane-host-probe failed: Task timed out');
    },
  };
  // When
  const result = await new ExportHostProbe(hosts, volumes, failing).probe({ hostId: 'h-1' } as Host);
  // Then
  expect(result).toBe('failed');
  expect(asked).toEqual([[{ address: '10.0.0.5', port: 10800 }]]);
});
