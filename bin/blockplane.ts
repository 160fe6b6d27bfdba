#!/usr/bin/env -S npx tsx
/**
 * The customer CLI: `npx tsx bin/blockplane.ts <command>`.
 *
 * Volumes are managed through the signed HTTP API (credentials from the AWS default chain,
 * endpoint from the deployment's outputs file, see client/deployment.ts). `attach` connects a
 * Linux host to a volume: it asks the API for an attachment, starts a local TLS-PSK bridge
 * (bin/attach-bridge.ts) that follows the primary, and connects the kernel's NBD client to the
 * bridge's unix socket.
 * Results go to stdout as JSON; progress and errors go to stderr. See docs/attach.md.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { runCommand } from '../agent/util/run-command';
import { ApiError, ok, VolumeApi, type AttachmentView, type DetachView, type VolumeView } from '../client/blockplane-api';
import { loadApiEndpoint } from '../client/deployment';
import { SignedHttp } from '../client/signed-http';
import {
  BridgeError,
  DEFAULT_RUN_ROOT,
  bridgeUri,
  isBridgeRunning,
  readBridgeState,
  removeBridgeDir,
  startBridge,
  stopBridge,
  writeBridgeState,
  type BridgeState,
} from './attach-bridge';
import { DIAGNOSE_USAGE, diagnoseMain } from './diagnose-command';
import { SNAPSHOTS_USAGE, snapshotsMain } from './snapshots-command';

const USAGE = `usage: blockplane <command> [options]

Volumes:
  volumes create --size-gib N --type ssd|hdd --location L [--iops N] [--client-token T]
  volumes get VOLUME_ID
  volumes list [--location L] [--status S] [--type ssd|hdd]
  volumes delete VOLUME_ID
  volumes wait VOLUME_ID --status S [--timeout-seconds N]      (default 600 s)

Attaching a volume to this Linux host (root; see docs/attach.md):
  attach VOLUME_ID [--device /dev/nbd0] [--bridge-only] [--attachment ATT]
      Creates an attachment (or, when this host already has one for the volume, or with
      --attachment, asks the API where it connects now), starts a local TLS-PSK bridge on a
      unix socket, and connects the kernel NBD device to it. The bridge follows the primary
      across cutover and fail-over by itself; re-running attach keeps a running bridge.
      --bridge-only: start only the bridge and print its socket (no kernel NBD needed).
  detach VOLUME_ID --attachment ATT [--force]
      Disconnects the kernel device, stops the bridge, and deletes the attachment.

${DIAGNOSE_USAGE}
${SNAPSHOTS_USAGE}

Global options:
  --outputs FILE   the deployment's outputs file (default $BLOCKPLANE_OUTPUTS or local/.state/outputs.json)
  --run-dir DIR    where bridges keep their files (default ${DEFAULT_RUN_ROOT})
  -h, --help

Statuses: creating, available, in-use, degraded, deleting, deleted, error.
Credentials come from the AWS default chain (environment, shared config/SSO, instance role).`;

const STATUSES = ['creating', 'available', 'in-use', 'degraded', 'deleting', 'deleted', 'error'] as const;
const VOLUME_ID = /^vol-[0-9a-f]{17}$/;
const ATTACHMENT_ID = /^att-[0-9a-f]{12}$/;
const LOCATION = /^[a-z0-9-]{1,64}$/;
const CLIENT_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
const NBD_DEVICE = /^\/dev\/nbd[0-9]{1,3}$/;
const POLL_INTERVAL_MS = 2_000;

/** A mistake in the command line: exit status 2, with the usage hint. */
class UsageError extends Error {}
/** Something this machine lacks (kernel module, tool, root): exit status 3. */
class PreconditionError extends Error {}

const progress = (line: string) => process.stderr.write(`blockplane: ${line}\n`);
const print = (value: unknown) => process.stdout.write(JSON.stringify(value, null, 2) + '\n');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ─── arguments ──────────────────────────────────────────────────────────────────────────────

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;
const GLOBAL_OPTIONS: OptionSpec = { outputs: { type: 'string' }, 'run-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } };

interface Parsed {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

function parse(args: string[], options: OptionSpec, positionalNames: string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length !== positionalNames.length) {
    const expected = positionalNames.length === 0 ? 'no arguments' : positionalNames.join(' ');
    throw new UsageError(`expected ${expected}, got ${parsed.positionals.length === 0 ? 'none' : parsed.positionals.join(' ')}`);
  }
  return { positionals: parsed.positionals, values: parsed.values as Parsed['values'] };
}

function requireString(values: Parsed['values'], name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function optionalString(values: Parsed['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function integer(name: string, raw: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function matching(what: string, raw: string, pattern: RegExp, hint: string): string {
  if (!pattern.test(raw)) throw new UsageError(`${what} ${JSON.stringify(raw)} is not valid: ${hint}`);
  return raw;
}

const volumeIdArg = (raw: string) => matching('volume id', raw, VOLUME_ID, 'volume ids look like vol-0123456789abcdef0');
const attachmentIdArg = (raw: string) => matching('attachment id', raw, ATTACHMENT_ID, 'attachment ids look like att-0123456789ab');

function statusArg(raw: string): string {
  if (!(STATUSES as readonly string[]).includes(raw)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw;
}

// ─── API ────────────────────────────────────────────────────────────────────────────────────

/** The deployment's outputs file as an absolute path (the bridge process reads it too). */
function outputsFileOf(values: Parsed['values']): string {
  return path.resolve(optionalString(values, 'outputs') ?? process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json');
}

function volumeApi(values: Parsed['values']): VolumeApi {
  const outputs = optionalString(values, 'outputs');
  let deployment;
  try {
    deployment = loadApiEndpoint(outputs);
  } catch (error) {
    throw new PreconditionError(
      `cannot read the deployment outputs (${outputs ?? process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json'}): ${(error as Error).message}. ` +
        'Pass --outputs FILE or set BLOCKPLANE_OUTPUTS.',
    );
  }
  return new VolumeApi(new SignedHttp({ baseUrl: deployment.baseUrl, region: deployment.region, credentials: defaultProvider() }));
}

// ─── volumes ────────────────────────────────────────────────────────────────────────────────

async function volumesCreate(args: string[]): Promise<void> {
  const { values } = parse(args, { 'size-gib': { type: 'string' }, type: { type: 'string' }, iops: { type: 'string' }, location: { type: 'string' }, 'client-token': { type: 'string' } }, []);
  const sizeGiB = integer('size-gib', requireString(values, 'size-gib'), 1, 16384);
  const type = requireString(values, 'type');
  if (type !== 'ssd' && type !== 'hdd') throw new UsageError(`--type must be ssd or hdd, got ${JSON.stringify(type)}`);
  const location = matching('--location', requireString(values, 'location'), LOCATION, '1-64 of [a-z0-9-]');
  const iopsRaw = optionalString(values, 'iops');
  const clientToken = optionalString(values, 'client-token');
  if (clientToken !== undefined) matching('--client-token', clientToken, CLIENT_TOKEN, '1-64 of [A-Za-z0-9_-]');
  const request: Record<string, unknown> = { sizeGiB, type, location };
  // The API checks the per-type ranges (ssd 3000-16000, hdd 100-500); this only checks the form.
  if (iopsRaw !== undefined) request.iops = integer('iops', iopsRaw, 1, 1_000_000);
  if (clientToken !== undefined) request.clientToken = clientToken;
  const volume = ok<VolumeView>(await volumeApi(values).create(request));
  progress(`volume ${volume.volumeId} is ${volume.status}; wait with: blockplane volumes wait ${volume.volumeId} --status available`);
  print(volume);
}

async function volumesGet(args: string[]): Promise<void> {
  const { positionals, values } = parse(args, {}, ['VOLUME_ID']);
  print(ok<VolumeView>(await volumeApi(values).get(volumeIdArg(positionals[0]))));
}

async function volumesList(args: string[]): Promise<void> {
  const { values } = parse(args, { location: { type: 'string' }, status: { type: 'string' }, type: { type: 'string' } }, []);
  const query: Record<string, string> = { limit: '100' };
  const location = optionalString(values, 'location');
  const status = optionalString(values, 'status');
  const type = optionalString(values, 'type');
  if (location !== undefined) query.location = matching('--location', location, LOCATION, '1-64 of [a-z0-9-]');
  if (status !== undefined) query.status = statusArg(status);
  if (type !== undefined) {
    if (type !== 'ssd' && type !== 'hdd') throw new UsageError(`--type must be ssd or hdd, got ${JSON.stringify(type)}`);
    query.type = type;
  }
  const api = volumeApi(values);
  const volumes: VolumeView[] = [];
  let nextToken: string | undefined;
  do {
    const page = ok<{ volumes: VolumeView[]; nextToken?: string }>(await api.list(nextToken ? { ...query, nextToken } : query));
    volumes.push(...page.volumes);
    nextToken = page.nextToken;
  } while (nextToken);
  print({ volumes });
}

async function volumesDelete(args: string[]): Promise<void> {
  const { positionals, values } = parse(args, {}, ['VOLUME_ID']);
  const volume = ok<VolumeView>(await volumeApi(values).delete(volumeIdArg(positionals[0])));
  progress(`volume ${volume.volumeId} is ${volume.status}`);
  print(volume);
}

async function volumesWait(args: string[]): Promise<void> {
  const { positionals, values } = parse(args, { status: { type: 'string' }, 'timeout-seconds': { type: 'string' } }, ['VOLUME_ID']);
  const volumeId = volumeIdArg(positionals[0]);
  const wanted = statusArg(requireString(values, 'status'));
  const timeoutSeconds = integer('timeout-seconds', optionalString(values, 'timeout-seconds') ?? '600', 1, 86_400);
  const api = volumeApi(values);
  const started = Date.now();
  const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`.padStart(6);
  let last: string | undefined;
  let lastLine = 0;
  for (;;) {
    const response = await api.get(volumeId);
    // A deleted volume may no longer be found at all: that is what waiting for `deleted` wants.
    if (response.status === 404 && wanted === 'deleted') {
      progress(`[${elapsed()}] ${volumeId} is gone (404): deleted`);
      print({ volumeId, status: 'deleted' });
      return;
    }
    const volume = ok<VolumeView>(response);
    if (volume.status !== last || Date.now() - lastLine >= 10_000) {
      progress(`[${elapsed()}] ${volumeId} ${volume.status}${volume.statusReason ? ` (${volume.statusReason})` : ''}${volume.status === last ? ', still waiting' : ''}`);
      last = volume.status;
      lastLine = Date.now();
    }
    if (volume.status === wanted) {
      print(volume);
      return;
    }
    if (volume.status === 'error' || volume.status === 'deleted') {
      throw new Error(`${volumeId} reached ${volume.status}${volume.statusReason ? ` (${volume.statusReason})` : ''}, it will not become ${wanted}`);
    }
    if (Date.now() - started >= timeoutSeconds * 1000) {
      throw new Error(`timed out after ${timeoutSeconds} s: ${volumeId} is ${volume.status}, not ${wanted}`);
    }
    await sleep(Math.min(POLL_INTERVAL_MS, Math.max(0, timeoutSeconds * 1000 - (Date.now() - started))));
  }
}

// ─── attach / detach ────────────────────────────────────────────────────────────────────────

/** `nbd-client`'s path, or undefined (it lives in /usr/sbin, which a user's PATH may lack). */
function findNbdClient(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'];
  for (const dir of dirs) if (dir && existsSync(path.join(dir, 'nbd-client'))) return path.join(dir, 'nbd-client');
  return undefined;
}

/**
 * Fails loudly, before anything is created, unless this host can give us `device`: the nbd
 * kernel module (loaded now with modprobe if needed), the device node, and nbd-client.
 */
async function assertKernelNbd(device: string): Promise<string> {
  if (process.getuid?.() !== 0) throw new PreconditionError('attach needs root (it loads the nbd module, writes /run/blockplane and drives /dev/nbd*)');
  if (!existsSync('/sys/module/nbd')) {
    progress('the nbd kernel module is not loaded; trying modprobe nbd');
    try {
      await runCommand('modprobe', ['nbd'], { timeoutMs: 15_000 });
    } catch (error) {
      throw new PreconditionError(
        [
          '',
          '*** CANNOT ATTACH: this machine has no NBD kernel support. ***',
          `    /sys/module/nbd is missing and "modprobe nbd" failed: ${(error as Error).message.trim().split('\n').slice(-1)[0]}`,
          `    Without the nbd module there is no ${device} to connect. Nothing was created (no attachment, no bridge).`,
          '    Fix: install a kernel with CONFIG_BLK_DEV_NBD (e.g. the distribution\'s extra modules package) and re-run,',
          '    or use --bridge-only to get a local unix socket for userspace NBD clients (qemu-io, nbdinfo, nbdcopy, fio).',
          '',
        ].join('\n'),
      );
    }
  }
  if (!existsSync(device)) throw new PreconditionError(`*** CANNOT ATTACH: ${device} does not exist although the nbd module is loaded (nbds_max too small?) ***`);
  const nbdClient = findNbdClient();
  if (!nbdClient) throw new PreconditionError('*** CANNOT ATTACH: nbd-client is not installed (Debian: apt-get install nbd-client) ***');
  return nbdClient;
}

const deviceName = (device: string) => path.basename(device);

/** The kernel's view: a connected nbd device has /sys/block/nbdX/pid. */
function deviceConnected(device: string): boolean {
  return existsSync(`/sys/block/${deviceName(device)}/pid`);
}

/** Mounted, or held by device-mapper/LVM/md: disconnecting it would pull a disk from under a user. */
function deviceInUse(device: string): string | undefined {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter((line) => line.split(' ')[0]?.startsWith(device));
  if (mounts.length > 0) return `mounted: ${mounts.map((line) => line.split(' ').slice(0, 2).join(' on ')).join('; ')}`;
  const holders = `/sys/block/${deviceName(device)}/holders`;
  if (existsSync(holders) && readdirSync(holders).length > 0) return `held by ${readdirSync(holders).join(', ')}`;
  return undefined;
}

async function connectDevice(nbdClient: string, bridge: BridgeState, device: string): Promise<void> {
  const args = ['-unix', bridge.socketPath, device, '-name', bridge.exportName];
  progress(`connecting the kernel device: ${nbdClient} ${args.join(' ')}`);
  await runCommand(nbdClient, args, { timeoutMs: 30_000 });
  if (!deviceConnected(device)) throw new Error(`nbd-client returned but ${device} is not connected (no /sys/block/${deviceName(device)}/pid)`);
}

async function disconnectDevice(nbdClient: string, device: string): Promise<void> {
  progress(`disconnecting the kernel device: ${nbdClient} -d ${device}`);
  await runCommand(nbdClient, ['-d', device], { timeoutMs: 30_000 });
}

async function attach(args: string[]): Promise<void> {
  const { positionals, values } = parse(args, { device: { type: 'string' }, 'bridge-only': { type: 'boolean' }, attachment: { type: 'string' } }, ['VOLUME_ID']);
  const volumeId = volumeIdArg(positionals[0]);
  const bridgeOnly = values['bridge-only'] === true;
  const device = optionalString(values, 'device') ?? '/dev/nbd0';
  matching('--device', device, NBD_DEVICE, 'a kernel NBD device such as /dev/nbd0');
  if (bridgeOnly && values.device !== undefined) throw new UsageError('--device and --bridge-only exclude each other');
  const attachmentArg = optionalString(values, 'attachment');
  if (attachmentArg !== undefined) attachmentIdArg(attachmentArg);
  const runRoot = optionalString(values, 'run-dir') ?? DEFAULT_RUN_ROOT;

  // Check the machine before creating anything, so a host without NBD support fails at once.
  const nbdClient = bridgeOnly ? undefined : await assertKernelNbd(device);
  const api = volumeApi(values);
  const previous = readBridgeState(volumeId, runRoot);
  if (previous && attachmentArg && previous.attachmentId !== attachmentArg) {
    throw new UsageError(`this host already holds attachment ${previous.attachmentId} of ${volumeId}; detach it first or pass --attachment ${previous.attachmentId}`);
  }
  const knownAttachment = attachmentArg ?? previous?.attachmentId;

  let connection: AttachmentView;
  let created = false;
  if (knownAttachment) {
    progress(`asking the API where attachment ${knownAttachment} of ${volumeId} connects now`);
    connection = ok<AttachmentView>(await api.getAttachment(volumeId, knownAttachment));
  } else {
    progress(`creating an attachment of ${volumeId}`);
    connection = ok<AttachmentView>(await api.attach(volumeId));
    created = true;
  }
  progress(
    `attachment ${connection.attachmentId}: primary on host ${connection.hostId}, ` +
      `${connection.nbd.address}:${connection.nbd.port}/${connection.nbd.exportName}, generation ${connection.generation}`,
  );

  try {
    let bridge: BridgeState;
    if (previous && isBridgeRunning(previous) && previous.follows) {
      progress(`the bridge (PID ${previous.pid}) is running and follows the primary itself; keeping it`);
      bridge = previous;
    } else {
      if (previous) {
        progress(isBridgeRunning(previous) ? `replacing the bridge PID ${previous.pid}` : `the old bridge PID ${previous.pid} is not running; starting a new one`);
        await stopBridge(previous, { keepState: true });
      }
      bridge = await startBridge(connection, { runRoot, onProgress: progress, outputsFile: outputsFileOf(values) });
    }

    if (nbdClient) {
      if (deviceConnected(device)) {
        const owner = previous?.device === device;
        if (!owner) throw new PreconditionError(`${device} is already connected to something else; choose another --device`);
        if (bridge === previous) {
          progress(`${device} is connected to this bridge already`);
        } else {
          // The kernel's connection went to a bridge process that is gone now.
          const inUse = deviceInUse(device);
          if (inUse) {
            throw new PreconditionError(
              `${device} was connected to a bridge that is no longer running, and is ${inUse}. Its connection broke with that bridge. ` +
                `Unmount it, run "nbd-client -d ${device}", then re-run attach (the new bridge is up: ${bridge.socketPath}).`,
            );
          }
          await disconnectDevice(nbdClient, device);
          await connectDevice(nbdClient, bridge, device);
        }
      } else {
        await connectDevice(nbdClient, bridge, device);
      }
      bridge = { ...bridge, device };
      await writeBridgeState(bridge);
      progress(`attached: ${device} → ${bridge.socketPath} → ${connection.nbd.address}:${connection.nbd.port} (TLS-PSK)`);
    } else {
      progress(`bridge only: connect a userspace NBD client to ${bridgeUri(bridge)}`);
    }
    print({
      attachmentId: connection.attachmentId,
      volumeId,
      generation: connection.generation,
      hostId: connection.hostId,
      endpoint: connection.nbd,
      bridge: { pid: bridge.pid, socket: bridge.socketPath, exportName: bridge.exportName, uri: bridgeUri(bridge) },
      device: bridge.device ?? null,
    });
  } catch (error) {
    // Leave nothing half-done behind from this run: the bridge we started, the attachment we created.
    const current = readBridgeState(volumeId, runRoot);
    if (created) {
      if (current) await stopBridge(current).catch(() => undefined);
      progress(`rolling back: deleting attachment ${connection.attachmentId}`);
      await api.detach(volumeId, connection.attachmentId).catch(() => undefined);
    }
    throw error;
  }
}

async function detach(args: string[]): Promise<void> {
  const { positionals, values } = parse(args, { attachment: { type: 'string' }, force: { type: 'boolean' } }, ['VOLUME_ID']);
  const volumeId = volumeIdArg(positionals[0]);
  const attachmentId = attachmentIdArg(requireString(values, 'attachment'));
  const runRoot = optionalString(values, 'run-dir') ?? DEFAULT_RUN_ROOT;
  const state = readBridgeState(volumeId, runRoot);
  if (state && state.attachmentId !== attachmentId) {
    progress(`the local bridge belongs to attachment ${state.attachmentId}, not ${attachmentId}; leaving it running`);
  } else if (state) {
    if (state.device && deviceConnected(state.device)) {
      const inUse = deviceInUse(state.device);
      if (inUse && values.force !== true) throw new PreconditionError(`${state.device} is ${inUse}; unmount it first (or pass --force to disconnect anyway)`);
      const nbdClient = findNbdClient();
      if (!nbdClient) throw new PreconditionError(`${state.device} is connected but nbd-client is not installed; cannot disconnect it`);
      await disconnectDevice(nbdClient, state.device);
    }
    const report = await stopBridge(state);
    progress(report.wasRunning ? `stopped bridge PID ${report.pid}${report.killed ? ' (SIGKILL)' : ''}` : `bridge PID ${report.pid} was not running`);
    await removeBridgeDir(volumeId, runRoot);
  } else {
    progress(`no local bridge for ${volumeId} on this host`);
  }
  const detached = ok<DetachView>(await volumeApi(values).detach(volumeId, attachmentId));
  progress(`attachment ${attachmentId} deleted; ${volumeId} is ${detached.status}`);
  print(detached);
}

// ─── main ───────────────────────────────────────────────────────────────────────────────────

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  'volumes create': volumesCreate,
  'volumes get': volumesGet,
  'volumes list': volumesList,
  'volumes delete': volumesDelete,
  'volumes wait': volumesWait,
  attach,
  detach,
};

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '-h' || argv[0] === '--help' || argv[0] === 'help') {
    process.stdout.write(USAGE + '\n');
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === 'diagnose') return diagnoseMain(argv.slice(1));
  if (argv[0] === 'snapshots') return snapshotsMain(argv.slice(1));
  const key = argv[0] === 'volumes' ? `volumes ${argv[1] ?? ''}` : argv[0];
  const command = COMMANDS[key];
  const rest = argv.slice(argv[0] === 'volumes' ? 2 : 1);
  try {
    if (!command) throw new UsageError(`unknown command: ${argv.slice(0, argv[0] === 'volumes' ? 2 : 1).join(' ')}`);
    if (rest.includes('-h') || rest.includes('--help')) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    await command(rest);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`blockplane: error: ${error.message}\n(run "blockplane --help" for usage)\n`);
      return 2;
    }
    if (error instanceof PreconditionError) {
      process.stderr.write(`blockplane: error: ${error.message}\n`);
      return 3;
    }
    if (error instanceof ApiError || error instanceof BridgeError) {
      process.stderr.write(`blockplane: error: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`blockplane: error: ${(error as Error)?.message ?? String(error)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
