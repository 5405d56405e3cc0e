# Benchmark bolt written against pystorm: emits do not wait for task ids; auto anchor/ack.
from pystorm import Bolt


class SplitSentenceBolt(Bolt):
    def process(self, tup):
        for word in tup.values[0].split(" "):
            self.emit([word])


if __name__ == "__main__":
    SplitSentenceBolt().run()
