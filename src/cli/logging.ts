/**
 * The CLI's log sink: pino for structured records, pino-pretty for a readable terminal form,
 * written through the Terminal so logs and the status line coexist.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import pretty from 'pino-pretty';
import { LOG_LEVELS, type LogLevel, type Logger, type LogMeta } from '../common/logger.js';
import { UsageError } from '../common/errors.js';
import { textOf } from '../common/text.js';
import type { Terminal } from './terminal.js';

export function parseLogLevel(value: string | undefined, fallback: LogLevel = 'info'): LogLevel {
  if (value === undefined || value === '') return fallback;
  const v = value.toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  throw new UsageError(`unknown log level "${value}"`, { hint: `use one of ${LOG_LEVELS.join(', ')}` });
}

export function createCliLogger(terminal: Terminal, level: LogLevel, json = false): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      terminal.log(chunk.toString());
      cb();
    },
  });
  const stream = json ? sink : pretty({
    colorize: terminal.isTTY,
    translateTime: 'HH:MM:ss.l',
    ignore: 'pid,hostname,component,task',
    messageFormat: (log: Record<string, unknown>, key: string) => {
      const who = log.component === undefined ? '' : `[${textOf(log.component)}${log.task === undefined ? '' : `:${textOf(log.task)}`}] `;
      return `${who}${String(log[key])}`;
    },
    singleLine: true,
    destination: sink,
    sync: true,
  });
  return wrap(pino({ level, base: undefined }, stream));
}

function wrap(p: pino.Logger): Logger {
  const call = (level: LogLevel) => (msg: string, meta?: LogMeta): void => {
    if (meta === undefined) p[level](msg);
    else p[level](meta, msg);
  };
  return {
    trace: call('trace'),
    debug: call('debug'),
    info: call('info'),
    warn: call('warn'),
    error: call('error'),
    child: (bindings) => wrap(p.child(bindings)),
  };
}
