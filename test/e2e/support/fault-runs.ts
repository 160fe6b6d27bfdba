import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { ok, type AttachmentView, type VolumeApi, type VolumeView } from '../../../client/blockplane-api';
import type { RecoveryAccessSchema, RecoveryViewSchema } from '../../../contract/recovery-responses';
import { FaultInjector, emulatorPid } from '../../../local/faults';
import type { Identity } from '../../../local/identities';
import { createLocalHost, destroyLocalHost, killHost, startAgent, waitForRegistration, type LocalHost } from '../../../local/local-fleet';
import { removeStorageBridge } from '../../../local/storage-network';
import { AckedWriter, StaleReader, verifyAckedWrites, type WriteVerification } from './acked-writes';
import { AttachmentFollower } from './attachment-follower';
import { copyDataFile, publishEndpoint } from './nbd-clients';
import { volumeRecord } from './tables';

/**
 * One run of the fault harness: a fresh replicated volume under a writer that sends every write
 * to a new block and two stale-read checkers, one fault of a class, then (for faults that do not
 * kill the primary themselves) the "reveal": once the control plane says both copies are in sync
 * again, the primary's host is killed, so a copy that silently missed acknowledged writes is
 * promoted and the loss shows. Afterwards every acknowledged write is read back from the new
 * primary over NBD and from the new mirror's file.
 */
export const FAULT_CLASSES = [
  'link-reset',
  'link-blackhole',
  'primary-agent-frozen',
  'mirror-daemon-killed',
  'primary-host-killed',
  'mirror-then-primary-killed',
  'mirror-then-primary-killed-inspected',
  'control-plane-outage',
  'both-agents-restarted',
  'both-agents-stopped-cleanly',
  'filling-copy-daemon-killed',
  'fill-source-killed',
  'primary-killed-mid-fill',
] as const;
export type FaultClass = (typeof FAULT_CLASSES)[number];

/**
 * The classes that strike during a modification (issue 8): the volume is created on hdd and
 * changed to ssd, which moves its primary first (docs/modification.md, "Timeline"): a new copy C
 * is created filling on a disk of the new type and filled from the mirror B while the primary A
 * serves; the fault strikes once C is in the record, before the cutover.
 */
const MID_FILL_CLASSES: readonly FaultClass[] = ['filling-copy-daemon-killed', 'fill-source-killed', 'primary-killed-mid-fill'];

export interface FaultPlan {
  readonly faultClass: FaultClass;
  /** Acknowledged writes before the fault. */
  readonly warmupAcks: number;
  /** How long the fault lasts (link cut, outage, old primary serving after the promotion, gap between two kills). */
  readonly durationMs: number;
}

export interface FaultRunResult {
  readonly plan: FaultPlan;
  readonly ackedWrites: number;
  /** Whether the volume's primary answered at the end (its acknowledged writes could be checked). */
  readonly served: boolean;
  /** undefined when the volume was not served at the end. */
  readonly lostOnPrimary: number | undefined;
  /** undefined when the volume had no in-sync mirror to read at the end. */
  readonly lostOnMirror: number | undefined;
  readonly firstLost: WriteVerification['lost'];
  readonly ackedAfterFault: number;
  /** Reads the two checkers made (pinned to the first primary, following the attachment). */
  readonly reads: number;
  readonly staleReads: number;
  readonly firstStale: unknown[];
  readonly longestStallMs: number;
  /** From the primary's death (or its agent's freeze) to the attachment naming the new primary. */
  readonly failOverMs: number | undefined;
  /** From the primary's death to the client's first acknowledgement on a connection opened after it. */
  readonly clientResumeMs: number | undefined;
  /** Whether the volume was seen degraded during the fault, and why. */
  readonly degradedReason: string | undefined;
  /** Whether the volume was back to two in-sync copies at the end. */
  readonly backInSync: boolean;
  /** Fail-overs the control plane did that the fault did not call for (a control-plane outage must cause none). */
  readonly unexpectedFailOvers: number;
  /** Copies of the volume's first pair that were replaced (a mirror built anew) before the reveal. */
  readonly copiesReplaced: number;
  readonly notes: string[];
  /** After both hosts crashed and one returned: what the owner saw before enabling (docs/recovery.md). */
  readonly recovered?: RecoveryInspection;
  /** For a class that strikes mid-fill: how the modification ended (docs/modification.md, "Cancel and failure"). */
  readonly modification?: ModificationOutcome;
  /** Epoch ms of the run's moments (fault, heal, reveal, primaryDeath), to place the first lost writes and stale reads. */
  readonly marks: Record<string, number>;
}

/**
 * What the owner sees of a copy held in recovery: its classification, whether client I/O stayed
 * paused (no acknowledgement while it was held), and every acknowledged write of the writer's log
 * checked through the admin export (`POST /volumes/{id}/recovery-access`, `<volumeId>.recovery`
 * over NBD with TLS-PSK and the returned key).
 */
export interface RecoveryInspection {
  readonly copyId: string;
  readonly verdict: string | undefined;
  readonly disposition: string | undefined;
  readonly state: string | undefined;
  readonly ioPaused: boolean | undefined;
  readonly access: { readonly status: number; readonly exportName?: string; readonly readOnly?: boolean };
  /** undefined when the admin export could not be read. */
  readonly adminExport: { readonly ackedWrites: number; readonly lostCount: number; readonly firstLost: WriteVerification['lost'] } | undefined;
  /** Acknowledgements the writer got while the copy was held (paused I/O: none). */
  readonly ackedWhileHeld: number;
}

export interface ModificationOutcome {
  readonly modificationId: string;
  /** The filling copy the fault struck beside, and the host it was on. */
  readonly fillingCopyId: string;
  readonly fillingHostId: string;
  /** undefined when it had not ended within the wait. */
  readonly status: string | undefined;
  readonly statusReason: string | undefined;
  /** The volume's type at the end: hdd when the modification was rolled back, ssd when it completed. */
  readonly typeAtEnd: string | undefined;
}

type RecoveryView = z.infer<typeof RecoveryViewSchema>;
type RecoveryAccessView = z.infer<typeof RecoveryAccessSchema>;

/** Bounds of the waits in a run; none of them decides a result on its own. */
const WAIT = {
  volumeAvailableMs: 120_000,
  warmupMs: 60_000,
  promotionMs: 60_000,
  inSyncMs: 90_000,
  /** After a thawed old primary still serves its client this long, it is killed (as a STONITH would). */
  oldPrimaryServesMs: 20_000,
  writerContinuesMs: 60_000,
  /** After a control-plane outage: two heartbeat timeouts (6 s locally) to see whether it caused a fail-over. */
  afterOutageMs: 12_000,
  /** From the grant of the admin export to its first successful handshake (the host's poll, a daemon start). */
  adminExportMs: 60_000,
  /** From the modification's request until its filling copy is in the record. */
  fillingCopyMs: 60_000,
  /** From a mid-fill fault until the modification ended (a dead host's command ends at the host task's timeout). */
  modificationEndsMs: 240_000,
  pollMs: 250,
} as const;
const VOLUME_SIZE_GIB = 1;
/** Writes per second at most, so that the volume's blocks last the whole run (the writer never wraps). */
const WRITER_MAX_RATE = 1_000;
const WRITES_AFTER_FAIL_OVER = 300;
/** After a control-plane outage the hosts come back this far apart (issue 7 saw 2 s). */
const HOSTS_RETURN_GAP_MS = 2_000;

export class FaultFleet {
  readonly hosts: LocalHost[] = [];
  readonly location = `faults-${randomUUID().slice(0, 6)}`;
  private readonly injector = new FaultInjector();
  private readonly work = mkdtempSync(join(tmpdir(), 'bp-faults-'));
  private readonly processes: { kill(): void }[] = [];

  constructor(
    private readonly tenant: VolumeApi,
    private readonly hostIdentities: Identity[],
    private readonly hostsTableName: string,
  ) {}

  async start(): Promise<void> {
    for (const [i, identity] of this.hostIdentities.entries()) {
      const host = await createLocalHost(i + 1, this.location);
      this.hosts.push(host);
      startAgent(host, identity);
    }
    for (const host of this.hosts) await waitForRegistration(host, this.hostsTableName);
  }

  /** Heals every fault and removes the fleet; one host's failed removal does not keep the others. */
  async destroy(): Promise<void> {
    await this.injector.heal();
    for (const child of this.processes) child.kill();
    const keep = process.env.BLOCKPLANE_FAULT_KEEP_LOGS;
    if (keep) {
      // For a post-mortem: every run's writer and reader logs and each host's agent log.
      cpSync(this.work, join(keep, 'runs'), { recursive: true });
      for (const host of this.hosts) cpSync(host.logFile, join(keep, `${host.network.name}-agent.log`));
    }
    const failures: string[] = [];
    for (const host of this.hosts) {
      // A veth can vanish between the check and the delete while its namespace goes away: retried once.
      await destroyLocalHost(host).catch(() => destroyLocalHost(host).catch((error: unknown) => failures.push(`${host.hostId}: ${String(error)}`)));
    }
    await removeStorageBridge();
    rmSync(this.work, { recursive: true, force: true });
    if (failures.length) throw new Error(`could not remove every host of the fault fleet: ${failures.join('; ')}`);
  }

  private identityOf(host: LocalHost): Identity {
    return this.hostIdentities[this.hosts.indexOf(host)]!;
  }

  private hostOf(hostId: string): LocalHost {
    const host = this.hosts.find((h) => h.hostId === hostId);
    if (!host) throw new Error(`host ${hostId} is not in this fleet`);
    return host;
  }

  private alive = (host: LocalHost) => host.agent !== undefined && host.agent.exitCode === null && host.agent.signalCode === null;

  /** Starts the agent of every host whose agent is gone, and waits until each is registered again. */
  async reviveAll(): Promise<void> {
    const revived = this.hosts.filter((h) => !this.alive(h));
    for (const host of revived) startAgent(host, this.identityOf(host));
    for (const host of revived) await waitForRegistration(host, this.hostsTableName);
  }

  private async restartAgent(host: LocalHost): Promise<void> {
    const agent = host.agent;
    if (agent && this.alive(host)) {
      const exited = new Promise((resolve) => agent.once('exit', resolve));
      agent.kill('SIGKILL');
      await exited;
    }
    startAgent(host, this.identityOf(host));
  }

  /** SIGTERM: the agent stops cleanly (every daemon quits, the clean-stop marker is written) and exits. */
  private async stopAgentCleanly(host: LocalHost): Promise<void> {
    const agent = host.agent;
    if (!agent || !this.alive(host)) return;
    const exited = new Promise((resolve) => agent.once('exit', resolve));
    agent.kill('SIGTERM');
    await exited;
  }

  private async poll<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const value = await probe();
        if (value !== undefined) return value;
      } catch {
        // Deliberately retried: the control plane may be down or the record mid-update.
      }
      if (Date.now() > deadline) return undefined;
      await sleep(WAIT.pollMs);
    }
  }

  private statusOf = async (volumeId: string): Promise<string> =>
    this.volume(volumeId).then(
      (v) => `${v.status}${v.statusReason ? `: ${v.statusReason}` : ''}`,
      (error: unknown) => `unreadable: ${String(error)}`,
    );

  private volume = async (volumeId: string): Promise<VolumeView> => ok<VolumeView>(await this.tenant.get(volumeId));

  private inSync = (v: VolumeView): boolean =>
    v.status === 'in-use' && v.copies.length === 2 && v.copies.every((c) => (c as { inSync?: boolean }).inSync === true);

  /** Polls the volume for `ms`, returning the first degraded reason seen (if any). */
  private async watchFor(volumeId: string, ms: number): Promise<string | undefined> {
    let reason: string | undefined;
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const v = await this.volume(volumeId).catch(() => undefined);
      if (v && reason === undefined && (v.status === 'degraded' || v.copies.some((c) => (c as { inSync?: boolean }).inSync === false))) {
        reason = `${v.status}: ${v.statusReason ?? '(no reason given)'}`;
      }
      await sleep(WAIT.pollMs);
    }
    return reason;
  }

  async run(plan: FaultPlan): Promise<FaultRunResult> {
    const notes: string[] = [];
    const dir = mkdtempSync(join(this.work, `${plan.faultClass}-`));
    const file = (name: string) => join(dir, name);
    // Given a replicated volume, attached, under the writer and two stale-read checkers
    const midFill = MID_FILL_CLASSES.includes(plan.faultClass);
    const created = ok<VolumeView>(await this.tenant.create({ location: this.location, sizeGiB: VOLUME_SIZE_GIB, ...(midFill ? { type: 'hdd', iops: 500 } : { type: 'ssd' }) }));
    const available = await this.poll(async () => {
      const v = await this.volume(created.volumeId);
      if (v.status === 'error') throw new Error(`volume ${v.volumeId} is in error: ${v.statusReason}`);
      return v.status === 'available' ? v : undefined;
    }, WAIT.volumeAvailableMs);
    if (!available) throw new Error(`volume ${created.volumeId} did not become available within ${WAIT.volumeAvailableMs} ms`);
    const first = ok<AttachmentView>(await this.tenant.http.request('POST', `/volumes/${created.volumeId}/attachments`));
    const endpointFile = file('endpoint.json');
    const follower = new AttachmentFollower(this.tenant, first, endpointFile);
    follower.start();
    const writer = new AckedWriter(endpointFile, file('writer.log'), file('writer.stop'), { blocks: (VOLUME_SIZE_GIB * 1024 ** 3) / 4096, maxRate: WRITER_MAX_RATE });
    const pinned = new StaleReader(endpointFile, file('writer.log'), file('pinned.json'), file('readers.stop'), true);
    const following = new StaleReader(endpointFile, file('writer.log'), file('following.json'), file('readers.stop'), false);
    this.processes.push(writer, pinned, following);
    const marks: Record<string, number> = {};
    let degradedReason: string | undefined;
    let unexpectedFailOvers = 0;
    let copiesReplaced = 0;
    let killedPrimaryAt: number | undefined;
    let recovered: RecoveryInspection | undefined;
    let modification: ModificationOutcome | undefined;
    try {
      const warm = await this.poll(async () => (writer.progress().acked >= plan.warmupAcks ? true : undefined), WAIT.warmupMs);
      if (!warm) throw new Error(`the writer did not get ${plan.warmupAcks} acknowledgements within ${WAIT.warmupMs} ms`);
      const record = await volumeRecord(created.volumeId);
      const primaryCopy = record.copies.find((c) => c.role === 'primary')!;
      const mirrorCopy = record.copies.find((c) => c.role === 'mirror')!;
      const primary = this.hostOf(primaryCopy.hostId);
      const mirror = this.hostOf(mirrorCopy.hostId);
      const movesBefore = () => follower.moves.length;
      const filling = midFill ? await this.startFill(created.volumeId) : undefined;

      // When the fault happens
      marks.fault = Date.now();
      let reveal = true;
      switch (plan.faultClass) {
        case 'link-reset':
        case 'link-blackhole': {
          await this.injector.cutLink(primary, mirror, plan.faultClass === 'link-reset' ? 'reset' : 'blackhole');
          degradedReason = await this.watchFor(created.volumeId, plan.durationMs);
          await this.injector.healLinks();
          marks.heal = Date.now();
          reveal = plan.faultClass === 'link-reset';
          break;
        }
        case 'primary-agent-frozen': {
          const moves = movesBefore();
          this.injector.freeze(primary.agent!.pid!);
          const promoted = await this.poll(async () => (follower.moves.length > moves ? true : undefined), WAIT.promotionMs);
          if (!promoted) notes.push(`no promotion within ${WAIT.promotionMs} ms of freezing the primary's agent`);
          await sleep(plan.durationMs);
          this.injector.thaw(primary.agent!.pid!);
          marks.heal = Date.now();
          const writerMoved = await this.poll(async () => (this.writerConnectedTo(file('writer.log'), follower.attachment) ? true : undefined), WAIT.oldPrimaryServesMs);
          if (!writerMoved) {
            notes.push(`the old primary still served its client ${WAIT.oldPrimaryServesMs} ms after its agent thawed; killed it`);
            killHost(primary);
          }
          reveal = false;
          killedPrimaryAt = marks.fault;
          break;
        }
        case 'mirror-daemon-killed': {
          this.injector.killCopyDaemon(mirror, mirrorCopy.copyId);
          degradedReason = await this.watchFor(created.volumeId, plan.durationMs);
          break;
        }
        case 'primary-host-killed': {
          killHost(primary);
          killedPrimaryAt = marks.fault;
          reveal = false;
          break;
        }
        case 'mirror-then-primary-killed':
        case 'mirror-then-primary-killed-inspected': {
          // The replacement mirror (on the third host) must not finish synchronising before the
          // primary dies, or it takes over and nothing is held: the primary's link to it is
          // black-holed until the primary is gone.
          const third = this.hosts.find((h) => h !== primary && h !== mirror)!;
          await this.injector.cutLink(primary, third, 'blackhole');
          killHost(mirror);
          await sleep(plan.durationMs);
          killHost(primary);
          killedPrimaryAt = Date.now();
          await this.injector.healLinks();
          marks.reveal = killedPrimaryAt;
          await sleep(WAIT.afterOutageMs);
          const inspected = plan.faultClass === 'mirror-then-primary-killed-inspected';
          if (inspected) {
            // The primary's host comes back first (its agent restarts and finds its copy): with no
            // live copy left, its copy has every acknowledged write and is authoritative, held
            // read-only with client I/O paused until the owner decides (docs/recovery.md); the
            // owner reads it through the admin export; then the mirror's host comes back too.
            startAgent(primary, this.identityOf(primary));
            await waitForRegistration(primary, this.hostsTableName);
          } else {
            // Both hosts come back (their agents restart and find their copies).
            await this.reviveAll();
          }
          const impaired = await this.poll(async () => ((await this.volume(created.volumeId)).status === 'impaired' ? true : undefined), WAIT.afterOutageMs);
          if (impaired) {
            if (inspected) {
              recovered = await this.inspectRecovery(created.volumeId, primaryCopy.copyId, dir, writer);
              await this.reviveAll();
            }
            // The owner enables the authoritative copy; the writer must go on with nothing lost.
            const decision = await this.tenant.http.request('POST', `/volumes/${created.volumeId}/recovery-decision`, { action: 'enable' });
            if (decision.status !== 200 && decision.status !== 202) notes.push(`enabling the recovered copy answered ${decision.status}: ${decision.text}`);
          } else {
            notes.push(`the volume was not impaired within ${WAIT.afterOutageMs} ms of the host's return (volume ${await this.statusOf(created.volumeId)})`);
            await this.reviveAll();
          }
          reveal = false;
          break;
        }
        case 'control-plane-outage': {
          // The emulator stops answering; when it is back, the hosts find their way back one by
          // one: the third host at once, then (their agents frozen just before the thaw and thawed
          // in turn) the mirror's and the primary's; the first heartbeat through must not make
          // the others lost.
          const moves = movesBefore();
          const pid = emulatorPid();
          this.injector.freeze(pid);
          await sleep(plan.durationMs);
          const returning = [mirror, primary];
          for (const host of returning) this.injector.freeze(host.agent!.pid!);
          this.injector.thaw(pid);
          for (const host of returning) {
            await sleep(HOSTS_RETURN_GAP_MS);
            this.injector.thaw(host.agent!.pid!);
          }
          marks.heal = Date.now();
          degradedReason = await this.watchFor(created.volumeId, WAIT.afterOutageMs);
          unexpectedFailOvers = follower.moves.length - moves;
          break;
        }
        case 'both-agents-restarted': {
          await this.restartAgent(primary);
          await this.restartAgent(mirror);
          for (const host of [primary, mirror]) await waitForRegistration(host, this.hostsTableName);
          degradedReason = await this.watchFor(created.volumeId, plan.durationMs);
          break;
        }
        case 'both-agents-stopped-cleanly': {
          // A maintenance restart: the primary's agent stops cleanly (SIGTERM: its daemon quits,
          // the clean-stop marker is written), then the mirror's; both start again at once.
          const moves = movesBefore();
          await this.stopAgentCleanly(primary);
          await this.stopAgentCleanly(mirror);
          for (const host of [primary, mirror]) startAgent(host, this.identityOf(host));
          for (const host of [primary, mirror]) await waitForRegistration(host, this.hostsTableName);
          marks.heal = Date.now();
          degradedReason = await this.watchFor(created.volumeId, plan.durationMs);
          const settled = await this.poll(async () => (this.inSync(await this.volume(created.volumeId)) ? true : undefined), WAIT.inSyncMs);
          if (!settled) notes.push(`the volume was not back to two in-sync copies within ${WAIT.inSyncMs} ms of the restart`);
          unexpectedFailOvers = follower.moves.length - moves;
          const after = await volumeRecord(created.volumeId);
          copiesReplaced = [primaryCopy, mirrorCopy].filter((c) => !after.copies.some((now) => now.copyId === c.copyId)).length;
          break;
        }
        case 'filling-copy-daemon-killed': {
          const { copy } = filling!;
          const killed = await this.poll(async () => this.injector.killCopyDaemon(this.hostOf(copy.hostId), copy.copyId), WAIT.fillingCopyMs);
          if (killed === undefined) notes.push(`no daemon of the filling copy ${copy.copyId} was found to kill within ${WAIT.fillingCopyMs} ms`);
          degradedReason = await this.watchFor(created.volumeId, plan.durationMs);
          break;
        }
        case 'fill-source-killed': {
          killHost(mirror);
          degradedReason = await this.watchFor(created.volumeId, plan.durationMs);
          // The mirror's host comes back (its copy, no longer the volume's, is deleted), so that
          // the reveal leaves a host for the next mirror: three hosts, two of them dead, hold none.
          await this.reviveAll();
          break;
        }
        case 'primary-killed-mid-fill': {
          killHost(primary);
          killedPrimaryAt = marks.fault;
          reveal = false;
          break;
        }
        default: {
          const never: never = plan.faultClass;
          throw new Error(`unknown fault class ${String(never)}`);
        }
      }

      if (filling) modification = await this.modificationEnd(created.volumeId, filling, notes);

      // Then, once the control plane counts both copies in sync again, the primary dies
      if (reveal) {
        const settled = await this.poll(async () => (this.inSync(await this.volume(created.volumeId)) ? true : undefined), WAIT.inSyncMs);
        if (!settled) notes.push(`the volume was not back to two in-sync copies within ${WAIT.inSyncMs} ms of the fault; the primary was killed anyway`);
        const now = await volumeRecord(created.volumeId);
        const current = this.hostOf(now.copies.find((c) => c.role === 'primary')!.hostId);
        killHost(current);
        killedPrimaryAt = Date.now();
        marks.reveal = killedPrimaryAt;
      }
      if (killedPrimaryAt !== undefined) marks.primaryDeath = killedPrimaryAt;
      const ackedNow = writer.progress().acked;
      const continued = await this.poll(async () => (writer.progress().acked >= ackedNow + WRITES_AFTER_FAIL_OVER ? true : undefined), WAIT.writerContinuesMs);
      if (!continued) notes.push(`the writer did not get ${WRITES_AFTER_FAIL_OVER} more acknowledgements within ${WAIT.writerContinuesMs} ms (volume ${await this.statusOf(created.volumeId)})`);
      const backInSync = continued === true && (await this.poll(async () => (this.inSync(await this.volume(created.volumeId)) ? true : undefined), WAIT.inSyncMs)) === true;
      if (continued && !backInSync) notes.push(`the volume was not back to two in-sync copies within ${WAIT.inSyncMs} ms (volume ${await this.statusOf(created.volumeId)})`);

      await writer.stop();
      const [pinnedSummary, followingSummary] = await Promise.all([pinned.summary(), following.summary()]);
      if (writer.progress().ended && readEnd(file('writer.log')) === 'exhausted') notes.push('the writer used every block of the volume before the end');

      // Then every acknowledged write is on the primary (over NBD) and on the mirror (its file)
      const onPrimary = await verifyAckedWrites({ endpointFile }, file('writer.log'), marks).catch((error: unknown) => {
        notes.push(`the volume's primary could not be read: ${String(error).split('\n').filter((l) => l.includes('Error')).pop() ?? String(error)}`);
        return undefined;
      });
      let onMirror: WriteVerification | undefined;
      const final = await volumeRecord(created.volumeId);
      const finalMirror = final.copies.find((c) => c.role === 'mirror');
      if (backInSync && finalMirror) {
        const mirrorFile = copyDataFile(this.hostOf(finalMirror.hostId).dataDir, finalMirror.copyId);
        if (mirrorFile) onMirror = await verifyAckedWrites({ file: mirrorFile }, file('writer.log'), marks);
        else notes.push(`the mirror copy ${finalMirror.copyId} has no data file on ${finalMirror.hostId}`);
      }
      const death = killedPrimaryAt;
      const promotion = death === undefined ? undefined : follower.moves.find((m) => m.at >= death);
      return {
        plan,
        ackedWrites: onPrimary?.ackedWrites ?? writer.progress().acked,
        served: onPrimary !== undefined,
        lostOnPrimary: onPrimary?.lostCount,
        lostOnMirror: onMirror?.lostCount,
        firstLost: onPrimary?.lost.length ? onPrimary.lost : (onMirror?.lost ?? []),
        ackedAfterFault: onPrimary?.ackedAfter.fault ?? 0,
        reads: pinnedSummary.reads + followingSummary.reads,
        staleReads: pinnedSummary.staleCount + followingSummary.staleCount,
        firstStale: [...pinnedSummary.stale, ...followingSummary.stale].slice(0, 5),
        longestStallMs: onPrimary?.longestStall.ms ?? Number.NaN,
        failOverMs: promotion && death !== undefined ? promotion.at - death : undefined,
        clientResumeMs: onPrimary?.firstAckOnNewConnectionAfterMs.primaryDeath ?? undefined,
        degradedReason,
        backInSync,
        unexpectedFailOvers,
        copiesReplaced,
        notes,
        marks,
        ...(recovered ? { recovered } : {}),
        ...(modification ? { modification } : {}),
      };
    } finally {
      follower.stop();
      for (const child of [writer, pinned, following]) child.kill();
      await this.injector.heal();
      await this.tenant.http.request('DELETE', `/volumes/${created.volumeId}/attachments/${first.attachmentId}`).catch(() => undefined);
      await this.tenant.delete(created.volumeId).catch(() => undefined);
      await this.reviveAll();
    }
  }

  /** Requests the move to ssd and waits until its filling copy is in the volume's record. */
  private async startFill(volumeId: string): Promise<{ modificationId: string; copy: { copyId: string; hostId: string } }> {
    const requested = ok<{ modificationId: string }>(await this.tenant.http.request('POST', `/volumes/${volumeId}/modifications`, { type: 'ssd' }));
    const copy = await this.poll(async () => (await volumeRecord(volumeId)).copies.find((c) => c.role === 'filling'), WAIT.fillingCopyMs);
    if (!copy) throw new Error(`modification ${requested.modificationId} had no filling copy in the record within ${WAIT.fillingCopyMs} ms (volume ${await this.statusOf(volumeId)})`);
    return { modificationId: requested.modificationId, copy };
  }

  /** Waits until the modification ended; a modification that sticks is a note. */
  private async modificationEnd(volumeId: string, filling: { modificationId: string; copy: { copyId: string; hostId: string } }, notes: string[]): Promise<ModificationOutcome> {
    type Seen = { status: string; statusReason?: string };
    const read = async () => ok<Seen>(await this.tenant.http.request('GET', `/volumes/${volumeId}/modifications/${filling.modificationId}`));
    const ended = await this.poll(async () => {
      const seen = await read();
      return ['completed', 'failed', 'cancelled'].includes(seen.status) ? seen : undefined;
    }, WAIT.modificationEndsMs);
    const last = ended ?? (await read().catch(() => undefined));
    if (!ended) notes.push(`modification ${filling.modificationId} had not ended ${WAIT.modificationEndsMs} ms after the fault (${last?.status ?? 'unreadable'}: ${last?.statusReason ?? ''})`);
    const typeAtEnd = await this.volume(volumeId).then((v) => v.type, () => undefined);
    return {
      modificationId: filling.modificationId,
      fillingCopyId: filling.copy.copyId,
      fillingHostId: filling.copy.hostId,
      status: ended?.status,
      statusReason: last?.statusReason,
      typeAtEnd,
    };
  }

  /** The recovery of a volume whose copy `copyId` returned alone, read as the owner reads it (RecoveryInspection). */
  private async inspectRecovery(volumeId: string, copyId: string, dir: string, writer: AckedWriter): Promise<RecoveryInspection> {
    const ackedAtHold = writer.progress().acked;
    const recovery = ok<RecoveryView>(await this.tenant.http.request('GET', `/volumes/${volumeId}/recovery`));
    const copy = recovery.copies.find((c) => c.copyId === copyId);
    const granted = await this.tenant.http.request('POST', `/volumes/${volumeId}/recovery-access`, { copyId });
    const grant = granted.body as RecoveryAccessView;
    let adminExport: RecoveryInspection['adminExport'];
    if (granted.status === 201) {
      const endpointFile = join(dir, 'recovery-endpoint.json');
      publishEndpoint(endpointFile, { address: grant.address, port: grant.port, exportName: grant.exportName, identity: grant.key.identity, keyHex: grant.key.keyHex });
      // The host opens the export when its poll brings the command (and the key): until then the
      // handshake fails and the read is tried again (it only reads: the export is read-only).
      const verified = await this.poll(() => verifyAckedWrites({ endpointFile }, join(dir, 'writer.log')), WAIT.adminExportMs);
      if (verified) adminExport = { ackedWrites: verified.ackedWrites, lostCount: verified.lostCount, firstLost: verified.lost.slice(0, 3) };
    }
    return {
      copyId,
      verdict: copy?.classification.verdict,
      disposition: copy?.disposition,
      state: recovery.state,
      ioPaused: recovery.ioPaused,
      access: { status: granted.status, exportName: grant.exportName, readOnly: grant.readOnly },
      adminExport,
      ackedWhileHeld: writer.progress().acked - ackedAtHold,
    };
  }

  /** Whether the writer's newest connection is to the attachment's current endpoint. */
  private writerConnectedTo(logFile: string, attachment: AttachmentView): boolean {
    const connections = readLines(logFile).filter((l) => l.startsWith('c '));
    const last = connections[connections.length - 1];
    return last !== undefined && last.split(' ')[2] === `${attachment.nbd.address}:${attachment.nbd.port}`;
  }
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n');
  } catch {
    return [];
  }
}

function readEnd(logFile: string): string | undefined {
  return readLines(logFile).find((l) => l.startsWith('x '))?.split(' ')[2];
}

/** One line per run, for the test output and the soak. */
export function describeRun(r: FaultRunResult): string {
  const fo = r.failOverMs === undefined ? '-' : `${Math.round(r.failOverMs)} ms (client resumed after ${r.clientResumeMs === undefined ? '-' : Math.round(r.clientResumeMs)} ms)`;
  return [
    `${r.plan.faultClass} (warm-up ${r.plan.warmupAcks} acks, duration ${r.plan.durationMs} ms):`,
    `acknowledged ${r.ackedWrites} (${r.ackedAfterFault} after the fault),`,
    r.served ? `lost ${r.lostOnPrimary} on the primary,` : 'NOT SERVED at the end,',
    `${r.lostOnMirror ?? 'n/a'} on the mirror,`,
    `stale reads ${r.staleReads} of ${r.reads}, longest stall ${Number.isNaN(r.longestStallMs) ? '-' : `${Math.round(r.longestStallMs)} ms`}, fail-over ${fo},`,
    `degraded ${r.degradedReason ?? 'never seen'}, back in sync ${r.backInSync}`,
    r.unexpectedFailOvers ? `, unexpected fail-overs ${r.unexpectedFailOvers}` : '',
    r.copiesReplaced ? `, copies replaced ${r.copiesReplaced}` : '',
    r.recovered ? `, recovered ${describeRecovery(r.recovered)}` : '',
    r.modification ? `, modification ${r.modification.status ?? 'NOT ENDED'} (${r.modification.statusReason ?? 'no reason'}; type ${r.modification.typeAtEnd ?? '?'}; filling copy on ${r.modification.fillingHostId})` : '',
    r.notes.length ? `; notes: ${r.notes.join('; ')}` : '',
  ].join(' ');
}

function describeRecovery(r: RecoveryInspection): string {
  const read = r.adminExport ? `admin export lost ${r.adminExport.lostCount} of ${r.adminExport.ackedWrites}` : 'admin export NOT READ';
  return `${r.copyId} ${r.verdict ?? '?'} ${r.disposition ?? '?'} (${r.state ?? '?'}, I/O paused ${String(r.ioPaused)}, access ${r.access.status}), ${read}, acknowledged while held ${r.ackedWhileHeld}`;
}
