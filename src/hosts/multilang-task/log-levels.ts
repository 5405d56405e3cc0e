import type { Logger } from '../../common/logger.js';
import type { LogLevel } from '../../multilang/index.js';

/** Forwards a child's `log` command at its level, tagged with the child's pid. */
export function logAt(logger: Logger, level: LogLevel, msg: string, pid: number | undefined): void {
  logger[level](msg, pid === undefined ? undefined : { pid });
}
