/**
 * A minimal structured logger for the agent: JSON lines, one child per object.
 *
 * `logger.child({ volumeId, copyId })` returns a logger that adds those fields to every line,
 * so every line about one copy can be found with one grep (house style, "The agent").
 */
export type LogFields = Record<string, unknown>;

export interface AgentLogger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): AgentLogger;
}

export const LogLevel = { Debug: 10, Info: 20, Warn: 30, Error: 40, Silent: 100 } as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

const levelNames: Record<number, string> = { 10: 'debug', 20: 'info', 30: 'warn', 40: 'error' };

/** Writes JSON lines to a sink (stderr by default). */
export class JsonLineLogger implements AgentLogger {
  constructor(
    private readonly fields: LogFields = {},
    private readonly minLevel: LogLevel = LogLevel.Info,
    private readonly sink: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  ) {}

  debug(message: string, fields?: LogFields): void {
    this.write(LogLevel.Debug, message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.write(LogLevel.Info, message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.write(LogLevel.Warn, message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.write(LogLevel.Error, message, fields);
  }
  child(fields: LogFields): AgentLogger {
    return new JsonLineLogger({ ...this.fields, ...fields }, this.minLevel, this.sink);
  }

  private write(level: LogLevel, message: string, fields?: LogFields): void {
    if (level < this.minLevel) return;
    this.sink(
      JSON.stringify({ time: new Date().toISOString(), level: levelNames[level], message, ...this.fields, ...fields }),
    );
  }
}

/** The default for library classes: logs nothing unless the caller passes a logger. */
export const silentLogger: AgentLogger = new JsonLineLogger({}, LogLevel.Silent, () => undefined);
