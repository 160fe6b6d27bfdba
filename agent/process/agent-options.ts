/**
 * The agent's command line (kept exactly as the local fleet and the systemd unit launch it):
 *
 *     --host-id ID --location LOC --address IP --data-dir DIR
 *     --device PATH[:ssd|hdd[:IOPS]]   (repeatable, at least one)
 *     [--rack NAME] [--netns NAME] [--nbd-ports 10800-10999] [--heartbeat-interval-ms 5000]
 *     [--poll-wait-seconds 10] [--lease-ms 10000] [--log-level debug|info|warn|error]
 *     [--transfer-proxy http://HOST:PORT]
 *
 * `--transfer-proxy`: an HTTP forward proxy for the presigned-URL transfers to and from S3
 * (docs/snapshots.md, "Transfer rules"): a host whose egress goes through a proxy, and the e2e
 * fault proxy. The URL, its Host and so its SigV4 signature are left as the control plane signed them.
 *
 * `--lease-ms` is fleet-wide: every host of one control plane must use the same value
 * (docs/replication-safety.md: a promoted mirror waits for the old primary's lease).
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { PortRange, parsePortRange } from '../controllers/port-allocator';
import { DeviceSpec, parseDeviceSpec } from '../devices/device-spec';
import { AgentOptionsError } from '../errors';

export interface AgentCliOptions {
  hostId: string;
  location: string;
  /** The host's rack within its location, sent on registration (docs/health.md, "Topology"); the control plane's default is `default`. */
  rack?: string;
  address: string;
  dataDir: string;
  devices: DeviceSpec[];
  netns?: string;
  nbdPorts: PortRange;
  heartbeatIntervalMs: number;
  pollWaitSeconds: number;
  leaseMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** How often the assertion controller asserts without real work (docs/audit.md). */
  auditIntervalMs: number;
  /** Keep the first spec version fetched (a host held back during a spec rollout: it shows drift). */
  auditHoldSpec?: boolean;
  /** The forward proxy of the chunk transfers (`http(s)://host:port`, no credentials or path). */
  transferProxy?: string;
}

export const USAGE =
  'usage: blockplane-agent --host-id ID --location LOC --address IP --data-dir DIR --device PATH[:ssd|hdd[:IOPS]] [--device …]\n' +
  '                        [--rack NAME] [--netns NAME] [--nbd-ports 10800-10999] [--heartbeat-interval-ms 5000] [--poll-wait-seconds 10]\n' +
  '                        [--lease-ms 10000] [--log-level debug|info|warn|error] [--audit-interval-ms 30000] [--audit-hold-spec]\n' +
  '                        [--transfer-proxy http://HOST:PORT]';

export const DEFAULTS = { nbdPorts: '10800-10999', heartbeatIntervalMs: 5_000, pollWaitSeconds: 10, leaseMs: 10_000, logLevel: 'info', auditIntervalMs: 30_000 } as const;

/** Same rules as the control plane's registration schema (core/host-requests.ts); a rack follows the location's. */
const HOST_ID = /^[a-z0-9][a-z0-9-]{2,62}$/;
const LOCATION = /^[a-z0-9][a-z0-9-]{0,63}$/;
const ADDRESS = /^[A-Za-z0-9.:-]{1,253}$/;
const NETNS = /^[A-Za-z0-9_.-]{1,64}$/;
/** A proxy origin only: no user or password (they would be logged with the options), no path. */
const PROXY = /^https?:\/\/[A-Za-z0-9.-]{1,253}(:\d{1,5})?\/?$/;

export function parseAgentArgs(argv: readonly string[]): AgentCliOptions {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'host-id': { type: 'string' },
        location: { type: 'string' },
        rack: { type: 'string' },
        address: { type: 'string' },
        'data-dir': { type: 'string' },
        device: { type: 'string', multiple: true },
        netns: { type: 'string' },
        'nbd-ports': { type: 'string' },
        'heartbeat-interval-ms': { type: 'string' },
        'poll-wait-seconds': { type: 'string' },
        'lease-ms': { type: 'string' },
        'log-level': { type: 'string' },
        'audit-interval-ms': { type: 'string' },
        'audit-hold-spec': { type: 'boolean' },
        'transfer-proxy': { type: 'string' },
      },
    }) as { values: Record<string, string | string[] | boolean | undefined> });
  } catch (error) {
    throw new AgentOptionsError('arguments', (error as Error).message);
  }
  const hostId = required(values, 'host-id', HOST_ID, '3-63 lower-case letters, digits or dashes');
  const location = required(values, 'location', LOCATION, '1-64 lower-case letters, digits or dashes');
  const address = required(values, 'address', ADDRESS, 'an IP address or a host name');
  const dataDir = required(values, 'data-dir', /^\/.*/, 'an absolute path');
  const devices = ((values.device as string[] | undefined) ?? []).map(parseDeviceSpec);
  if (devices.length === 0) throw new AgentOptionsError('--device', 'at least one --device is needed');
  const paths = devices.map((device) => device.path);
  const duplicate = paths.find((devicePath, index) => paths.indexOf(devicePath) !== index);
  if (duplicate) throw new AgentOptionsError('--device', `${duplicate} is given twice`);
  const rack = values.rack as string | undefined;
  if (rack !== undefined && !LOCATION.test(rack)) throw new AgentOptionsError('--rack', `received ${JSON.stringify(rack)}, allowed 1-64 lower-case letters, digits or dashes`);
  const netns = values.netns as string | undefined;
  if (netns !== undefined && !NETNS.test(netns)) throw new AgentOptionsError('--netns', `received ${JSON.stringify(netns)}, allowed 1-64 characters [A-Za-z0-9_.-]`);
  const transferProxy = values['transfer-proxy'] as string | undefined;
  if (transferProxy !== undefined && !PROXY.test(transferProxy)) throw new AgentOptionsError('--transfer-proxy', 'allowed http(s)://HOST[:PORT], without user, password or path (the value is not echoed: it may hold a password)');
  const logLevel = (values['log-level'] as string | undefined) ?? DEFAULTS.logLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) throw new AgentOptionsError('--log-level', `received ${JSON.stringify(logLevel)}, allowed debug | info | warn | error`);
  return {
    hostId,
    location,
    ...(rack !== undefined ? { rack } : {}),
    address,
    dataDir: path.resolve(dataDir),
    devices,
    ...(netns !== undefined ? { netns } : {}),
    nbdPorts: parsePortRange((values['nbd-ports'] as string | undefined) ?? DEFAULTS.nbdPorts),
    heartbeatIntervalMs: integer(values, 'heartbeat-interval-ms', DEFAULTS.heartbeatIntervalMs, 100, 600_000),
    pollWaitSeconds: integer(values, 'poll-wait-seconds', DEFAULTS.pollWaitSeconds, 0, 20),
    leaseMs: integer(values, 'lease-ms', DEFAULTS.leaseMs, 1_000, 120_000),
    logLevel: logLevel as AgentCliOptions['logLevel'],
    auditIntervalMs: integer(values, 'audit-interval-ms', DEFAULTS.auditIntervalMs, 1_000, 3_600_000),
    ...(values['audit-hold-spec'] === true ? { auditHoldSpec: true } : {}),
    ...(transferProxy !== undefined ? { transferProxy } : {}),
  };
}

function required(values: Record<string, unknown>, name: string, pattern: RegExp, allowed: string): string {
  const value = values[name];
  if (typeof value !== 'string') throw new AgentOptionsError(`--${name}`, 'it is required');
  if (!pattern.test(value)) throw new AgentOptionsError(`--${name}`, `received ${JSON.stringify(value)}, allowed ${allowed}`);
  return value;
}

function integer(values: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const value = values[name];
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || parsed < min || parsed > max) {
    throw new AgentOptionsError(`--${name}`, `received ${JSON.stringify(value)}, allowed an integer from ${min} to ${max}`);
  }
  return parsed;
}
