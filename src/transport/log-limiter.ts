/**
 * A per-window cap on repeated log lines. A peer hammering the port with garbage must not turn
 * into a log flood (TEST-PLANS D2: worker log growth stays bounded); what is not logged is
 * counted and reported when the next window opens.
 */
import type { Clock } from '../common/clock.js';
import type { Logger, LogMeta } from '../common/logger.js';

/** At most `perWindow` lines per `windowMs`; the rest are counted. */
export class LogLimiter {
  private windowStart = -Infinity;
  private count = 0;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly perWindow = 10,
    private readonly windowMs = 10_000,
  ) {}

  warn(msg: string, meta?: LogMeta): void {
    this.log('warn', msg, meta);
  }

  error(msg: string, meta?: LogMeta): void {
    this.log('error', msg, meta);
  }

  private log(level: 'warn' | 'error', msg: string, meta?: LogMeta): void {
    const now = this.clock.now();
    if (now - this.windowStart >= this.windowMs) {
      if (this.suppressed > 0) this.logger.warn(`${this.suppressed} similar transport messages were not logged`);
      this.windowStart = now;
      this.count = 0;
      this.suppressed = 0;
    }
    if (this.count < this.perWindow) {
      this.count++;
      this.logger[level](msg, meta);
    } else {
      this.suppressed++;
    }
  }
}
