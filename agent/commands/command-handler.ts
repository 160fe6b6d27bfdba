/**
 * Turns one command from the control plane into one controller call and its outcome.
 *
 * - The payload is parsed with the command's zod schema first; a malformed payload is answered
 *   `InvalidPayload` (with every reason) and changes nothing.
 * - The controller is called synchronously from `handle`, so commands for one copy enter the
 *   copy's queue in the order they were received.
 * - A command id seen before in this process gets the same outcome again (the same promise
 *   while it runs) and no second effect: the control plane delivers at least once.
 * - Every failure becomes `{code, message}` ({@link errorCodeOf}); `handle` never rejects.
 */
import { z } from 'zod';
import { ChainController } from '../controllers/chain-controller';
import { CopyController } from '../controllers/copy-controller';
import { MirrorController } from '../controllers/mirror-controller';
import type { ReportController } from '../controllers/report-controller';
import type { SnapshotController } from '../snapshots/snapshot-controller';
import { ChunkTransferError, CorruptChunkError, SnapshotRestoreError } from '../snapshots/snapshot-errors';
import {
  AgentError,
  AgentStoppingError,
  CommandExpiredError,
  CommandFailedError,
  CopyAlreadyExistsError,
  CopyConflictError,
  CopyLockedError,
  CopyNotFoundError,
  CopyNotServingError,
  CopyRoleMismatchError,
  CopyRuntimeStateError,
  InsufficientSpaceError,
  InvalidCopySpecError,
  InvalidPayloadError,
  InvalidPskKeyError,
  MirrorSyncFailedError,
  MirrorTargetSizeMismatchError,
  MirrorTargetUnreachableError,
  NoFreePortError,
  QmpError,
  RecoveryAccessRefusedError,
  ShrinkRefusedError,
  ReportUploadFailedError,
  StaleGenerationError,
  StorageDaemonError,
  UnknownCommandError,
} from '../errors';
import { AgentLogger, silentLogger } from '../util/logger';
import { COMMAND_PAYLOAD_SCHEMAS, COMMAND_TYPES, CommandType, describeZodError } from './command-schemas';

export interface HostCommand {
  commandId: string;
  type: string;
  payload: unknown;
  createdAt?: string;
}

export type CommandOutcome =
  | { status: 'succeeded'; result: Record<string, unknown> }
  | { status: 'failed'; error: { code: string; message: string } };

/** Outcomes remembered for repeated deliveries; the oldest finished ones are forgotten first. */
export const REMEMBERED_OUTCOMES = 1_000;
/** The control plane accepts error messages up to this length. */
const MAX_MESSAGE_LENGTH = 4_096;

export interface CommandHandlerOptions {
  copies: CopyController;
  mirrors: MirrorController;
  /** @default none - `collect-report` then fails with `AgentError` (in-process tests without diagnostics) */
  reports?: ReportController;
  chains: ChainController;
  /** @default none - `snapshot-copy` then fails with `AgentError` */
  snapshots?: SnapshotController;
  logger?: AgentLogger;
  /** @default none - called after each command that succeeded (the assertion controller asserts after real work) */
  onSucceeded?: (command: HostCommand) => void;
}

/** Commands that serve a copy: after a restart none issued before the registration may serve a held copy. */
const SERVING_COMMANDS: readonly CommandType[] = ['create-copy', 'resume-copy', 'promote-copy', 'start-replication'];

export class CommandHandler {
  private readonly outcomes = new Map<string, Promise<CommandOutcome>>();
  private readonly logger: AgentLogger;
  /** The control plane's time of this agent's registration (its answer); undefined before. */
  private registeredAt: string | undefined;

  constructor(private readonly options: CommandHandlerOptions) {
    this.logger = (options.logger ?? silentLogger).child({ controller: 'commands' });
  }

  /**
   * From now on a command issued before `at` (the control plane's clock, from the registration
   * answer) never serves a copy this agent holds: it was meant for the host before its restart
   * (invariant 8, docs/replication-safety.md).
   */
  servingCommandsIssuedFrom(at: string): void {
    this.registeredAt = at;
  }

  /** True when this command id was already taken in this process. */
  seen(commandId: string): boolean {
    return this.outcomes.has(commandId);
  }

  handle(command: HostCommand): Promise<CommandOutcome> {
    const remembered = this.outcomes.get(command.commandId);
    if (remembered) {
      this.logger.info('command delivered again; answering with its outcome', { commandId: command.commandId, type: command.type });
      return remembered;
    }
    const outcome = this.run(command);
    this.outcomes.set(command.commandId, outcome);
    this.forgetOldest();
    return outcome;
  }

  private run(command: HostCommand): Promise<CommandOutcome> {
    const payload = command.payload as { volumeId?: unknown; copyId?: unknown } | undefined;
    const logger = this.logger.child({
      commandId: command.commandId,
      type: command.type,
      ...(typeof payload?.volumeId === 'string' ? { volumeId: payload.volumeId } : {}),
      ...(typeof payload?.copyId === 'string' ? { copyId: payload.copyId } : {}),
    });
    const started = Date.now();
    logger.info('command received');
    let work: Promise<object>;
    try {
      work = this.dispatch(command);
    } catch (error) {
      work = Promise.reject(error);
    }
    return work.then(
      (result): CommandOutcome => {
        logger.info('command succeeded', { durationMs: Date.now() - started, result });
        this.options.onSucceeded?.(command);
        return { status: 'succeeded', result: result as Record<string, unknown> };
      },
      (error: unknown): CommandOutcome => {
        const failure = toFailure(error);
        const log = failure.code === 'InternalError' || failure.code === 'QmpError' ? logger.error.bind(logger) : logger.warn.bind(logger);
        log('command failed', { durationMs: Date.now() - started, code: failure.code, error: (error as Error)?.message, cause: describeCause(error) });
        return { status: 'failed', error: failure };
      },
    );
  }

  /** Parses the payload and calls the controller, synchronously up to the controller's queue. */
  private dispatch(command: HostCommand): Promise<object> {
    if (!isCommandType(command.type)) throw new UnknownCommandError(command.type, COMMAND_TYPES);
    const { copies, mirrors, chains } = this.options;
    this.refuseExpired(command, command.type);
    switch (command.type) {
      case 'create-copy':
        return copies.createCopy(parse(command.type, command.payload));
      case 'start-replication':
        return mirrors.startReplication(parse(command.type, command.payload));
      case 'promote-copy': {
        const payload = parse(command.type, command.payload);
        return payload.planned === true ? chains.promotePlanned(payload) : copies.promoteCopy(payload);
      }
      case 'resume-copy':
        return copies.resumeCopy(parse(command.type, command.payload));
      case 'delete-copy':
        return copies.deleteCopy(parse(command.type, command.payload));
      case 'set-iops':
        return copies.setIops(parse(command.type, command.payload));
      case 'set-client-keys':
        return copies.setClientKeys(parse(command.type, command.payload));
      case 'quiesce-replication':
        return copies.quiesceReplication(parse(command.type, command.payload));
      case 'resize-copy':
        return copies.resizeCopy(parse(command.type, command.payload));
      case 'collect-report': {
        const payload = parse(command.type, command.payload);
        if (!this.options.reports) throw new AgentError('this agent collects no reports (started without diagnostics)');
        return this.options.reports.collectReport(payload);
      }
      case 'extend-chain':
        return chains.extendChain(parse(command.type, command.payload));
      case 'end-chain':
        return chains.endChain(parse(command.type, command.payload));
      case 'open-recovery-access':
        return copies.openRecoveryAccess(parse(command.type, command.payload));
      case 'snapshot-copy': {
        const payload = parse(command.type, command.payload);
        if (!this.options.snapshots) throw new AgentError('this agent takes no snapshots (started without a control-plane API)');
        return this.options.snapshots.snapshotCopy(payload);
      }
      default: {
        const unknown: never = command.type;
        throw new UnknownCommandError(String(unknown), COMMAND_TYPES);
      }
    }
  }

  private refuseExpired(command: HostCommand, type: CommandType): void {
    const copyId = (command.payload as { copyId?: unknown } | undefined)?.copyId;
    if (!SERVING_COMMANDS.includes(type) || typeof copyId !== 'string' || !this.options.copies.isHeld(copyId)) return;
    if (this.registeredAt !== undefined && command.createdAt !== undefined && Date.parse(command.createdAt) < Date.parse(this.registeredAt)) {
      throw new CommandExpiredError(copyId, command.createdAt, this.registeredAt);
    }
  }

  private forgetOldest(): void {
    if (this.outcomes.size <= REMEMBERED_OUTCOMES) return;
    for (const commandId of this.outcomes.keys()) {
      if (this.outcomes.size <= REMEMBERED_OUTCOMES) return;
      this.outcomes.delete(commandId);
    }
  }
}

function isCommandType(type: string): type is CommandType {
  return (COMMAND_TYPES as string[]).includes(type);
}

function parse<T extends CommandType>(type: T, payload: unknown): z.infer<(typeof COMMAND_PAYLOAD_SCHEMAS)[T]> {
  const parsed = COMMAND_PAYLOAD_SCHEMAS[type].safeParse(payload);
  if (!parsed.success) throw new InvalidPayloadError(type, describeZodError(parsed.error));
  return parsed.data as z.infer<(typeof COMMAND_PAYLOAD_SCHEMAS)[T]>;
}

/** The error `code` the control plane gets for each kind of failure. */
export function errorCodeOf(error: unknown): string {
  if (error instanceof InvalidPayloadError || error instanceof InvalidCopySpecError || error instanceof InvalidPskKeyError) return 'InvalidPayload';
  if (error instanceof UnknownCommandError) return 'UnknownCommand';
  if (error instanceof InsufficientSpaceError) return 'InsufficientSpace';
  if (error instanceof StaleGenerationError) return 'StaleGeneration';
  if (error instanceof ShrinkRefusedError) return 'ShrinkRefused';
  if (error instanceof CommandExpiredError) return 'CommandExpired';
  if (error instanceof CopyNotFoundError) return 'CopyNotFound';
  if (error instanceof CopyConflictError || error instanceof CopyAlreadyExistsError) return 'CopyConflict';
  if (error instanceof CopyNotServingError) return 'CopyNotServing';
  if (error instanceof CopyRoleMismatchError) return 'CopyRoleMismatch';
  if (error instanceof CopyLockedError) return 'CopyLocked';
  if (error instanceof CopyRuntimeStateError) return 'InvalidCopyState';
  if (error instanceof MirrorTargetUnreachableError) return 'MirrorTargetUnreachable';
  if (error instanceof MirrorTargetSizeMismatchError) return 'MirrorTargetSizeMismatch';
  if (error instanceof MirrorSyncFailedError) return 'MirrorSyncFailed';
  if (error instanceof QmpError) return 'QmpError';
  if (error instanceof StorageDaemonError) return 'DaemonFailed';
  if (error instanceof NoFreePortError) return 'NoFreePort';
  if (error instanceof AgentStoppingError) return 'AgentStopping';
  if (error instanceof RecoveryAccessRefusedError) return 'RecoveryAccessRefused';
  if (error instanceof ReportUploadFailedError) return 'ReportUploadFailed';
  if (error instanceof CommandFailedError) return 'HostCommandFailed';
  if (error instanceof CorruptChunkError) return 'CorruptChunk';
  if (error instanceof ChunkTransferError) return 'ChunkTransferFailed';
  if (error instanceof SnapshotRestoreError) return 'SnapshotRestoreFailed';
  if (error instanceof AgentError) return 'AgentError';
  return 'InternalError';
}

function toFailure(error: unknown): { code: string; message: string } {
  const code = errorCodeOf(error);
  // An error the agent did not type may carry anything: it stays in the agent's log.
  const message = code === 'InternalError' ? 'internal error in the agent (see its log)' : String((error as Error)?.message ?? error);
  return { code, message: message.slice(0, MAX_MESSAGE_LENGTH) };
}

function describeCause(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown })?.cause;
  return cause instanceof Error ? cause.message : undefined;
}
