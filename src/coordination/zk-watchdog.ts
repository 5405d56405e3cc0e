/**
 * A read timeout for node-zookeeper-client, which has none: it sends pings but never checks
 * that anything comes back, so a silently partitioned connection (no FIN, no RST) stays
 * "connected" forever and a leader behind it would never step down (TEST-PLANS A5 rule 4).
 *
 * Like the Java client, we expect to hear from the server within 2/3 of the session timeout:
 * while connected, a cheap probe (exists on the root) goes out every 1/3 of the timeout, and
 * an unanswered probe older than 2/3 of it drops the socket, which the library reports as
 * DISCONNECTED and reconnects. A handshake that gets no answer is dropped the same way (the
 * library's own connect timeout stops at the TCP connect). The time of the last reply feeds
 * the store's local expiry timer.
 */
import type { Clock, TimerHandle } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import { CM_CONNECTED, CM_CONNECTING, type ConnectionManagerInternals, type SocketInternals } from './zk-internals.js';

/** What the watchdog needs from its client. */
export interface ZkWatchdogOptions {
  clock: Clock;
  logger: Logger;
  /** The negotiated (or requested) session timeout, read on every tick. */
  sessionTimeoutMs: () => number;
  /** Time allowed for a connect handshake after the TCP connection is up. */
  handshakeTimeoutMs: () => number;
  internals: () => ConnectionManagerInternals | undefined;
  /** Sends one request; calls back with true if the server answered (with anything). */
  probe: (done: (answered: boolean) => void) => void;
}

/** Read and handshake timeouts for one client. @internal */
export class ZkWatchdog {
  /** Clock time of the last reply from the server. */
  lastHeardAt: number;
  private timer: TimerHandle | undefined;
  private probeSentAt: number | undefined;
  private lastProbeAt = 0;
  private handshake: { socket: SocketInternals; since: number } | undefined;

  constructor(private readonly opts: ZkWatchdogOptions) {
    this.lastHeardAt = opts.clock.now();
  }

  start(): void {
    this.timer ??= this.opts.clock.setInterval(() => this.tick(), Math.max(20, Math.floor(this.opts.sessionTimeoutMs() / 6)));
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Records a reply seen elsewhere (any answered request proves the link works). */
  heard(): void {
    this.lastHeardAt = this.opts.clock.now();
  }

  private tick(): void {
    const cm = this.opts.internals();
    if (!cm) return this.stop();
    if (cm.state === CM_CONNECTED) {
      this.handshake = undefined;
      this.checkReads(cm);
    } else if (cm.state === CM_CONNECTING) {
      this.checkHandshake(cm);
    }
  }

  private checkReads(cm: ConnectionManagerInternals): void {
    const now = this.opts.clock.now();
    const timeout = this.opts.sessionTimeoutMs();
    if (this.probeSentAt !== undefined) {
      if (now - this.probeSentAt < (2 * timeout) / 3) return;
      this.opts.logger.warn('no reply from ZooKeeper within 2/3 of the session timeout; dropping the connection', {
        waitedMs: Math.round(now - this.probeSentAt),
      });
      this.probeSentAt = undefined;
      cm.socket?.destroy();
      return;
    }
    if (now - this.lastProbeAt < timeout / 3) return;
    this.lastProbeAt = now;
    const sentAt = now;
    this.probeSentAt = sentAt;
    this.opts.probe((answered) => {
      if (this.probeSentAt === sentAt) this.probeSentAt = undefined;
      if (answered) this.heard();
    });
  }

  private checkHandshake(cm: ConnectionManagerInternals): void {
    const socket = cm.socket;
    if (!socket || socket.connecting !== false) {
      this.handshake = undefined;
      return;
    }
    const now = this.opts.clock.now();
    if (this.handshake?.socket !== socket) {
      this.handshake = { socket, since: now };
    } else if (now - this.handshake.since > this.opts.handshakeTimeoutMs()) {
      this.opts.logger.warn('ZooKeeper did not answer the connect handshake; trying again');
      this.handshake = undefined;
      socket.destroy();
    }
  }
}
