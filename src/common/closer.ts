/**
 * A LIFO list of cleanups (Node 20 has Symbol.asyncDispose but no AsyncDisposableStack).
 * Startup code registers each resource right after acquiring it, so a partial start unwinds
 * cleanly and close() releases everything in reverse order, keeping the first error.
 */
export class Closer {
  private readonly cleanups: Array<() => unknown> = [];
  private closing: Promise<void> | undefined;

  /** Registers a cleanup to run on close(), after every cleanup registered later. */
  defer(cleanup: () => unknown): void {
    if (this.closing) throw new Error('Closer.defer() after close()');
    this.cleanups.push(cleanup);
  }

  /** Runs every cleanup once, newest first; rethrows the first failure after running all. */
  close(): Promise<void> {
    this.closing ??= this.runAll();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async runAll(): Promise<void> {
    let first: unknown;
    let failed = false;
    while (this.cleanups.length > 0) {
      const cleanup = this.cleanups.pop()!;
      try {
        await cleanup();
      } catch (err) {
        if (!failed) first = err;
        failed = true;
      }
    }
    if (failed) throw first;
  }
}
