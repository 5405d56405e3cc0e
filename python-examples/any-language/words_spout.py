"""A Python spout speaking Squall's ndjson serializer (set in topology.yaml): the adapter
notices it in the handshake and then writes one JSON object per line instead of
"\\nend\\n"-framed messages. Nothing in the code changes.

Emits each line of LINES once with a message id, re-emits failed ones, and logs when all
are acked.
"""
from squall import Spout

LINES = [
    "hello from python",
    "awk speaks json, kind of",
    "tabs\tand \"quotes\" survive",
    "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e",
    "the quick brown fox jumps over the lazy dog",
]


class WordsSpout(Spout):
    def initialize(self, storm_conf, context):
        self.index = 0
        self.pending = {}
        self.logger.info("serializer: %s", storm_conf.get("topology.multilang.serializer"))

    def next_tuple(self):
        if self.index < len(LINES):
            i = self.index
            self.index += 1
            self.pending[i] = LINES[i]
            self.emit([LINES[i], i], tup_id=i)

    def ack(self, tup_id):
        self.pending.pop(tup_id, None)
        if not self.pending and self.index == len(LINES):
            self.logger.info("all %d lines acked", len(LINES))

    def fail(self, tup_id):
        if tup_id in self.pending:
            self.emit([self.pending[tup_id], tup_id], tup_id=tup_id)


if __name__ == "__main__":
    WordsSpout().run()
