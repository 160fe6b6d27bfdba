/**
 * A QMP (QEMU Machine Protocol) client over one persistent unix-socket connection.
 *
 * - `QmpClient.connect(path)` reads the greeting and negotiates `qmp_capabilities`.
 * - `execute(command, args, { timeoutMs })`: every call has a timeout ({@link QmpTimeoutError});
 *   QEMU errors become {@link QmpCommandError} (`errorClass`, `desc`). Commands carry an `id`,
 *   so a late answer to a timed-out command is recognised and dropped.
 * - Events: every QMP event is emitted as `'event'` and under its own name
 *   (`'BLOCK_JOB_READY'`, …), after being numbered (`seq`) and kept in a bounded history.
 * - `waitForEvent(predicate, timeoutMs, { afterSeq })` cannot miss an event: it first scans
 *   the history for events newer than `afterSeq`, then waits. Take `lastEventSeq` *before*
 *   sending the command that causes the event, or use `executeAndWaitForEvent`, which does.
 * - When the connection closes (QEMU exited), every pending command and waiter is rejected
 *   with {@link QmpConnectionClosedError} and `'close'` is emitted once.
 *
 * QMP serves one client per monitor (qemu-7.2 §9.5): keep one `QmpClient` per daemon.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import {
  QmpCommandError,
  QmpConnectError,
  QmpConnectionClosedError,
  QmpEventTimeoutError,
  QmpTimeoutError,
} from '../errors';
import { AgentLogger, silentLogger } from '../util/logger';

export interface QmpEvent {
  /** Position in this client's event stream; strictly increasing from 1. */
  readonly seq: number;
  readonly event: string;
  readonly data: Record<string, unknown>;
  readonly timestamp: { seconds: number; microseconds: number };
}

export type QmpEventPredicate = (event: QmpEvent) => boolean;

export interface QmpClientOptions {
  /** @default 5000 - time allowed to connect, receive the greeting and negotiate capabilities. */
  connectTimeoutMs?: number;
  /** @default 10000 - timeout of `execute` when the call passes none. */
  defaultCommandTimeoutMs?: number;
  /** @default 1000 - events kept for `waitForEvent({ afterSeq })` look-back. */
  eventHistorySize?: number;
  /** @default silentLogger */
  logger?: AgentLogger;
}

export interface ExecuteOptions {
  /** @default the client's `defaultCommandTimeoutMs` */
  timeoutMs?: number;
}

export interface WaitForEventOptions {
  /**
   * Accept events with a `seq` greater than this one, including ones already received.
   * @default the current `lastEventSeq` - only events that arrive after the call.
   */
  afterSeq?: number;
  /** A description for the timeout message, e.g. `BLOCK_JOB_READY(mirror-x)`. */
  description?: string;
}

interface PendingCommand {
  command: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface EventWaiter {
  predicate: QmpEventPredicate;
  description: string;
  resolve: (event: QmpEvent) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface QmpMessage {
  QMP?: unknown;
  return?: unknown;
  error?: { class?: string; desc?: string };
  event?: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
  id?: unknown;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
const DEFAULT_EVENT_HISTORY_SIZE = 1_000;

export class QmpClient extends EventEmitter {
  private readonly pending = new Map<string, PendingCommand>();
  private readonly waiters = new Set<EventWaiter>();
  private readonly history: QmpEvent[] = [];
  private readonly historySize: number;
  private readonly defaultTimeoutMs: number;
  private readonly logger: AgentLogger;
  private buffer = '';
  private nextId = 1;
  private seq = 0;
  private isClosed = false;
  private greetingHandler: ((message: QmpMessage) => void) | undefined;

  /** Connects, reads the greeting and enters command mode. */
  static async connect(socketPath: string, options: QmpClientOptions = {}): Promise<QmpClient> {
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const socket = await openSocket(socketPath, connectTimeoutMs);
    const client = new QmpClient(socket, socketPath, options);
    try {
      await client.awaitGreeting(connectTimeoutMs);
      await client.execute('qmp_capabilities', {}, { timeoutMs: connectTimeoutMs });
    } catch (error) {
      client.close();
      throw error;
    }
    return client;
  }

  private constructor(
    private readonly socket: net.Socket,
    readonly socketPath: string,
    options: QmpClientOptions,
  ) {
    super();
    this.historySize = options.eventHistorySize ?? DEFAULT_EVENT_HISTORY_SIZE;
    this.defaultTimeoutMs = options.defaultCommandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.logger = (options.logger ?? silentLogger).child({ qmpSocket: socketPath });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (error) => this.logger.debug('QMP socket error (the close handler rejects pending calls)', { error: error.message }));
    socket.on('close', () => this.onClose());
  }

  /** Sequence number of the newest event received so far (0 before the first). */
  get lastEventSeq(): number {
    return this.seq;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Sends one command and resolves with its `return` value. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, options: ExecuteOptions = {}): Promise<T> {
    if (this.isClosed) return Promise.reject(new QmpConnectionClosedError(this.socketPath, `'${command}'`));
    const id = `bp-${this.nextId++}`;
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new QmpTimeoutError(`command '${command}'`, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (value: unknown) => void, reject, timer });
      const message: Record<string, unknown> = { execute: command, id };
      if (args !== undefined && Object.keys(args).length > 0) message.arguments = args;
      this.logger.debug('QMP execute', { command, id });
      this.socket.write(JSON.stringify(message) + '\n');
    });
  }

  /**
   * Resolves with the first event matching `predicate` whose `seq` is above `afterSeq`,
   * looking into the history first. Rejects with {@link QmpEventTimeoutError} after `timeoutMs`.
   */
  waitForEvent(predicate: QmpEventPredicate, timeoutMs: number, options: WaitForEventOptions = {}): Promise<QmpEvent> {
    const afterSeq = options.afterSeq ?? this.seq;
    const description = options.description ?? 'matching the predicate';
    const seen = this.history.find((event) => event.seq > afterSeq && predicate(event));
    if (seen) return Promise.resolve(seen);
    if (this.isClosed) return Promise.reject(new QmpConnectionClosedError(this.socketPath, `event ${description}`));
    return new Promise<QmpEvent>((resolve, reject) => {
      const waiter: EventWaiter = {
        predicate,
        description,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new QmpEventTimeoutError(description, timeoutMs));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /**
   * Sends a command and waits for the event it causes; the event may arrive before the
   * command's answer and is still seen.
   */
  async executeAndWaitForEvent<T = unknown>(
    command: string,
    args: Record<string, unknown> | undefined,
    predicate: QmpEventPredicate,
    options: ExecuteOptions & { eventTimeoutMs: number; description?: string },
  ): Promise<{ result: T; event: QmpEvent }> {
    const afterSeq = this.seq;
    const result = await this.execute<T>(command, args, options);
    const event = await this.waitForEvent(predicate, options.eventTimeoutMs, {
      afterSeq,
      description: options.description,
    });
    return { result, event };
  }

  /** Events newer than `afterSeq` still in the bounded history, oldest first. */
  eventsSince(afterSeq: number): QmpEvent[] {
    return this.history.filter((event) => event.seq > afterSeq);
  }

  /** Closes the connection; pending calls are rejected. Idempotent. */
  close(): void {
    this.socket.destroy();
    this.onClose();
  }

  private awaitGreeting(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.greetingHandler = undefined;
        reject(new QmpTimeoutError('greeting', timeoutMs));
      }, timeoutMs);
      this.greetingHandler = (message) => {
        clearTimeout(timer);
        this.greetingHandler = undefined;
        if (message.QMP === undefined) {
          reject(new QmpConnectError(this.socketPath, `expected a QMP greeting, got ${JSON.stringify(message).slice(0, 200)}`));
          return;
        }
        resolve();
      };
      this.once('close', () => {
        if (!this.greetingHandler) return;
        clearTimeout(timer);
        this.greetingHandler = undefined;
        reject(new QmpConnectionClosedError(this.socketPath, 'the greeting'));
      });
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline = this.buffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line.length > 0) this.onLine(line);
      newline = this.buffer.indexOf('\n');
    }
  }

  private onLine(line: string): void {
    let message: QmpMessage;
    try {
      message = JSON.parse(line) as QmpMessage;
    } catch (error) {
      // Deliberately dropped: QEMU only sends JSON; a broken line cannot be matched to a caller.
      this.logger.warn('QMP sent a line that is not JSON', { line: line.slice(0, 200), error: String(error) });
      return;
    }
    if (this.greetingHandler) {
      this.greetingHandler(message);
      return;
    }
    if (message.event !== undefined) {
      this.onEvent(message);
      return;
    }
    this.onResponse(message);
  }

  private onResponse(message: QmpMessage): void {
    const id = typeof message.id === 'string' ? message.id : undefined;
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (!pending || id === undefined) {
      // Deliberately dropped: the answer to a command that already timed out.
      this.logger.debug('QMP answer without a waiting caller', { id: message.id });
      return;
    }
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (message.error) {
      pending.reject(
        new QmpCommandError(pending.command, message.error.class ?? 'GenericError', message.error.desc ?? '(no description)'),
      );
      return;
    }
    pending.resolve(message.return);
  }

  private onEvent(message: QmpMessage): void {
    const event: QmpEvent = {
      seq: ++this.seq,
      event: message.event as string,
      data: message.data ?? {},
      timestamp: message.timestamp ?? { seconds: 0, microseconds: 0 },
    };
    this.history.push(event);
    if (this.history.length > this.historySize) this.history.shift();
    this.logger.debug('QMP event', { event: event.event, seq: event.seq, data: event.data });
    for (const waiter of [...this.waiters]) {
      if (!waiter.predicate(event)) continue;
      this.waiters.delete(waiter);
      clearTimeout(waiter.timer);
      waiter.resolve(event);
    }
    this.emit('event', event);
    this.emit(event.event, event);
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new QmpConnectionClosedError(this.socketPath, `'${pending.command}'`));
      this.pending.delete(id);
    }
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new QmpConnectionClosedError(this.socketPath, `event ${waiter.description}`));
    }
    this.waiters.clear();
    this.emit('close');
  }
}

function openSocket(socketPath: string, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new QmpTimeoutError(`connect to ${socketPath}`, timeoutMs));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new QmpConnectError(socketPath, error.message, { cause: error }));
    });
  });
}
