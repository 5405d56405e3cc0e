// @ts-check
/**
 * A bolt served over gRPC: plain JavaScript that TypeScript checks (`// @ts-check` and the
 * JSDoc types from 'squall'), so it runs with `node` and no build step. The same class in a
 * .ts file works unchanged under `node --import tsx`.
 *
 * Squall starts this file once per task (`grpc: {command: [node, upper-bolt.mjs]}`) and says
 * where to listen in SQUALL_GRPC_ADDRESS; every stream Squall opens gets a new UpperBolt.
 * Inside this repository 'squall' resolves to the built package (npm run build); elsewhere,
 * `npm install squall`.
 */
import { serveComponent } from 'squall';

/**
 * @typedef {import('squall').Bolt} Bolt
 * @typedef {import('squall').BoltCollector} BoltCollector
 * @typedef {import('squall').TopologyConfig} TopologyConfig
 * @typedef {import('squall').TopologyContext} TopologyContext
 * @typedef {import('squall').Tuple} Tuple
 */

/** Upper-cases each line, anchored to its input. @implements {Bolt} */
export class UpperBolt {
  /** @type {BoltCollector | undefined} */
  collector;
  /** @type {TopologyContext | undefined} */
  context;
  count = 0;

  /**
   * @param {TopologyConfig} conf
   * @param {TopologyContext} context
   * @param {BoltCollector} collector
   */
  prepare(conf, context, collector) {
    this.collector = collector;
    this.context = context;
    // Forwarded to Squall's log, tagged with this task.
    context.logger.info(`serving UpperBolt for task ${context.taskId} (pid ${process.pid})`);
  }

  /** @param {Tuple} tuple */
  execute(tuple) {
    const line = String(tuple.getValueByField('line')).toUpperCase();
    this.collector?.emit([tuple.getValueByField('number'), line], { anchors: tuple });
    this.collector?.ack(tuple);
    this.count++;
  }

  /** Runs when Squall closes the stream; what it logs still reaches Squall. */
  cleanup() {
    this.context?.logger.info(`task ${this.context.taskId} upper-cased ${this.count} line(s)`);
  }
}

const served = await serveComponent(UpperBolt, { address: process.env.SQUALL_GRPC_ADDRESS });
// Squall stops a launched component with SIGTERM once it has closed its streams.
process.once('SIGTERM', () => {
  void served.close().then(() => process.exit(0));
});
