"""Emits a fixed corpus once: sentence i is SENTENCES[i % 5], for i in 0..999.

Every sentence has a message id (its index), so the spout learns when its tuple tree
completes (ack) or fails; failed sentences are emitted again with the same id until acked.
When the corpus is exhausted, next_tuple() emits nothing.
"""
from squall import Spout

SENTENCES = [
    "the cow jumped over the moon",
    "an apple a day keeps the doctor away",
    "four score and seven years ago",
    "snow white and the seven dwarfs",
    "i am at two with nature",
]
TOTAL = 1000


class SentenceSpout(Spout):
    def initialize(self, storm_conf, context):
        self.total = int(storm_conf.get("wordcount.sentences", TOTAL))
        self.next_index = 0
        self.pending = {}  # message id -> sentence, until acked
        self.replays = 0
        self.finished = False

    def next_tuple(self):
        if self.next_index >= self.total:
            return
        i = self.next_index
        self.next_index += 1
        sentence = SENTENCES[i % len(SENTENCES)]
        self.pending[i] = sentence
        self.emit([sentence], tup_id=i)

    def ack(self, tup_id):
        self.pending.pop(tup_id, None)
        if not self.pending and self.next_index >= self.total and not self.finished:
            self.finished = True
            self.logger.info("all %d sentences acked (%d replayed)", self.total, self.replays)

    def fail(self, tup_id):
        sentence = self.pending.get(tup_id)
        if sentence is not None:
            self.replays += 1
            self.emit([sentence], tup_id=tup_id)


if __name__ == "__main__":
    SentenceSpout().run()
