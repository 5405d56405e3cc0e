"""At-least-once delivery from a spout.

Emits MESSAGES numbered messages, each with a message id. Every message stays in
self.pending until its tuple tree is acked; when the parent reports a failure (a bolt failed
the tuple, or it timed out) the same message is emitted again with the same id. When the
last message is acked the spout logs a summary, then emits nothing more.
"""
from squall import Spout

MESSAGES = 200


class ReliableSpout(Spout):
    def initialize(self, storm_conf, context):
        self.total = int(storm_conf.get("reliable.messages", MESSAGES))
        self.next_seq = 0
        self.pending = {}   # message id -> values, until acked
        self.attempts = {}  # message id -> times emitted
        self.replays = 0
        self.reported = False

    def next_tuple(self):
        if self.next_seq >= self.total:
            return
        seq = self.next_seq
        self.next_seq += 1
        msg_id = "msg-%04d" % seq
        values = [seq, "payload %d" % seq]
        self.pending[msg_id] = values
        self.attempts[msg_id] = 1
        self.emit(values, tup_id=msg_id)

    def ack(self, tup_id):
        if self.pending.pop(tup_id, None) is None:
            return
        if self.attempts[tup_id] > 1:
            self.logger.debug("%s acked after %d attempts", tup_id, self.attempts[tup_id])
        if not self.pending and self.next_seq >= self.total and not self.reported:
            self.reported = True
            worst = max(self.attempts.values())
            self.logger.info("all %d messages acked: %d replays, at most %d attempts for one message",
                             self.total, self.replays, worst)

    def fail(self, tup_id):
        values = self.pending.get(tup_id)
        if values is None:
            return
        self.replays += 1
        self.attempts[tup_id] += 1
        self.logger.info("%s failed, emitting it again (attempt %d)", tup_id, self.attempts[tup_id])
        self.emit(values, tup_id=tup_id)


if __name__ == "__main__":
    ReliableSpout().run()
