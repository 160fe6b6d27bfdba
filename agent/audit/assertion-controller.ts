/**
 * The assertion controller (docs/audit.md, "Asserters"): after real work (a command that created,
 * promoted or re-limited a copy succeeded) and on a schedule, it fetches the clauses for its
 * component types, observes the host and each served copy, judges them (core/audit) and posts one
 * batch to `POST /assertions`. It only reads (QMP queries, stat, mountinfo) and runs one pass at a
 * time beside the copies' queues, never inside them, so the data path never waits for it.
 */
import { assertComponents, type ObservedComponent } from '../../core/audit/assert-components';
import type { Assertion } from '../../core/audit/assertion';
import { MAX_ASSERTIONS_PER_BATCH } from '../../core/audit/assertion';
import type { AuditHostApi } from '../../client/audit-api';
import type { CopyController } from '../controllers/copy-controller';
import { ControlPlaneRequestError } from '../errors';
import { type AgentLogger, silentLogger } from '../util/logger';
import { observeCopy } from './copy-observer';
import type { HostObserver } from './host-observer';
import type { SpecSource } from './spec-source';

export interface AssertionControllerOptions {
  hostId: string;
  api: Pick<AuditHostApi, 'postAssertions'>;
  specs: SpecSource;
  copies: Pick<CopyController, 'copyIds' | 'servedCopy'>;
  host: HostObserver;
  /** @default 30000 - a pass at least this often (well inside the spec's shortest deadline) */
  intervalMs?: number;
  /** @default 2000 - a pass after real work waits this long, so a burst of commands costs one pass */
  settleMs?: number;
  logger?: AgentLogger;
}

export interface PassResult {
  readonly specVersion: number | undefined;
  readonly assertions: readonly Assertion[];
  readonly durationMs: number;
}

export class AssertionController {
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private running: Promise<PassResult> | undefined;
  private stopped = false;
  private readonly logger: AgentLogger;

  constructor(private readonly options: AssertionControllerOptions) {
    this.logger = (options.logger ?? silentLogger).child({ controller: 'assertions' });
  }

  start(): void {
    this.stopped = false;
    const loop = () => {
      this.timer = setTimeout(() => void this.passQuietly().finally(() => !this.stopped && loop()), this.options.intervalMs ?? 30_000);
    };
    void this.passQuietly();
    loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.soon);
  }

  /** Real work happened: assert once it settled. */
  assertSoon(): void {
    if (this.stopped || this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.passQuietly();
    }, this.options.settleMs ?? 2_000);
  }

  /** One pass: spec, observations, judgement, batches. Concurrent callers share the pass in flight. */
  pass(): Promise<PassResult> {
    this.running ??= this.runPass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async passQuietly(): Promise<void> {
    try {
      const result = await this.pass();
      this.logger.debug('assertion pass', { specVersion: result.specVersion, assertions: result.assertions.length, durationMs: result.durationMs });
    } catch (error) {
      // The next pass retries; meanwhile the control plane sees this host go SILENT, which is the finding.
      this.logger.warn('assertion pass failed', { error: (error as Error).message });
    }
  }

  private async runPass(): Promise<PassResult> {
    const started = Date.now();
    const spec = await this.options.specs.current();
    if (!spec) return { specVersion: undefined, assertions: [], durationMs: Date.now() - started };
    const observed = await this.observeAll();
    const assertions = assertComponents(spec, observed, new Date().toISOString());
    for (let start = 0; start < assertions.length; start += MAX_ASSERTIONS_PER_BATCH) {
      const response = await this.options.api.postAssertions(assertions.slice(start, start + MAX_ASSERTIONS_PER_BATCH));
      if (response.status !== 202) throw new ControlPlaneRequestError('POST /assertions', response.status, response.text.slice(0, 300));
    }
    return { specVersion: spec.version, assertions, durationMs: Date.now() - started };
  }

  private async observeAll(): Promise<ObservedComponent[]> {
    const { copies, hostId } = this.options;
    const observed: ObservedComponent[] = [await this.options.host.observe()];
    for (const copyId of copies.copyIds) {
      const served = copies.servedCopy(copyId);
      if (!served) continue;
      try {
        observed.push(await observeCopy(hostId, served));
      } catch (error) {
        // A copy whose daemon does not answer gets no assertion: it shows SILENT after its deadline.
        this.logger.warn('copy not observed', { copyId, error: (error as Error).message });
      }
    }
    return observed;
  }
}
