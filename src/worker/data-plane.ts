/**
 * A worker's data plane: the runtime for the worker's tasks, a transport server receiving
 * tuples for them, and a remote transport sending tuples to tasks of other workers.
 * Backpressure crosses workers: a full local queue is announced to peers, and a peer that is
 * slow, congested or unreachable makes `congestion(task).isFull()` true here, which stops the
 * producers feeding it.
 */
import { systemClock, type Clock } from '../common/clock.js';
import { Closer } from '../common/closer.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { Runtime, type ComponentFactory } from '../runtime/runtime.js';
import type { TopologyPlan } from '../topology/plan.js';
import { TcpRemoteTransport, TransportServer, type WorkerAddress } from '../transport/index.js';

export interface WorkerDataPlaneOptions {
  topologyId: string;
  workerId: string;
  plan: TopologyPlan;
  /** The tasks this worker runs. */
  localTasks: ReadonlySet<number>;
  factory: ComponentFactory;
  /** Address to listen on for tuples from peers; port 0 picks one. */
  host?: string;
  port?: number;
  authToken?: string;
  clock?: Clock;
  logger?: Logger;
  /** Start with spouts active (default) or wait for activate(). */
  startActive?: boolean;
}

export class WorkerDataPlane {
  private constructor(
    readonly runtime: Runtime,
    readonly server: TransportServer,
    readonly remote: TcpRemoteTransport,
    private readonly closer: Closer,
  ) {}

  /**
   * Binds the transport server and builds the runtime (components created and prepared), but
   * runs nothing until start(). Tuples for other workers wait until setAssignment() says
   * where those workers are.
   */
  static async create(opts: WorkerDataPlaneOptions): Promise<WorkerDataPlane> {
    const closer = new Closer();
    try {
      const logger = opts.logger ?? silentLogger;
      const clock = opts.clock ?? systemClock;
      let runtimeRef: Runtime | undefined;
      const remote = TcpRemoteTransport.start({
        topologyId: opts.topologyId, workerId: opts.workerId, assignment: new Map(), clock, logger,
        ...(opts.authToken === undefined ? {} : { authToken: opts.authToken }),
        onRelief: () => runtimeRef?.wake(),
      });
      closer.defer(() => remote.close());
      // The runtime exists before the server accepts anything: peers may send as soon as the
      // port is open, and their tuples wait in its (bounded) queues until start().
      const runtime = await Runtime.create({
        plan: opts.plan, factory: opts.factory, localTasks: opts.localTasks, remote, clock, logger,
        startActive: opts.startActive ?? true,
      });
      runtimeRef = runtime;
      closer.defer(() => runtime.close());
      const server = await TransportServer.start({
        topologyId: opts.topologyId, workerId: opts.workerId, host: opts.host ?? '127.0.0.1', port: opts.port ?? 0,
        clock, logger,
        ...(opts.authToken === undefined ? {} : { authToken: opts.authToken }),
        onTuples: (tuples) => runtime.receive(tuples),
        isCongested: (task) => runtime.isCongested(task),
      });
      closer.defer(() => server.close());
      return new WorkerDataPlane(runtime, server, remote, closer);
    } catch (err) {
      await closer.close().catch(() => {});
      throw err;
    }
  }

  /** Where peers send this worker's tuples. */
  get address(): WorkerAddress {
    const a = this.server.address;
    return { host: a.host, port: a.port };
  }

  /** Where every task outside this worker runs; call again on reassignment. */
  setAssignment(assignment: ReadonlyMap<number, WorkerAddress>): void {
    this.remote.updateAssignment(assignment);
    this.runtime.wake();
  }

  start(): void {
    this.runtime.start();
  }

  /** Stops the spouts and waits for in-flight trees of this worker's spouts (bounded). */
  drain(timeoutMs: number): ReturnType<Runtime['drain']> {
    return this.runtime.drain(timeoutMs);
  }

  /** Stops receiving (server), closes the components (runtime), then the outgoing links. */
  close(): Promise<void> {
    return this.closer.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
