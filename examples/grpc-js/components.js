// The in-process half of the gRPC example: a spout and a bolt that Squall runs in its own
// process, around the bolt in upper-bolt.mjs that it runs over gRPC. See src/runtime/api.ts
// for the interfaces.

export const LINES = [
  'hello from a javascript spout',
  'through a grpc bolt',
  'and back to a javascript bolt',
  'café crème brûlée survives the trip',
  'tabs\tand "quotes" too',
];

/** Emits LINES once, each with its index as message id; replays failures; logs when all are acked. */
export class LinesSpout {
  open(conf, context, collector) {
    this.collector = collector;
    this.logger = context.logger;
    this.next = 0;
    this.pending = new Set();
  }

  nextTuple() {
    if (this.next >= LINES.length) return;
    const i = this.next++;
    this.pending.add(i);
    this.collector.emit([i, LINES[i]], { messageId: i });
  }

  ack(id) {
    this.pending.delete(id);
    if (this.pending.size === 0 && this.next === LINES.length) this.logger.info(`all ${LINES.length} lines acked`);
  }

  fail(id) {
    // Replay until acked: the same line under the same id.
    this.collector.emit([id, LINES[id]], { messageId: id });
  }
}

/** Logs every line it receives. */
export class ShowBolt {
  prepare(conf, context, collector) {
    this.collector = collector;
    this.logger = context.logger;
  }

  execute(tuple) {
    this.logger.info(`line ${tuple.getValueByField('number')}: ${tuple.getValueByField('line')}`);
    this.collector.ack(tuple);
  }
}
