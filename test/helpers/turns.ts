/**
 * Waiting inside one test process, for tests of sockets and streams: polling a condition across
 * event-loop turns, polling an async probe for a value, yielding a turn, and counting the
 * process's open TCP handles.
 */

/** Polls `cond` every `everyMs` until it holds; the cap (real time) only turns a hang into a clear failure. */
export async function pollUntil(cond: () => boolean, what: string, capMs = 30_000, everyMs = 2): Promise<void> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > capMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Polls `probe` (sync or async) every `everyMs` until it yields something other than `undefined`
 * or `false`, and returns that; the cap (real time) only turns a hang into a clear failure.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, capMs = 10_000, everyMs = 10,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - start > capMs) throw new Error(`timed out after ${capMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Lets pending I/O run without waiting for time to pass. */
export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Open TCP sockets and servers of this process (to check that a close released them). */
export function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
}
