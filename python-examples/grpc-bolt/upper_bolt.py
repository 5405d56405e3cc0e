"""Upper-cases each line: a BasicBolt (emits anchored, input acked for you) served over gRPC.

The same class would run over stdio with ``UpperBolt().run()``; ``serve()`` listens on the
address Squall passes in ``SQUALL_GRPC_ADDRESS`` and runs a fresh instance per stream.
"""
from squall import BasicBolt
from squall.grpc import serve


class UpperBolt(BasicBolt):
    def initialize(self, storm_conf, context):
        self.count = 0

    def process(self, tup):
        number, line = tup.values
        self.count += 1
        self.emit([number, line.upper()])

    def cleanup(self):
        self.logger.info("upper task %s upper-cased %d lines", self.task_id, self.count)


if __name__ == "__main__":
    serve(UpperBolt)
