# Benchmark bolt on Squall's own adapter: a BasicBolt re-emitting every tuple (auto-anchored to
# its input, auto-acked). Squall offers the batch extension in the handshake and the adapter
# accepts it.
from squall import BasicBolt


class IdentityBolt(BasicBolt):
    def process(self, tup):
        self.emit(tup.values)


if __name__ == "__main__":
    IdentityBolt().run()
