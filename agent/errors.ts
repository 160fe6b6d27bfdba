/**
 * Errors of the storage-host agent's data-plane library.
 *
 * One base class ({@link AgentError}); every subclass sets `name` and accepts `{ cause }`.
 * Messages say what is wrong, the value received and the value allowed. Internal details
 * (QEMU error text, stderr) travel in dedicated fields and in `cause`, so the command loop
 * can decide what a client may see.
 */

export interface AgentErrorOptions {
  cause?: unknown;
}

export class AgentError extends Error {
  constructor(message: string, options: AgentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

// ─── QMP ────────────────────────────────────────────────────────────────────────────────

/** Base class of every error raised by {@link QmpClient}. */
export class QmpError extends AgentError {}

/** QEMU answered a command with `{"error": {"class", "desc"}}`. */
export class QmpCommandError extends QmpError {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
    options: AgentErrorOptions = {},
  ) {
    super(`QMP command '${command}' failed: ${errorClass}: ${desc}`, options);
  }
}

/** No answer to a command (or no greeting) within the allowed time. */
export class QmpTimeoutError extends QmpError {
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
    options: AgentErrorOptions = {},
  ) {
    super(`QMP ${operation} got no answer within ${timeoutMs} ms`, options);
  }
}

/** The monitor connection closed (QEMU exited, or the client was closed). */
export class QmpConnectionClosedError extends QmpError {
  constructor(readonly socketPath: string, readonly pendingOperation: string, options: AgentErrorOptions = {}) {
    super(`QMP connection to ${socketPath} closed while waiting for ${pendingOperation}`, options);
  }
}

/** The connection could not be opened, or the peer does not speak QMP. */
export class QmpConnectError extends QmpError {
  constructor(readonly socketPath: string, reason: string, options: AgentErrorOptions = {}) {
    super(`cannot open QMP connection to ${socketPath}: ${reason}`, options);
  }
}

/** An awaited event did not arrive in time. */
export class QmpEventTimeoutError extends QmpError {
  constructor(readonly awaited: string, readonly timeoutMs: number, options: AgentErrorOptions = {}) {
    super(`QMP event ${awaited} did not arrive within ${timeoutMs} ms`, options);
  }
}

// ─── processes and commands ──────────────────────────────────────────────────────────────

/** An external command (qemu-img, ip, flock, nbdinfo…) failed or timed out. */
export class CommandFailedError extends AgentError {
  constructor(
    readonly file: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stderr: string,
    options: AgentErrorOptions = {},
  ) {
    super(
      `command '${file} ${args.join(' ')}' failed (exit code ${exitCode ?? '-'}, signal ${signal ?? '-'}): ${stderr.trim().slice(0, 500)}`,
      options,
    );
  }
}

// ─── qemu-storage-daemon ────────────────────────────────────────────────────────────────

export class StorageDaemonError extends AgentError {}

/** The daemon exited, or its monitor never answered, while starting. */
export class DaemonStartError extends StorageDaemonError {
  constructor(readonly daemonName: string, reason: string, readonly logTail: string, options: AgentErrorOptions = {}) {
    super(`qemu-storage-daemon '${daemonName}' did not start: ${reason}`, options);
  }
}

/** A daemon from an earlier agent run still runs on the same run directory. */
export class DaemonAlreadyRunningError extends StorageDaemonError {
  constructor(readonly daemonName: string, readonly pid: number) {
    super(`qemu-storage-daemon '${daemonName}' is already running as PID ${pid}; stop or adopt it before starting another`);
  }
}

/** An operation needs a running daemon. */
export class DaemonNotRunningError extends StorageDaemonError {
  constructor(readonly daemonName: string, readonly status: string) {
    super(`qemu-storage-daemon '${daemonName}' is not running (status '${status}', needed 'running')`);
  }
}

// ─── volume copies ──────────────────────────────────────────────────────────────────────

export class CopyError extends AgentError {}

/** A copy specification or request field is out of range. */
export class InvalidCopySpecError extends CopyError {
  constructor(readonly field: string, readonly received: unknown, readonly allowed: string) {
    super(`invalid ${field}: received ${JSON.stringify(received)}, allowed ${allowed}`);
  }
}

export class CopyNotFoundError extends CopyError {
  constructor(readonly copyId: string, readonly dataDir: string) {
    super(`volume copy '${copyId}' does not exist under ${dataDir}`);
  }
}

export class CopyAlreadyExistsError extends CopyError {
  constructor(readonly copyId: string, readonly dataDir: string) {
    super(`volume copy '${copyId}' already exists under ${dataDir}`);
  }
}

/** Another process (or another handle in this process) holds the copy's exclusive lock. */
export class CopyLockedError extends CopyError {
  constructor(readonly copyId: string, readonly holder: string) {
    super(`volume copy '${copyId}' is locked by another holder (${holder}); only one writer may open a copy`);
  }
}

/** The copy's metadata file is missing fields or unreadable. */
export class CopyMetadataCorruptError extends CopyError {
  constructor(readonly path: string, reason: string, options: AgentErrorOptions = {}) {
    super(`copy metadata ${path} is unusable: ${reason}`, options);
  }
}

/** The copy handle was released; it can no longer be used. */
export class CopyReleasedError extends CopyError {
  constructor(readonly copyId: string) {
    super(`volume copy '${copyId}' handle was released; open the copy again`);
  }
}

/** A QEMU node / object / export / job id breaks QEMU's naming rules. */
export class InvalidNodeNameError extends CopyError {
  constructor(readonly received: string, readonly reason: string) {
    super(`invalid QEMU node name ${JSON.stringify(received)}: ${reason}; allowed: 1-31 characters [A-Za-z0-9_.-], starting with a letter`);
  }
}

export class InvalidPskKeyError extends CopyError {
  constructor(readonly field: 'identity' | 'keyHex', readonly reason: string) {
    super(`invalid TLS-PSK ${field}: ${reason}`);
  }
}

/** A runtime operation was asked for in a state that does not allow it. */
export class CopyRuntimeStateError extends CopyError {
  constructor(readonly operation: string, readonly state: string, readonly allowed: string) {
    super(`cannot ${operation} while ${state}; allowed only when ${allowed}`);
  }
}

/** An illegal lifecycle transition was requested (a programming error). */
export class IllegalTransitionError extends AgentError {
  constructor(readonly lifecycle: string, readonly from: string, readonly to: string) {
    super(`illegal ${lifecycle} transition from '${from}' to '${to}'`);
  }
}

// ─── replication ────────────────────────────────────────────────────────────────────────

export class MirrorError extends CopyError {}

/** The peer's NBD export could not be reached (probe or blockdev-add failed). */
export class MirrorTargetUnreachableError extends MirrorError {
  constructor(readonly target: string, reason: string, options: AgentErrorOptions = {}) {
    super(`mirror target ${target} is unreachable: ${reason}`, options);
  }
}

export class MirrorTargetSizeMismatchError extends MirrorError {
  constructor(readonly target: string, readonly targetSizeBytes: number, readonly sourceSizeBytes: number) {
    super(`mirror target ${target} has ${targetSizeBytes} bytes; the source copy has ${sourceSizeBytes} bytes and they must be equal`);
  }
}

/** The mirror job failed before reaching READY. */
export class MirrorSyncFailedError extends MirrorError {
  constructor(readonly jobId: string, readonly reason: string) {
    super(`mirror job '${jobId}' failed before the replica was in sync: ${reason}`);
  }
}

// ─── the agent process: flags, devices, commands ─────────────────────────────────────────

/** A command-line flag is missing or malformed. */
export class AgentOptionsError extends AgentError {
  constructor(readonly flag: string, reason: string) {
    super(`invalid ${flag}: ${reason}`);
  }
}

/** A data device could not be inspected, formatted or mounted. */
export class DevicePreparationError extends AgentError {
  constructor(readonly device: string, reason: string, options: AgentErrorOptions = {}) {
    super(`cannot prepare device ${device}: ${reason}`, options);
  }
}

/** A command's payload does not match its schema; nothing was changed. */
export class InvalidPayloadError extends AgentError {
  constructor(readonly commandType: string, readonly reason: string) {
    super(reason);
  }
}

/** An admin export cannot be opened: no key was delivered (the access was replaced, expired or decided), or it has expired. */
export class RecoveryAccessRefusedError extends AgentError {
  constructor(readonly copyId: string, readonly reason: string) {
    super(`no admin export of copy ${copyId}: ${reason}`);
  }
}

/** The command type is not one this agent knows. */
export class UnknownCommandError extends AgentError {
  constructor(readonly commandType: string, allowed: readonly string[]) {
    super(`unknown command type ${JSON.stringify(commandType)}; allowed: ${allowed.join(', ')}`);
  }
}

/** No healthy disk of the asked type has room for the copy. */
export class InsufficientSpaceError extends AgentError {
  constructor(readonly diskType: string, readonly sizeBytes: number, detail: string) {
    super(`no healthy ${diskType} disk has room for ${sizeBytes} bytes: ${detail}`);
  }
}

/** A command carries a generation older than the copy's own. */
export class StaleGenerationError extends AgentError {
  constructor(readonly copyId: string, readonly received: number, readonly current: number) {
    super(`generation ${received} is older than copy ${copyId}'s generation ${current}; allowed: >= ${current}`);
  }
}

/** A command that would serve a held copy was issued before this agent registered (before its host's restart). */
export class CommandExpiredError extends AgentError {
  constructor(readonly copyId: string, readonly issuedAt: string, readonly registeredAt: string) {
    super(`the command for held copy ${copyId} was issued at ${issuedAt}, before this host registered at ${registeredAt}; a held copy is served only by a command issued since`);
  }
}

/** A command names an existing copy with a different volume, size or role than the copy has. */
export class CopyConflictError extends AgentError {
  constructor(readonly copyId: string, reason: string) {
    super(`copy ${copyId} exists with a different specification: ${reason}`);
  }
}

/** The copy is not served (held after a restart, or its daemon died), so it cannot do this. */
export class CopyNotServingError extends AgentError {
  constructor(readonly copyId: string, readonly operation: string, readonly state: string) {
    super(`cannot ${operation} on copy ${copyId} while it is ${state}; allowed only while it is served (resume-copy serves it)`);
  }
}

/** The command needs a copy of the other role. */
export class CopyRoleMismatchError extends AgentError {
  constructor(readonly copyId: string, readonly operation: string, readonly role: string, readonly needed: string) {
    super(`cannot ${operation} on copy ${copyId}: it is a ${role}; allowed only on a ${needed}`);
  }
}

/** Every port of the NBD port range is taken. */
export class NoFreePortError extends AgentError {
  constructor(readonly first: number, readonly last: number) {
    super(`no free NBD port in ${first}-${last}`);
  }
}

/** The agent is shutting down and takes no more work. */
export class AgentStoppingError extends AgentError {
  constructor(operation: string) {
    super(`cannot ${operation}: the agent is stopping`);
  }
}

/** A call to the control plane's host API failed (HTTP status, or no answer at all). */
export class ControlPlaneRequestError extends AgentError {
  constructor(
    readonly operation: string,
    /** The HTTP status; undefined when no answer arrived (network error, timeout). */
    readonly status: number | undefined,
    reason: string,
    options: AgentErrorOptions = {},
  ) {
    super(`${operation} failed${status === undefined ? '' : ` with HTTP ${status}`}: ${reason}`, options);
  }

  /** Worth trying again: no answer, a server error, throttling or a timeout. */
  get retryable(): boolean {
    return this.status === undefined || this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

/** A resize-copy asked for less than the copy's size: copies only grow (QEMU would truncate, qemu-7.2 §4). */
export class ShrinkRefusedError extends CopyError {
  constructor(readonly copyId: string, readonly requestedBytes: number, readonly currentBytes: number) {
    super(`cannot shrink copy ${copyId} from ${currentBytes} to ${requestedBytes} bytes; allowed: a size >= ${currentBytes} bytes (grow only)`);
  }
}

// ─── diagnostics ────────────────────────────────────────────────────────────────────────

/** A `collect-report` could not ask for its upload URL or upload the report. */
export class ReportUploadFailedError extends AgentError {
  constructor(readonly reportId: string | undefined, reason: string, options: AgentErrorOptions = {}) {
    super(`report ${reportId ?? '(no id yet)'} not uploaded: ${reason}`, options);
  }
}
