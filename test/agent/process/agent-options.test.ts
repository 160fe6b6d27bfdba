/**
 * The agent's command line, exactly as the local fleet launches it (local/local-fleet.ts).
 */
import { parseAgentArgs } from '../../../agent/process/agent-options';
import { AgentOptionsError } from '../../../agent/errors';

const FLEET_ARGS = [
  '--host-id', 'loc-a-host1', '--location', 'loc-a', '--address', '10.77.0.11', '--netns', 'bp-host1',
  '--data-dir', '/tmp/hosts/host1/data', '--device', '/dev/loop3:ssd:20000', '--device', '/dev/loop4:hdd:2000',
  '--heartbeat-interval-ms', '1000', '--poll-wait-seconds', '5',
];

describe('agent flags', () => {
  it('when the local fleet\'s flags are given, every value is read, and the rest take their defaults', () => {
    expect(parseAgentArgs(FLEET_ARGS)).toEqual({
      hostId: 'loc-a-host1',
      location: 'loc-a',
      address: '10.77.0.11',
      netns: 'bp-host1',
      dataDir: '/tmp/hosts/host1/data',
      devices: [
        { path: '/dev/loop3', type: 'ssd', iopsCapacity: 20000 },
        { path: '/dev/loop4', type: 'hdd', iopsCapacity: 2000 },
      ],
      nbdPorts: { first: 10800, last: 10999 },
      heartbeatIntervalMs: 1000,
      leaseMs: 10000,
      pollWaitSeconds: 5,
      logLevel: 'info',
      auditIntervalMs: 30000,
    });
  });

  it('when only the required flags are given, the defaults are 10800-10999, 5000 ms, 10 s and no namespace', () => {
    const options = parseAgentArgs(['--host-id', 'h-1', '--location', 'l', '--address', '10.0.0.5', '--data-dir', '/var/lib/blockplane', '--device', '/dev/nvme1n1']);
    expect(options).toMatchObject({ nbdPorts: { first: 10800, last: 10999 }, heartbeatIntervalMs: 5000, pollWaitSeconds: 10 });
    expect(options).not.toHaveProperty('netns');
  });

  it.each([
    [[], /--host-id: it is required/],
    [['--host-id', 'H1'], /--host-id: received "H1"/],
    [['--host-id', 'h-1', '--location', 'l', '--address', '10.0.0.5', '--data-dir', 'relative', '--device', '/dev/x'], /--data-dir: received "relative", allowed an absolute path/],
    [['--host-id', 'h-1', '--location', 'l', '--address', '10.0.0.5', '--data-dir', '/d'], /at least one --device/],
    [['--host-id', 'h-1', '--location', 'l', '--address', '10.0.0.5', '--data-dir', '/d', '--device', '/dev/x', '--device', '/dev/x'], /\/dev\/x is given twice/],
    [['--host-id', 'h-1', '--location', 'l', '--address', '10.0.0.5', '--data-dir', '/d', '--device', '/dev/x', '--poll-wait-seconds', '30'], /--poll-wait-seconds: received "30", allowed an integer from 0 to 20/],
    [['--host-id', 'h-1', '--location', 'l', '--address', '10.0.0.5', '--data-dir', '/d', '--device', '/dev/x', '--nbd-ports', '11000-10000'], /--nbd-ports/],
    [['--host-id', 'h-1', '--location', 'l', '--address', '10.0.0.5', '--data-dir', '/d', '--device', '/dev/x', '--verbose'], /Unknown option '--verbose'/],
    [['--host-id', 'h-1', '--location', 'l', '--address', '10.0.0.5', '--data-dir', '/d', '--device', '/dev/x', '--rack', 'Rack 1'], /--rack: received "Rack 1"/],
  ])('when the flags are %j, they are refused with the reason', (argv, reason) => {
    expect(() => parseAgentArgs(argv)).toThrow(AgentOptionsError);
    expect(() => parseAgentArgs(argv)).toThrow(reason);
  });
});

describe('agent audit flags', () => {
  it('when --audit-interval-ms and --audit-hold-spec are given, the assertion controller gets them', () => {
    expect(parseAgentArgs([...FLEET_ARGS, '--audit-interval-ms', '2000', '--audit-hold-spec'])).toMatchObject({ auditIntervalMs: 2000, auditHoldSpec: true });
  });
});

describe('agent rack flag', () => {
  it('when --rack is given, the host registers in that rack; without it the option is absent (the control plane uses `default`)', () => {
    expect(parseAgentArgs([...FLEET_ARGS, '--rack', 'rack-2'])).toMatchObject({ rack: 'rack-2' });
    expect(parseAgentArgs(FLEET_ARGS)).not.toHaveProperty('rack');
  });
});

describe('agent transfer proxy flag', () => {
  it('when --transfer-proxy names an http(s) origin, the chunk transfers go through it; without it the option is absent', () => {
    expect(parseAgentArgs([...FLEET_ARGS, '--transfer-proxy', 'http://127.0.0.1:3128'])).toMatchObject({ transferProxy: 'http://127.0.0.1:3128' });
    expect(parseAgentArgs(FLEET_ARGS)).not.toHaveProperty('transferProxy');
  });

  it.each(['http://user:secret@proxy:3128', 'ftp://proxy:21', 'http://proxy:3128/path', 'proxy:3128'])('when --transfer-proxy is %j, it is refused (no credentials, no path)', (proxy) => {
    expect(() => parseAgentArgs([...FLEET_ARGS, '--transfer-proxy', proxy])).toThrow(/--transfer-proxy: allowed http\(s\):\/\/HOST\[:PORT\]/);
    expect(() => parseAgentArgs([...FLEET_ARGS, '--transfer-proxy', proxy])).not.toThrow(/secret/);
  });
});
