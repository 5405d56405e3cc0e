"""Emits LINES once, each with its index as message id, and logs when all are acked."""
from squall import Spout

LINES = [
    "hello from a python spout",
    "through a grpc bolt",
    "and back to a python bolt",
    "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e survives the trip",
    "tabs\tand \"quotes\" too",
]


class LinesSpout(Spout):
    def initialize(self, storm_conf, context):
        self.next_index = 0
        self.pending = set()

    def next_tuple(self):
        if self.next_index >= len(LINES):
            return
        i = self.next_index
        self.next_index += 1
        self.pending.add(i)
        self.emit([i, LINES[i]], tup_id=i)

    def ack(self, tup_id):
        self.pending.discard(tup_id)
        if not self.pending and self.next_index == len(LINES):
            self.logger.info("all %d lines acked", len(LINES))

    def fail(self, tup_id):
        self.emit([tup_id, LINES[tup_id]], tup_id=tup_id)  # replay until acked


if __name__ == "__main__":
    LinesSpout().run()
