/**
 * The logging interface every module takes. Sinks (pino, the terminal) are installed only by
 * entry points in src/cli; library code never writes to the console itself.
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export type LogMeta = Record<string, unknown>;

export interface Logger {
  trace(msg: string, meta?: LogMeta): void;
  debug(msg: string, meta?: LogMeta): void;
  info(msg: string, meta?: LogMeta): void;
  warn(msg: string, meta?: LogMeta): void;
  error(msg: string, meta?: LogMeta): void;
  /** A logger whose records all carry `bindings` (role, topology, component, task...). */
  child(bindings: LogMeta): Logger;
}

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

/** Discards everything; the default for library objects created without a logger. */
export const silentLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

export interface LogRecord {
  level: LogLevel;
  msg: string;
  meta: LogMeta;
}

/** Keeps records in memory; for tests that assert on what was logged. */
export class MemoryLogger implements Logger {
  readonly records: LogRecord[];
  private readonly bindings: LogMeta;

  constructor(records: LogRecord[] = [], bindings: LogMeta = {}) {
    this.records = records;
    this.bindings = bindings;
  }

  trace(msg: string, meta?: LogMeta): void { this.push('trace', msg, meta); }
  debug(msg: string, meta?: LogMeta): void { this.push('debug', msg, meta); }
  info(msg: string, meta?: LogMeta): void { this.push('info', msg, meta); }
  warn(msg: string, meta?: LogMeta): void { this.push('warn', msg, meta); }
  error(msg: string, meta?: LogMeta): void { this.push('error', msg, meta); }

  child(bindings: LogMeta): Logger {
    return new MemoryLogger(this.records, { ...this.bindings, ...bindings });
  }

  private push(level: LogLevel, msg: string, meta?: LogMeta): void {
    this.records.push({ level, msg, meta: { ...this.bindings, ...meta } });
  }
}
