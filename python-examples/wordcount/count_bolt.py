"""Counts words (fields grouping on "word": each task owns a disjoint set of words).

A plain Bolt, so it anchors and acks itself. Logs its counts on every tick tuple
(topology.tick.tuple.freq.secs) and once more from cleanup() at shutdown; both go to the
parent as multilang log messages.
"""
from collections import Counter

from squall import Bolt


class CountBolt(Bolt):
    def initialize(self, storm_conf, context):
        self.counts = Counter()

    def process(self, tup):
        word = tup.values[0]
        self.counts[word] += 1
        self.emit([word, self.counts[word]], anchors=[tup])
        self.ack(tup)

    def process_tick(self, tup):
        self.logger.info("counts so far: %s", self.format_counts())

    def cleanup(self):
        self.logger.info("final counts: %s", self.format_counts())

    def format_counts(self):
        return " ".join("%s=%d" % (word, n) for word, n in sorted(self.counts.items()))


if __name__ == "__main__":
    CountBolt().run()
