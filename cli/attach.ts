import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ok, VolumeApi, type AttachmentView, type DetachView } from '../client/blockplane-api';
import { AttachmentIdSchema, VolumeIdSchema } from '../core/volume-requests';
import {
  bridgeUri,
  isBridgeRunning,
  readBridgeState,
  removeBridgeDir,
  startBridge,
  stopBridge,
  writeBridgeState,
  type BridgeState,
} from '../bin/attach-bridge';
import { REPORT_INTERVAL_SECONDS, sameUsageReport, type UsageReportSettings } from '../client/bridge/usage-report';
import { PreconditionError, UsageError } from './errors';
import { assertKernelNbd, connectDevice, deviceConnected, deviceInUse, disconnectDevice, findNbdClient } from './kernel-nbd';
import { print } from './output';
import { checked } from './schema-options';
import { say, type Session } from './session';

/**
 * `attach` and `detach` (docs/attach.md): an attachment through the API, a local TLS-PSK bridge
 * (bin/attach-bridge.ts) that follows the primary, and the kernel's NBD client on its socket.
 */
const NBD_DEVICE = /^\/dev\/nbd[0-9]{1,3}$/;

interface AttachOptions {
  readonly device?: string;
  readonly bridgeOnly?: boolean;
  readonly attachment?: string;
  readonly reportUsage?: string;
  readonly reportIntervalSeconds?: string;
}

interface DetachOptions {
  readonly attachment: string;
  readonly force?: boolean;
}

const ReportIntervalSecondsSchema = z.number().int().min(REPORT_INTERVAL_SECONDS.min).max(REPORT_INTERVAL_SECONDS.max);

/** `--report-usage DIR [--report-interval-seconds N]` as the bridge takes it, checked before anything is created. */
function usageReportOf(options: AttachOptions, device: string | undefined): UsageReportSettings | undefined {
  if (options.reportUsage === undefined) {
    if (options.reportIntervalSeconds !== undefined) throw new UsageError('--report-interval-seconds needs --report-usage');
    return undefined;
  }
  const mountpoint = path.resolve(options.reportUsage);
  if (!statSync(mountpoint, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--report-usage ${JSON.stringify(options.reportUsage)} is not a directory`);
  const intervalSeconds = options.reportIntervalSeconds === undefined ? REPORT_INTERVAL_SECONDS.default : Number(options.reportIntervalSeconds);
  checked(ReportIntervalSecondsSchema, intervalSeconds, '--report-interval-seconds');
  return { mountpoint, intervalSeconds, ...(device ? { device } : {}) };
}

const describeUsageReport = (report: UsageReportSettings | undefined): string =>
  report ? `reports the usage of ${report.mountpoint} every ${report.intervalSeconds} s` : 'reports no usage';

async function attach(session: Session, volumeIdRaw: string, options: AttachOptions): Promise<void> {
  const volumeId = checked(VolumeIdSchema, volumeIdRaw, 'volume id') as string;
  const bridgeOnly = options.bridgeOnly === true;
  const device = options.device ?? '/dev/nbd0';
  if (!NBD_DEVICE.test(device)) throw new UsageError(`--device ${JSON.stringify(device)} is not valid: a kernel NBD device such as /dev/nbd0`);
  if (bridgeOnly && options.device !== undefined) throw new UsageError('--device and --bridge-only exclude each other');
  const attachmentArg = options.attachment;
  if (attachmentArg !== undefined) checked(AttachmentIdSchema, attachmentArg, 'attachment id');
  const usageReport = usageReportOf(options, bridgeOnly ? undefined : device);
  const runRoot = session.runRoot;

  // Check the machine before creating anything, so a host without NBD support fails at once.
  const nbdClient = bridgeOnly ? undefined : await assertKernelNbd(device);
  const api = new VolumeApi(session.http());
  const previous = readBridgeState(volumeId, runRoot);
  if (previous && attachmentArg && previous.attachmentId !== attachmentArg) {
    throw new UsageError(`this host already holds attachment ${previous.attachmentId} of ${volumeId}; detach it first or pass --attachment ${previous.attachmentId}`);
  }
  const keepsBridge = previous !== undefined && isBridgeRunning(previous) && previous.follows;
  if (keepsBridge && usageReport && !sameUsageReport(previous.usageReport, usageReport)) {
    throw new UsageError(
      `the bridge of ${volumeId} (PID ${previous.pid}) runs and ${describeUsageReport(previous.usageReport)}; ` +
        `a running bridge keeps its settings: detach and attach again to ${describeUsageReport(usageReport).replace('reports', 'report')}`,
    );
  }
  const knownAttachment = attachmentArg ?? previous?.attachmentId;

  let connection: AttachmentView;
  let created = false;
  if (knownAttachment) {
    say(`asking the API where attachment ${knownAttachment} of ${volumeId} connects now`);
    connection = ok<AttachmentView>(await api.getAttachment(volumeId, knownAttachment));
  } else {
    say(`creating an attachment of ${volumeId}`);
    connection = ok<AttachmentView>(await api.attach(volumeId));
    created = true;
  }
  say(
    `attachment ${connection.attachmentId}: primary on host ${connection.hostId}, ` +
      `${connection.nbd.address}:${connection.nbd.port}/${connection.nbd.exportName}, generation ${connection.generation}`,
  );

  try {
    let bridge: BridgeState;
    if (keepsBridge) {
      say(`the bridge (PID ${previous.pid}) is running and follows the primary itself; keeping it (it ${describeUsageReport(previous.usageReport)})`);
      bridge = previous;
    } else {
      if (previous) {
        say(isBridgeRunning(previous) ? `replacing the bridge PID ${previous.pid}` : `the old bridge PID ${previous.pid} is not running; starting a new one`);
        await stopBridge(previous, { keepState: true });
      }
      bridge = await startBridge(connection, { runRoot, onProgress: say, outputsFile: session.outputsFile, usageReport });
    }

    if (nbdClient) {
      if (deviceConnected(device)) {
        const owner = previous?.device === device;
        if (!owner) throw new PreconditionError(`${device} is already connected to something else; choose another --device`);
        if (bridge === previous) {
          say(`${device} is connected to this bridge already`);
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
      say(`attached: ${device} → ${bridge.socketPath} → ${connection.nbd.address}:${connection.nbd.port} (TLS-PSK)`);
    } else {
      say(`bridge only: connect a userspace NBD client to ${bridgeUri(bridge)}`);
    }
    print({
      attachmentId: connection.attachmentId,
      volumeId,
      generation: connection.generation,
      hostId: connection.hostId,
      endpoint: connection.nbd,
      bridge: { pid: bridge.pid, socket: bridge.socketPath, exportName: bridge.exportName, uri: bridgeUri(bridge) },
      device: bridge.device ?? null,
      usageReport: bridge.usageReport ?? null,
    }, session.options.output);
  } catch (error) {
    // Leave nothing half-done behind from this run: the bridge we started, the attachment we created.
    const current = readBridgeState(volumeId, runRoot);
    if (created) {
      if (current) await stopBridge(current).catch(() => undefined);
      say(`rolling back: deleting attachment ${connection.attachmentId}`);
      await api.detach(volumeId, connection.attachmentId).catch(() => undefined);
    }
    throw error;
  }
}

async function detach(session: Session, volumeIdRaw: string, options: DetachOptions): Promise<void> {
  const volumeId = checked(VolumeIdSchema, volumeIdRaw, 'volume id') as string;
  const attachmentId = checked(AttachmentIdSchema, options.attachment, 'attachment id') as string;
  const runRoot = session.runRoot;
  const state = readBridgeState(volumeId, runRoot);
  if (state && state.attachmentId !== attachmentId) {
    say(`the local bridge belongs to attachment ${state.attachmentId}, not ${attachmentId}; leaving it running`);
  } else if (state) {
    if (state.device && deviceConnected(state.device)) {
      const inUse = deviceInUse(state.device);
      if (inUse && options.force !== true) throw new PreconditionError(`${state.device} is ${inUse}; unmount it first (or pass --force to disconnect anyway)`);
      const nbdClient = findNbdClient();
      if (!nbdClient) throw new PreconditionError(`${state.device} is connected but nbd-client is not installed; cannot disconnect it`);
      await disconnectDevice(nbdClient, state.device);
    }
    const report = await stopBridge(state);
    say(report.wasRunning ? `stopped bridge PID ${report.pid}${report.killed ? ' (SIGKILL)' : ''}` : `bridge PID ${report.pid} was not running`);
    await removeBridgeDir(volumeId, runRoot);
  } else {
    say(`no local bridge for ${volumeId} on this host`);
  }
  const detached = ok<DetachView>(await new VolumeApi(session.http()).detach(volumeId, attachmentId));
  say(`attachment ${attachmentId} deleted; ${volumeId} is ${detached.status}`);
  print(detached, session.options.output);
}

export function attachCommands(session: () => Session): CommandUnknownOpts[] {
  const attachCommand = new Command('attach')
    .description(
      'Attaches a volume to this Linux host (root): creates an attachment (or, when this host already has one for the volume, ' +
        'or with --attachment, asks the API where it connects now), starts a local TLS-PSK bridge on a unix socket that follows ' +
        'the primary across cutover and fail-over, and connects the kernel NBD device to it (POST /volumes/{volumeId}/attachments)',
    )
    .argument('<volumeId>')
    .option('--device <path>', 'the kernel NBD device (default /dev/nbd0)')
    .option('--bridge-only', 'start only the bridge and print its socket (no kernel NBD needed)')
    .option('--attachment <attachmentId>', 'reconnect an existing attachment')
    .option(
      '--report-usage <mountpoint>',
      'while attached, the bridge reports the usage of the filesystem on this directory (POST /volumes/{volumeId}/utilization) ' +
        'at the start and every --report-interval-seconds; with a kernel device, only while it is mounted there from that device',
    )
    .option(
      '--report-interval-seconds <n>',
      `seconds between usage reports, ${REPORT_INTERVAL_SECONDS.min}–${REPORT_INTERVAL_SECONDS.max} (default ${REPORT_INTERVAL_SECONDS.default})`,
    )
    .action(async (volumeId, options) => attach(session(), volumeId, options));
  const detachCommand = new Command('detach')
    .description('Disconnects the kernel device, stops the bridge, and deletes the attachment (DELETE /volumes/{volumeId}/attachments/{attachmentId})')
    .argument('<volumeId>')
    .requiredOption('--attachment <attachmentId>', 'the attachment to delete')
    .option('--force', 'disconnect the device even while it is mounted or held')
    .action(async (volumeId, options) => detach(session(), volumeId, options));
  return [attachCommand as CommandUnknownOpts, detachCommand as CommandUnknownOpts];
}
