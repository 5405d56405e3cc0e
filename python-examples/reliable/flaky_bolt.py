"""A bolt that fails about 10% of its input at random (reliable.fail.rate in the config).

A plain Bolt: it acks or fails each tuple itself. Failed tuples are replayed by the spout,
so every message is eventually processed at least once.
"""
import random

from squall import Bolt


class FlakyBolt(Bolt):
    def initialize(self, storm_conf, context):
        self.fail_rate = float(storm_conf.get("reliable.fail.rate", 0.1))
        self.random = random.Random()
        self.processed = 0
        self.failed = 0

    def process(self, tup):
        if self.random.random() < self.fail_rate:
            self.failed += 1
            self.fail(tup)
            return
        seq, payload = tup.values
        self.emit([seq, payload.upper()], anchors=[tup])
        self.processed += 1
        self.ack(tup)

    def cleanup(self):
        self.logger.info("processed %d tuples, failed %d on purpose", self.processed, self.failed)


if __name__ == "__main__":
    FlakyBolt().run()
