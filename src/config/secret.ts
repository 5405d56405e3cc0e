/**
 * A config value that must never reach a log, an error message or a JSON dump (e.g.
 * transport.auth.token). Every way of turning it into text prints "[redacted]"; only reveal()
 * gives the value, so a leak needs an explicit, greppable call.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const REDACTED = '[redacted]';

/** Holds a secret string; toString(), toJSON() and util.inspect() all print "[redacted]". */
export class Secret {
  // A private field: not enumerable, not copied by spread, not printed by inspect.
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself. Call it only where the value is used (a handshake), never to print. */
  reveal(): string {
    return this.#value;
  }

  /**
   * Compares in constant time, so a peer cannot guess the token byte by byte from response
   * times. Hashing first gives timingSafeEqual the equal lengths it requires.
   */
  equals(other: string): boolean {
    const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
    return timingSafeEqual(digest(this.#value), digest(other));
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${REDACTED})`;
  }
}
