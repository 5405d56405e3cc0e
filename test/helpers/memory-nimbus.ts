/**
 * A real nimbus over gRPC on 127.0.0.1:0 with coordination in memory (one InMemoryZooKeeper
 * tree, a store per session), and supervisors registered on it the way real ones register.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterState } from '../../src/coordination/cluster-state.js';
import { InMemoryStateStore } from '../../src/coordination/memory-store.js';
import { InMemoryZooKeeper } from '../../src/coordination/memory-tree.js';
import { Nimbus } from '../../src/nimbus/nimbus.js';
import type { NimbusOptions } from '../../src/nimbus/options.js';

export interface MemoryNimbus extends AsyncDisposable {
  readonly nimbus: Nimbus;
  /** Nimbus's --local-dir, a fresh directory under the test's scratch directory. */
  readonly localDir: string;
  /** A new session on the tree, closed on dispose. */
  open(): Promise<InMemoryStateStore>;
  /** Registers a supervisor as a real one does: an ephemeral node of a session of its own, which it returns. */
  addSupervisor(id: string, host: string, ports: number[]): Promise<InMemoryStateStore>;
}

/** Starts the nimbus (`opts` override store, localDir and port); dispose closes it, then every session. */
export async function startMemoryNimbus(scratch: string, opts: Partial<NimbusOptions> = {}): Promise<MemoryNimbus> {
  const tree = new InMemoryZooKeeper();
  const stores: InMemoryStateStore[] = [];
  const open = async (): Promise<InMemoryStateStore> => {
    const s = await InMemoryStateStore.create({ tree });
    stores.push(s);
    return s;
  };
  const localDir = mkdtempSync(join(scratch, 'nimbus-'));
  const nimbus = await Nimbus.start({ store: await open(), localDir, port: 0, ...opts });
  return {
    nimbus, localDir, open,
    async addSupervisor(id, host, ports) {
      const store = await open();
      await (await ClusterState.create(store)).registerSupervisor({ id, host, ports, usedPorts: [], address: host, version: '0.1.0', startedAtMs: Date.now() });
      return store;
    },
    async [Symbol.asyncDispose]() {
      await nimbus.close();
      for (const s of stores) await s.close();
    },
  };
}
