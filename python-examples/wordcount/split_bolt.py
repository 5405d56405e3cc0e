"""Splits sentences into words. A BasicBolt: each emit is anchored to the input sentence,
which is acked when process() returns (failed if it raises)."""
from squall import BasicBolt


class SplitBolt(BasicBolt):
    def process(self, tup):
        for word in tup.values[0].split():
            self.emit([word])


if __name__ == "__main__":
    SplitBolt().run()
