/**
 * The chains controller: a migration's copy mechanics on the agent (docs/modification-chain.md,
 * qemu-7.2 §1). A mirror B that replicates onward fills a new copy C while the primary A keeps
 * serving (writes go A → B → C synchronously once C is in sync); the cutover ends the chain and
 * makes C the primary with B as its mirror at the next generation; A is retired.
 *
 * - `extend-chain` (on B): B runs its own write-blocking mirror job from its exported node to
 *   C's export (`sync: full`). B's export existed before the job, so QEMU re-parents it onto the
 *   job's filter: A's writes reach C before B answers them. Answers at READY. The NBD node to C
 *   holds nothing ({@link CHAIN_HOLD_SECONDS}): a C that fails makes B's job fail at once, and B
 *   (and so A) keeps answering writes; the chain is then broken, never in sync again. While the
 *   chain runs, B probes C (the replica-fault controller's probe, from B's namespace); a C that
 *   stops answering is cut off (`ss -K`) and the chain marked broken, so a black-holed C never
 *   stalls A's clients for longer than the detection.
 * - `end-chain` (on B): without `nextGeneration` (cancel) the job is cancelled (soft when in
 *   sync) and B stays A's mirror as before. With `nextGeneration` (cutover; A is quiesced) the
 *   chain must be in sync and unbroken: B removes its `<volume>.g<gen>` export first (no write of
 *   generation gen can reach B from then on), soft-cancels the job (QEMU's final sync: C == B
 *   when it completes without error), and exports again under `<volume>.g<gen+1>`, where C's
 *   mirror and its lease guard find it. A (quiesced: no client export, its lease released) can
 *   never reach B again; a primary that was not quiesced would still be guarded and its guard
 *   would end its daemon once B stopped answering its generation.
 * - `promote-copy` with `planned: true` (on C): C's replication export goes, its access list
 *   becomes the client keys, it becomes primary at the command's generation, starts its mirror
 *   to B with `sync: none` (correct only because C == B at that instant) and only then adds the
 *   client export, on the mirror's filter node. So C never acknowledges a write B does not have;
 *   no lease wait (the old primary is quiesced). C's replica-fault controller and lease guard
 *   start from the mirror's READY as for any primary.
 *
 * Everything runs in the copy's queue of the copies controller.
 */
import { EndChainPayload, ExtendChainPayload, PromoteCopyPayload } from '../commands/command-schemas';
import { CopyRole } from '../copies/copy-role';
import { ReplicaStatusChange } from '../copies/mirror-job';
import { mirrorTargetOf } from '../copies/mirror-peer';
import { ReplicaStatus } from '../copies/replica-status';
import { ServedCopy } from '../copies/served-copy';
import { CopyNotServingError, CopyRoleMismatchError, CopyRuntimeStateError, MirrorSyncFailedError, MirrorTargetUnreachableError, StaleGenerationError } from '../errors';
import { clientAccessList } from '../tls/client-access-list';
import { retryWithBackoff, sleep } from '../util/backoff';
import { CopyController } from './copy-controller';
import { CopyEntry, exportNameOf, keysFingerprint, notServingReason, requireServed } from './copy-entry';
import { CopyPhase } from './copy-state';
import { MIN_READY_TIMEOUT_MS, MIRROR_START_BACKOFF, SLOWEST_SYNC_BYTES_PER_SECOND, targetFingerprint } from './mirror-controller';

/** The chain's NBD node holds no write: a failing C fails B's job at once, B answers its writes (C is not relied on). */
export const CHAIN_HOLD_SECONDS = 0;
export const CHAIN_PROBE_INTERVAL_MS = 1_000;
export const CHAIN_PROBE_TIMEOUT_MS = 1_000;
export const CHAIN_PROBE_FAILURES = 2;

export interface ChainControllerOptions {
  copies: CopyController;
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
  probeFailures?: number;
}

/** B's onward replication to C. */
interface Chain {
  readonly targetCopyId: string;
  readonly fingerprint: string;
  readonly served: ServedCopy;
  readonly probe: AbortController;
  /** True until extend-chain has its answer (READY or failure). */
  filling: boolean;
  /** Set once the chain can no longer be trusted to be in sync (job error, C silent). */
  brokenReason?: string;
}

export interface ExtendChainResult {
  copyId: string;
  target: string;
  inSync: true;
}

export interface EndChainResult {
  copyId: string;
  target: string;
  inSync: boolean;
  generation: number;
  /** B's export after the cutover (`<volume>.g<nextGeneration>`). */
  nbd?: { address: string; port: number; exportName: string };
}

export class ChainController {
  private readonly chains = new Map<string, Chain>();
  private readonly probeIntervalMs: number;
  private readonly probeTimeoutMs: number;
  private readonly probeFailures: number;

  constructor(private readonly options: ChainControllerOptions) {
    this.probeIntervalMs = options.probeIntervalMs ?? CHAIN_PROBE_INTERVAL_MS;
    this.probeTimeoutMs = options.probeTimeoutMs ?? CHAIN_PROBE_TIMEOUT_MS;
    this.probeFailures = options.probeFailures ?? CHAIN_PROBE_FAILURES;
    options.copies.on('replica-status', (entry: CopyEntry, change: ReplicaStatusChange) => {
      const chain = this.chains.get(entry.copyId);
      if (chain && change.to === ReplicaStatus.Stale) this.breakChain(entry, chain, change.reason);
    });
    options.copies.on('removed', (copyId: string) => this.forget(copyId));
  }

  /** True while this copy replicates onward (the copies controller leaves that job alone). */
  replicatesOnward(copyId: string): boolean {
    return this.chains.has(copyId);
  }

  /** Stops every probe (the agent stops). */
  stop(): void {
    for (const copyId of [...this.chains.keys()]) this.forget(copyId);
  }

  // ─── extend-chain ───────────────────────────────────────────────────────────────────────

  extendChain(payload: ExtendChainPayload): Promise<ExtendChainResult> {
    return this.options.copies.exclusive(payload.copyId, 'extend the chain', () => this.extendNow(payload));
  }

  private async extendNow(payload: ExtendChainPayload): Promise<ExtendChainResult> {
    const entry = this.options.copies.require(payload.copyId, payload.volumeId);
    const served = this.servedMirror(entry, payload.generation, 'extend the chain');
    const target = mirrorTargetOf(payload.target, payload.replicationKey);
    const fingerprint = targetFingerprint(target);
    const runtime = served.runtime;
    const logger = entry.logger.child({ chainTargetHostId: payload.target.hostId, chainTargetCopyId: payload.target.copyId });
    const current = this.chains.get(entry.copyId);
    if (current?.fingerprint === fingerprint && current.brokenReason === undefined && runtime.replicaStatus === ReplicaStatus.InSync) {
      logger.info('chain already in sync with this copy');
      return { copyId: entry.copyId, target: payload.target.copyId, inSync: true };
    }
    if (current) await this.dropChain(entry, 'replaced by another extend-chain');
    const chain: Chain = { targetCopyId: payload.target.copyId, fingerprint, served, probe: new AbortController(), filling: true };
    this.chains.set(entry.copyId, chain);
    entry.replicatesOnwardTo = chain.targetCopyId;
    const readyTimeoutMs = Math.max(MIN_READY_TIMEOUT_MS, Math.ceil((entry.copy.metadata.sizeBytes / SLOWEST_SYNC_BYTES_PER_SECOND) * 1000));
    const started = Date.now();
    try {
      await retryWithBackoff(
        MIRROR_START_BACKOFF,
        () => runtime.startMirror(target, { sync: 'full', readyTimeoutMs, reconnectDelaySeconds: CHAIN_HOLD_SECONDS }),
        {
          isRetryable: (error) => error instanceof MirrorTargetUnreachableError && entry.served === served,
          onRetry: (error, attempt, delayMs) => logger.warn('chain target not reachable yet; retrying', { attempt, delayMs, error: (error as Error).message }),
        },
      );
    } catch (error) {
      chain.filling = false;
      const reason = chain.brokenReason ?? (error as Error).message;
      await this.dropChain(entry, `the fill failed: ${reason}`).catch((cleanupError: Error) =>
        logger.error('could not remove the failed chain', { error: cleanupError.message }),
      );
      if (error instanceof MirrorSyncFailedError) throw new MirrorSyncFailedError(error.jobId, `the chain to ${payload.target.copyId} failed before it was in sync: ${reason}`);
      throw error;
    }
    chain.filling = false;
    if (chain.brokenReason !== undefined) {
      await this.dropChain(entry, chain.brokenReason);
      throw new MirrorSyncFailedError(entry.copy.metadata.nodeNames.mirrorJob, `the chain to ${payload.target.copyId} broke: ${chain.brokenReason}`);
    }
    void this.probeLoop(entry, chain).catch((error: Error) => logger.error('chain probe loop ended with an unexpected error', { error: error.message }));
    logger.info('chain in sync: writes reach the new copy through this mirror', { durationMs: Date.now() - started });
    return { copyId: entry.copyId, target: payload.target.copyId, inSync: true };
  }

  // ─── end-chain ──────────────────────────────────────────────────────────────────────────

  async endChain(payload: EndChainPayload): Promise<EndChainResult> {
    if (payload.nextGeneration === undefined) await this.interruptFill(payload);
    return this.options.copies.exclusive(payload.copyId, 'end the chain', () =>
      payload.nextGeneration === undefined ? this.cancelNow(payload) : this.cutOverNow(payload, payload.nextGeneration),
    );
  }

  /**
   * A cancel must not wait for the fill it cancels (extend-chain holds the copy's queue until
   * READY): the fill's job is force-cancelled at once, beside the queue; extend-chain then fails
   * and removes the chain, and the queued end-chain finds nothing left to end.
   */
  private async interruptFill(payload: EndChainPayload): Promise<void> {
    const chain = this.chains.get(payload.copyId);
    if (!chain?.filling || chain.targetCopyId !== payload.target.copyId || chain.served.copy.volumeId !== payload.volumeId) return;
    if (payload.generation < chain.served.copy.metadata.generation) return; // refused in the queue
    chain.brokenReason = 'cancelled by end-chain';
    await chain.served.runtime.abandonMirror('the fill was cancelled (end-chain)');
  }

  /** Ends the chain; B stays the primary's mirror at its generation. `inSync`: C got B's state at the end. */
  private async cancelNow(payload: EndChainPayload): Promise<EndChainResult> {
    const entry = this.options.copies.require(payload.copyId, payload.volumeId);
    const { generation } = entry.copy.metadata;
    if (payload.generation < generation) throw new StaleGenerationError(entry.copyId, payload.generation, generation);
    const chain = this.chains.get(entry.copyId);
    if (!chain || chain.targetCopyId !== payload.target.copyId) {
      return { copyId: entry.copyId, target: payload.target.copyId, inSync: false, generation };
    }
    const inSync = await this.dropChain(entry, 'end-chain');
    entry.logger.info('chain ended', { target: chain.targetCopyId, inSync });
    return { copyId: entry.copyId, target: payload.target.copyId, inSync, generation };
  }

  private async cutOverNow(payload: EndChainPayload, nextGeneration: number): Promise<EndChainResult> {
    const entry = this.options.copies.require(payload.copyId, payload.volumeId);
    const { metadata } = entry.copy;
    if (metadata.generation === nextGeneration && metadata.role === CopyRole.Mirror && !this.chains.has(entry.copyId) && entry.served?.runtime.hasExport) {
      return { copyId: entry.copyId, target: payload.target.copyId, inSync: true, generation: nextGeneration, nbd: this.endpointOf(entry) };
    }
    const served = this.servedMirror(entry, payload.generation, 'cut over the chain');
    const runtime = served.runtime;
    const chain = this.chains.get(entry.copyId);
    if (!chain || chain.targetCopyId !== payload.target.copyId) {
      throw new CopyRuntimeStateError('cut over the chain', `no chain to ${payload.target.copyId}`, `a chain in sync to ${payload.target.copyId}`);
    }
    const jobId = metadata.nodeNames.mirrorJob;
    if (chain.brokenReason !== undefined || runtime.replicaStatus !== ReplicaStatus.InSync) {
      throw new MirrorSyncFailedError(jobId, `the chain to ${chain.targetCopyId} is not in sync (${chain.brokenReason ?? runtime.replicaStatus}); nothing changed`);
    }
    const oldExportName = exportNameOf(entry);
    // From here no write of this generation reaches B: the final sync below gives C all of B.
    await runtime.removeExport();
    this.stopProbe(chain);
    let inSync: boolean;
    try {
      inSync = await this.dropChain(entry, 'cutover');
    } catch (error) {
      await this.restoreExport(entry, oldExportName);
      throw error;
    }
    if (!inSync) {
      await this.restoreExport(entry, oldExportName);
      throw new MirrorSyncFailedError(jobId, `the chain's final sync to ${chain.targetCopyId} failed; the mirror stays at generation ${metadata.generation}`);
    }
    await entry.copy.updateMetadata({ generation: nextGeneration });
    await runtime.addExport({ writable: true, name: exportNameOf(entry), writethrough: true });
    this.options.copies.updateStatus(entry);
    entry.logger.info('chain cut over: the mirror exports the next generation', { generation: nextGeneration, target: chain.targetCopyId });
    return { copyId: entry.copyId, target: chain.targetCopyId, inSync: true, generation: nextGeneration, nbd: this.endpointOf(entry) };
  }

  // ─── planned promote-copy ───────────────────────────────────────────────────────────────

  /** `promote-copy` with `planned: true` (see the file comment). */
  promotePlanned(payload: PromoteCopyPayload): Promise<{ copyId: string; nbd: { address: string; port: number; exportName: string } }> {
    return this.options.copies.exclusive(payload.copyId, 'promote a copy (planned)', async () => {
      const entry = this.options.copies.require(payload.copyId, payload.volumeId);
      const { metadata } = entry.copy;
      if (payload.generation < metadata.generation) throw new StaleGenerationError(entry.copyId, payload.generation, metadata.generation);
      const served = requireServed(entry, 'promote a copy (planned)');
      const { mirror, replicationKey } = payload;
      if (!mirror || !replicationKey) throw new CopyRuntimeStateError('promote a copy (planned)', 'no mirror named', 'the mirror and the replication key');
      // `sync: none` is right only against a mirror that ended the chain at this generation (its
      // final sync done, the old generation's export gone): such a mirror exports `<volume>.g<generation>`.
      const expectedExport = `${payload.volumeId}.g${payload.generation}`;
      if (mirror.exportName !== expectedExport) {
        throw new CopyRuntimeStateError('promote a copy (planned)', `the mirror's export is ${mirror.exportName}`, `the mirror cut over to generation ${payload.generation} (${expectedExport})`);
      }
      const runtime = served.runtime;
      if (metadata.role === CopyRole.Mirror) {
        if (payload.generation === metadata.generation) {
          throw new CopyRuntimeStateError('promote a copy (planned)', `the copy is a mirror at generation ${metadata.generation}`, 'a newer generation');
        }
        // The replication session (B's chain node) ends with the export; then only clients may come.
        await runtime.removeExport();
        const keys = clientAccessList(payload.copyId, payload.clientKey, payload.clientKeys);
        await runtime.replaceClientKeys(keys);
        entry.serverKeys = keys;
        entry.appliedKeysFingerprint = keysFingerprint(keys);
        await entry.copy.updateMetadata({ role: CopyRole.Primary, generation: payload.generation });
        entry.logger.warn('planned promotion: this copy is the primary; its mirror starts before its clients', { generation: payload.generation });
      } else if (payload.generation > metadata.generation) {
        await entry.copy.updateMetadata({ generation: payload.generation });
      }
      const target = mirrorTargetOf(mirror, replicationKey);
      const fingerprint = targetFingerprint(target);
      if (entry.replica.targetFingerprint !== fingerprint || runtime.replicaStatus !== ReplicaStatus.InSync) {
        if (runtime.replicaStatus === ReplicaStatus.InSync || runtime.replicaStatus === ReplicaStatus.Syncing) await runtime.stopMirror();
        entry.replica = { targetFingerprint: fingerprint };
        // sync none: C == B now (the chain's final sync, A quiesced); no client has written C.
        await retryWithBackoff(MIRROR_START_BACKOFF, () => runtime.startMirror(target, { sync: 'none' }), {
          isRetryable: (error) => error instanceof MirrorTargetUnreachableError && entry.served === served,
          onRetry: (error, attempt, delayMs) => entry.logger.warn('mirror not reachable yet; retrying', { attempt, delayMs, error: (error as Error).message }),
        });
      }
      entry.exportBlockedUntil = undefined;
      if (!runtime.hasExport) await runtime.addExport({ writable: true, name: exportNameOf(entry) });
      this.options.copies.updateStatus(entry);
      return { copyId: entry.copyId, nbd: this.endpointOf(entry) };
    });
  }

  // ─── internals ──────────────────────────────────────────────────────────────────────────

  /** B must be a served mirror at exactly the command's generation: a mirror left behind by a fault never fills a copy. */
  private servedMirror(entry: CopyEntry, generation: number, operation: string): ServedCopy {
    const { metadata } = entry.copy;
    if (generation < metadata.generation) throw new StaleGenerationError(entry.copyId, generation, metadata.generation);
    if (metadata.role !== CopyRole.Mirror) throw new CopyRoleMismatchError(entry.copyId, operation, metadata.role, CopyRole.Mirror);
    if (generation > metadata.generation) {
      throw new CopyRuntimeStateError(operation, `the mirror is at generation ${metadata.generation}, the command at ${generation} (the mirror may be out of date)`, 'the same generation');
    }
    const served = entry.served;
    if (entry.phase !== CopyPhase.Served || !served || !served.runtime.hasExport) {
      throw new CopyNotServingError(entry.copyId, operation, notServingReason(entry, 'not exported'));
    }
    return served;
  }

  /** Ends B's job to C (a final sync when in sync) and forgets the chain; true when C got B's state without error. */
  private async dropChain(entry: CopyEntry, reason: string): Promise<boolean> {
    const chain = this.chains.get(entry.copyId);
    if (chain) this.stopProbe(chain);
    const runtime = entry.served?.runtime;
    let inSync = false;
    if (runtime && chain && chain.served === entry.served) {
      const wasInSync = chain.brokenReason === undefined && runtime.replicaStatus === ReplicaStatus.InSync;
      await runtime.stopMirror();
      // A final sync that failed turns the replica stale (and breaks the chain) before the job is gone.
      inSync = wasInSync && !isBroken(chain) && (runtime.replicaStatus as ReplicaStatus) === ReplicaStatus.Detached;
    }
    this.chains.delete(entry.copyId);
    entry.replicatesOnwardTo = undefined;
    entry.logger.info('chain dropped', { reason, inSync });
    return inSync;
  }

  /** A cutover that did not happen: B is the old primary's mirror again, under the old generation's export. */
  private async restoreExport(entry: CopyEntry, exportName: string): Promise<void> {
    const runtime = entry.served?.runtime;
    if (runtime && !runtime.hasExport) {
      await runtime.addExport({ writable: true, name: exportName, writethrough: true }).catch((error: Error) =>
        entry.logger.error('could not export the mirror again after a failed cutover', { error: error.message }),
      );
    }
    this.options.copies.updateStatus(entry);
  }

  private breakChain(entry: CopyEntry, chain: Chain, reason: string): void {
    if (chain.brokenReason !== undefined) return;
    chain.brokenReason = reason;
    this.stopProbe(chain);
    entry.logger.error('chain broken: the new copy is not in sync any more (the primary and its mirror are unaffected)', { reason, target: chain.targetCopyId });
  }

  private async probeLoop(entry: CopyEntry, chain: Chain): Promise<void> {
    const { served, probe } = chain;
    let failures = 0;
    while (!probe.signal.aborted && entry.served === served && this.chains.get(entry.copyId) === chain) {
      await sleep(this.probeIntervalMs, probe.signal);
      if (probe.signal.aborted || entry.served !== served) return;
      try {
        await served.runtime.probeLastTarget(this.probeTimeoutMs);
        failures = 0;
      } catch (error) {
        failures += 1;
        entry.logger.warn('chain target does not answer', { failures, of: this.probeFailures, error: (error as Error).message });
        if (failures >= this.probeFailures) {
          this.breakChain(entry, chain, `the new copy does not answer (${failures} probes in a row): ${(error as Error).message}`);
          // A black-holed C would hold B's (and so A's) writes inside TCP: cut it, B's job fails at once.
          await served.runtime.cutPeerConnections().catch((cutError: Error) => entry.logger.warn('could not cut the chain connections', { error: cutError.message }));
          return;
        }
      }
    }
  }

  private stopProbe(chain: Chain): void {
    chain.probe.abort();
  }

  private forget(copyId: string): void {
    const chain = this.chains.get(copyId);
    if (chain) this.stopProbe(chain);
    this.chains.delete(copyId);
  }

  private endpointOf(entry: CopyEntry): { address: string; port: number; exportName: string } {
    const nbd = this.options.copies.describe(entry.copyId)?.nbd;
    if (!nbd) throw new Error(`copy ${entry.copyId} has no NBD port yet`);
    return nbd;
  }
}

function isBroken(chain: Chain): boolean {
  return chain.brokenReason !== undefined;
}
