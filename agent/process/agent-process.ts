/**
 * The composition root of the storage-host agent: builds the controllers and starts them in
 * order, and stops them in reverse.
 *
 * start: data-dir lock → disks (format/mount) → lease guard (its own process) → copies (scan,
 *        hold, stop orphan daemons cleanly or kill them) → without a clean-stop marker: recovery
 *        of the copies in doubt (scan, report, retried until answered; docs/recovery.md) → registration (retried until it succeeds) → heartbeats →
 *        command loop.
 * stop:  command loop (no more polls) → heartbeats → every daemon quit, every lock released →
 *        clean-stop marker → lease guard.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { HostApi } from '../../client/blockplane-api';
import { ReportsApi } from '../../client/reports-api';
import { AuditHostApi } from '../../client/audit-api';
import { AssertionController } from '../audit/assertion-controller';
import { HostObserver } from '../audit/host-observer';
import { SpecSource } from '../audit/spec-source';
import { CommandHandler } from '../commands/command-handler';
import { CopyLock } from '../copies/copy-lock';
import { CommandLoop } from '../control-plane/command-loop';
import { mirrorProgressSource } from '../control-plane/mirror-progress-source';
import { SnapshotController } from '../snapshots/snapshot-controller';
import { snapshotOrMirrorProgress } from '../snapshots/snapshot-progress-source';
import { fillOrNextProgress } from '../snapshots/fill-progress-source';
import { ControlPlaneChunkUrls } from '../snapshots/control-plane-chunk-urls';
import { SnapshotFiller } from '../snapshots/snapshot-fill';
import { ControlPlaneClient } from '../control-plane/control-plane-client';
import { HostController } from '../control-plane/host-controller';
import { CopyController } from '../controllers/copy-controller';
import { CopyReport, CopyState } from '../controllers/copy-state';
import { MirrorController } from '../controllers/mirror-controller';
import { ChainController } from '../controllers/chain-controller';
import { ReplicaFaultController } from '../controllers/replica-fault-controller';
import { ReportController } from '../controllers/report-controller';
import { LeaseBook } from '../lease/lease-file';
import { CleanStopMarker } from '../recovery/clean-stop-marker';
import { enterRecovery } from '../recovery/enter-recovery';
import { LeaseGuardProcess } from '../lease/lease-guard-process';
import { PortAllocator } from '../controllers/port-allocator';
import { DiskController } from '../devices/disk-controller';
import { AgentError, CopyLockedError } from '../errors';
import { AgentLogger, silentLogger } from '../util/logger';
import { AGENT_VERSION } from '../version';
import { AgentCliOptions } from './agent-options';

export interface AgentProcessOptions extends Omit<AgentCliOptions, 'logLevel'> {
  api: HostApi;
  /** @default 'qemu-storage-daemon' */
  qsdBinary?: string;
  /**
   * How to start the lease guard (argv, without its own flags), e.g. this launcher with
   * `lease-guard`. @default none: no guard runs (in-process tests only; the launcher always sets it)
   */
  leaseGuardCommand?: readonly string[];
  logger?: AgentLogger;
}

export class AgentProcess {
  readonly disks: DiskController;
  readonly copies: CopyController;
  readonly mirrors: MirrorController;
  readonly chains: ChainController;
  readonly faults: ReplicaFaultController;
  readonly reports: ReportController;
  readonly lease: LeaseBook;
  readonly handler: CommandHandler;
  readonly host: HostController;
  readonly commands: CommandLoop;
  readonly assertions: AssertionController;
  /** Fills new copies of volumes restored from snapshots (create-copy with restoreFrom). */
  readonly filler: SnapshotFiller;
  private readonly logger: AgentLogger;
  private dataDirLock: CopyLock | undefined;
  private leaseGuard: LeaseGuardProcess | undefined;
  private stopped: Promise<void> | undefined;
  private readonly cleanStop: CleanStopMarker;
  private readonly stopping = new AbortController();
  /** Copies held by a recovery (docs/recovery.md): not offered back at registration while they stay held. */
  private readonly recoveryHeld = new Set<string>();
  /** Copies found after a clean stop (docs/recovery.md, "Clean restart"): the control plane may resume them as they were. */
  private readonly cleanlyStopped = new Set<string>();

  constructor(private readonly options: AgentProcessOptions) {
    this.logger = options.logger ?? silentLogger;
    const client = new ControlPlaneClient(options.api, options.hostId);
    this.disks = new DiskController({ dataDir: options.dataDir, hostId: options.hostId, devices: options.devices, logger: this.logger });
    this.filler = new SnapshotFiller({ urlsFor: (fill) => new ControlPlaneChunkUrls(options.api, options.hostId, fill.snapshotId, fill.volumeId) });
    this.copies = new CopyController({
      hostId: options.hostId,
      dataDir: options.dataDir,
      address: options.address,
      ...(options.netns ? { netns: options.netns } : {}),
      disks: this.disks,
      ports: new PortAllocator(options.nbdPorts),
      ...(options.qsdBinary ? { qsdBinary: options.qsdBinary } : {}),
      leaseMs: options.leaseMs,
      filler: this.filler,
      logger: this.logger,
    });
    this.mirrors = new MirrorController(this.copies);
    this.lease = new LeaseBook(options.dataDir, options.leaseMs);
    this.cleanStop = new CleanStopMarker(options.dataDir);
    this.faults = new ReplicaFaultController({ copies: this.copies, client, lease: this.lease });
    this.chains = new ChainController({ copies: this.copies });
    this.reports = new ReportController({
      hostId: options.hostId,
      uploader: new ReportsApi(options.api.http),
      agentState: () => this.diagnosticState(),
      ...(options.qsdBinary ? { qsdBinary: options.qsdBinary } : {}),
      logger: this.logger,
    });
    const snapshots = new SnapshotController({ copies: this.copies, api: options.api, hostId: options.hostId });
    const auditApi = new AuditHostApi(options.api.http);
    this.assertions = new AssertionController({
      hostId: options.hostId,
      api: auditApi,
      specs: new SpecSource(auditApi, options.auditHoldSpec ?? false),
      copies: this.copies,
      host: new HostObserver(options.hostId, () => this.disks.disks, options.qsdBinary),
      intervalMs: options.auditIntervalMs,
      logger: this.logger,
    });
    this.handler = new CommandHandler({
      copies: this.copies, mirrors: this.mirrors, chains: this.chains, reports: this.reports, snapshots, logger: this.logger,
      onSucceeded: () => this.assertions.assertSoon(),
    });
    this.host = new HostController({
      client,
      location: options.location,
      ...(options.rack !== undefined ? { rack: options.rack } : {}),
      address: options.address,
      agentVersion: AGENT_VERSION,
      disks: this.disks,
      copies: this.copies,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      hides: (copyId) => this.recoveryHeld.has(copyId) && this.copies.isHeld(copyId),
      stoppedCleanly: (copyId) => this.cleanlyStopped.has(copyId) && this.copies.isHeld(copyId),
      logger: this.logger,
    });
    this.commands = new CommandLoop({
      client,
      handler: this.handler,
      pollWaitSeconds: options.pollWaitSeconds,
      logger: this.logger,
      progressOf: fillOrNextProgress(this.filler, snapshotOrMirrorProgress(snapshots, mirrorProgressSource(this.copies))),
    });
    this.copies.on('state-changed', (report: CopyReport) => {
      if (report.state === CopyState.DaemonDied || report.state === CopyState.ReplicaStale) this.host.nudge();
    });
  }

  async start(): Promise<void> {
    await this.lockDataDir();
    const disks = await this.disks.start();
    this.logger.info('disks ready', { disks: disks.map((disk) => ({ device: disk.spec.path, name: disk.name, type: disk.type, mountPoint: disk.mountPoint })) });
    if (this.options.leaseGuardCommand) {
      this.leaseGuard = await LeaseGuardProcess.start({ command: this.options.leaseGuardCommand, dataDir: this.options.dataDir, leaseFile: this.lease.file, logger: this.logger });
    }
    await this.copies.scan();
    this.logger.info('copies held', { copies: this.copies.copyIds.length, stateFile: this.copies.statePath });
    // After a clean stop every copy stopped cleanly; after a crash of the agent alone, those whose
    // daemon it left running and this start stopped cleanly (copy-controller.ts, stopOrphan).
    const clean = await this.cleanStop.consume();
    for (const copyId of this.copies.copyIds) if (clean || this.copies.stoppedCleanlyAtStart(copyId)) this.cleanlyStopped.add(copyId);
    const inDoubt = this.copies.copyIds.filter((copyId) => !this.cleanlyStopped.has(copyId));
    if (inDoubt.length > 0) {
      const copies = { copyIds: inDoubt, describe: (copyId: string) => this.copies.describe(copyId) };
      const held = await enterRecovery({ copies, http: this.options.api.http, hostId: this.options.hostId, logger: this.logger, signal: this.stopping.signal }, 'unclean-shutdown');
      if (held === undefined) return; // stopped while reporting
      for (const copyId of held) this.recoveryHeld.add(copyId);
    }
    if (!(await this.host.register())) return; // stopped while registering
    if (this.host.registeredAt) this.handler.servingCommandsIssuedFrom(this.host.registeredAt);
    this.host.startHeartbeats();
    this.commands.start();
    this.assertions.start();
    this.logger.info('agent running', { hostId: this.options.hostId, address: this.options.address, netns: this.options.netns, version: AGENT_VERSION });
  }

  /** Idempotent; safe to call while `start()` is still running. */
  stop(): Promise<void> {
    if (!this.stopped) this.stopped = this.stopOnce();
    return this.stopped;
  }

  private async stopOnce(): Promise<void> {
    this.logger.info('stopping');
    this.stopping.abort();
    this.commands.stop();
    this.assertions.stop();
    await this.host.stop();
    this.faults.stop();
    this.chains.stop();
    await this.copies.shutdown();
    await this.cleanStop.write(new Date());
    await this.leaseGuard?.stop();
    await this.dataDirLock?.release();
    this.logger.info('stopped');
  }

  /** The agent's own state for a diagnostics report (agent-state.json): version, copies with their replica states and daemons, disks. */
  private diagnosticState(): object {
    return {
      hostId: this.options.hostId,
      agentVersion: AGENT_VERSION,
      agentPid: process.pid,
      registeredAt: this.host.registeredAt ?? null,
      copies: this.copies.copyIds.map((copyId) => this.copies.describe(copyId)),
      disks: this.disks.reports(),
    };
  }

  /** One agent per data directory: a second one would fight over mounts and report the same host. */
  private async lockDataDir(): Promise<void> {
    await fs.mkdir(this.options.dataDir, { recursive: true, mode: 0o755 });
    try {
      this.dataDirLock = await CopyLock.acquire(path.join(this.options.dataDir, 'agent.lock'), 'agent');
    } catch (error) {
      if (error instanceof CopyLockedError) {
        throw new AgentError(`another agent runs on data directory ${this.options.dataDir} (${error.holder})`, { cause: error });
      }
      throw error;
    }
  }
}
