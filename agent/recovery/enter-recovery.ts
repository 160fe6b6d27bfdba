/**
 * The agent's recovery state (docs/recovery.md): every copy stays held (no client I/O: no daemon
 * serves it), each is scanned, and the report goes to the control plane until it is answered.
 * Resolves with the copies the control plane keeps held (read-only or quarantined); copies it
 * deletes get their delete-copy commands once the command loop runs. Undefined when the agent
 * stopped first.
 */
import type { SignedHttp } from '../../client/signed-http';
import type { RecoveryTrigger } from '../../core/recovery/recovery-report';
import type { CopyController } from '../controllers/copy-controller';
import { AgentLogger } from '../util/logger';
import { scanCopies, type FoundCopy } from './recovery-scan';
import { RecoveryNotAcceptedError, sendRecoveryReport } from './recovery-reporter';

export interface RecoveryContext {
  readonly copies: Pick<CopyController, 'copyIds' | 'describe'>;
  readonly http: Pick<SignedHttp, 'request'>;
  readonly hostId: string;
  readonly logger: AgentLogger;
  readonly signal: AbortSignal;
}

export async function enterRecovery(context: RecoveryContext, trigger: RecoveryTrigger): Promise<string[] | undefined> {
  const found: FoundCopy[] = [];
  for (const copyId of context.copies.copyIds) {
    const row = context.copies.describe(copyId);
    if (row) found.push({ volumeId: row.volumeId, copyId: row.copyId, dataPath: row.dataPath });
  }
  const started = Date.now();
  context.logger.warn('recovery: the last stop was not clean; every copy is held and scanned', { trigger, copies: found.length });
  const scanned = await scanCopies(found);
  context.logger.info('recovery scan done', { copies: scanned.length, ms: Date.now() - started, unreadable: scanned.filter((c) => !c.health.readable).length });
  try {
    const outcome = await sendRecoveryReport({ http: context.http, hostId: context.hostId, logger: context.logger, signal: context.signal }, trigger, scanned);
    return outcome.verdicts.filter((verdict) => verdict.action !== 'delete').map((verdict) => verdict.copyId);
  } catch (error) {
    if (context.signal.aborted) return undefined;
    if (error instanceof RecoveryNotAcceptedError) {
      // A host the control plane does not know has no recovery to report: it registers with its copies held, as before.
      context.logger.error('recovery report refused; registering with every copy held instead', { error: error.message });
      return [];
    }
    throw error;
  }
}
