/**
 * Waiting inside one test process, for tests of sockets and streams: polling a condition across
 * event-loop turns, yielding a turn, and counting the process's open TCP handles.
 */

/** Polls `cond` every `everyMs` until it holds; the cap (real time) only turns a hang into a clear failure. */
export async function pollUntil(cond: () => boolean, what: string, capMs = 30_000, everyMs = 2): Promise<void> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > capMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Lets pending I/O run without waiting for time to pass. */
export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Open TCP sockets and servers of this process (to check that a close released them). */
export function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
}
