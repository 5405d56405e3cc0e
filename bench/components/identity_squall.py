# Benchmark bolt on Squall's own adapter: re-emits every tuple anchored to it and acks it.
# Squall offers the batch extension in the handshake and the adapter accepts it.
from squall import Bolt


class IdentityBolt(Bolt):
    def process(self, tup):
        self.emit(tup.values, anchors=[tup])
        self.ack(tup)


if __name__ == "__main__":
    IdentityBolt().run()
