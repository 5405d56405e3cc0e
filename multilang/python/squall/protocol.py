"""The multilang wire: framing, reading, writing and extension negotiation.

A :class:`Channel` owns the two protocol file descriptors of a component process. It reads
the parent's messages in large chunks (``os.read`` of up to 1 MiB), splits frames itself and
queues the decoded messages in :attr:`Channel.inbox`; outgoing messages are appended to
:attr:`Channel.out` and written by :meth:`Channel.flush` with a single ``os.write`` loop.

Serializers (chosen by the parent, see ``topology.multilang.serializer``):

``json``
    Storm's JSON serializer: each frame is JSON text followed by ``"\\nend\\n"``. Input
    tolerates CRLF line ends and blank lines. With Squall's ``batch`` extension accepted, a
    frame may carry a JSON array of messages (see ``multilang/EXTENSIONS.md``).
``ndjson``
    Squall's line format for languages without an adapter: one compact JSON value per line,
    no ``end`` lines, no batches.

The serializer is detected from the handshake: its first line is a complete JSON object
whose ``conf`` names the serializer; under ``json`` the parent then sends an ``end`` line.
The msgpack serializer is not supported by this stdlib-only adapter.
"""

import json
import os
from collections import deque

__all__ = [
    "BaseChannel", "Channel", "ProtocolError", "ParentGone", "SerializationError",
    "JSON", "NDJSON", "EXTENSION_BATCH", "READ_CHUNK", "MAX_BATCH",
]

JSON = "json"
NDJSON = "ndjson"
EXTENSION_BATCH = "batch"

#: Bytes asked for per read of the parent's pipe.
READ_CHUNK = 1 << 20
#: Most messages sent in one batch frame.
MAX_BATCH = 1024
#: A batch frame bigger than this is split in two (the parent's frame limit is 16 MiB).
MAX_BATCH_BYTES = 4 << 20

_END = "\nend\n"
_BEND = b"\nend\n"

_decode = json.JSONDecoder().decode
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
# For strings Python can hold but UTF-8 cannot (lone surrogates): escaped as \\udXXX.
_encode_ascii = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode


class ProtocolError(Exception):
    """The parent sent something that is not the multilang protocol."""


class SerializationError(TypeError):
    """A message (usually an emit's values) could not be encoded as JSON."""


class ParentGone(BaseException):
    """The parent closed the pipe (EOF on stdin, or stdout broken).

    A BaseException so that ``except Exception`` in user code cannot swallow the shutdown.
    """


def _excerpt(data, limit=200):
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data[:limit]).decode("utf-8", "replace")
    text = data if len(data) <= limit else data[:limit] + "..."
    return repr(text)


def normalize_serializer(value):
    """Maps a ``topology.multilang.serializer`` value to ``json``, ``ndjson`` or ``msgpack``."""
    v = str(value or "json").lower()
    if v == NDJSON:
        return NDJSON
    if v == "msgpack" or v.endswith("msgpackserializer") or v.endswith("messagepackserializer"):
        return "msgpack"
    return JSON


class BaseChannel(object):
    """What the component run loop needs from a transport: parent messages decoded into
    multilang dicts in :attr:`inbox`, outgoing multilang dicts queued in :attr:`out`, and
    :meth:`read_handshake`, :meth:`answer_handshake`, :meth:`fill`, :meth:`flush`.
    :class:`Channel` is the stdio pipe; ``squall.grpc`` has a gRPC stream."""

    #: Several tasks may share this process (each component then logs through its own logger).
    shared_process = False

    def __init__(self):
        #: True when emits need not say ``need_task_ids: false`` (batch extension, gRPC).
        self.batch = False
        #: Decoded parent messages not handled yet: dicts, and lists (task-id replies).
        self.inbox = deque()
        #: Outgoing messages (dicts), encoded and sent by flush().
        self.out = []
        #: Bytes of an incomplete frame left at EOF (reported by the component), or None.
        self.truncated = None

    def _take_out(self):
        """Removes and returns everything queued in :attr:`out`, with slice operations so
        other threads may keep appending meanwhile."""
        out = self.out
        n = len(out)
        msgs = out[:n]
        del out[:n]
        return msgs

    def await_task_ids(self, pending):
        """Flushes, then returns the next task-id list from the parent.

        Lists already received (``pending``, then the inbox) come first; other messages that
        arrive meanwhile stay queued in order.

        :raises ParentGone: on EOF while waiting.
        """
        self.flush()
        if pending:
            return pending.popleft()
        inbox = self.inbox
        start = 0
        while True:
            for i in range(start, len(inbox)):
                item = inbox[i]
                if type(item) is list:
                    del inbox[i]
                    return item
            start = len(inbox)
            if not self.fill():
                raise ParentGone("the parent closed the channel while we waited for task ids")


class Channel(BaseChannel):
    """Both directions of the protocol pipe.

    :param in_fd: file descriptor the parent writes to (the process's original stdin).
    :param out_fd: file descriptor the parent reads (the process's original stdout).
    :param serializer: ``"json"``, ``"ndjson"`` or ``None`` to detect it from the handshake.
    """

    def __init__(self, in_fd, out_fd, serializer=None):
        super(Channel, self).__init__()
        self.in_fd = in_fd
        self.out_fd = out_fd
        self.serializer = serializer
        self.eof = False
        self._rest = b""
        self._cr = False
        #: The ProtocolError to raise once the messages decoded before it are consumed.
        self.error = None

    # ------------------------------------------------------------------ reading

    def fill(self):
        """Reads until at least one more message is queued in :attr:`inbox`.

        :returns: False at EOF (nothing more will come), True otherwise.
        :raises ProtocolError: on undecodable input.
        """
        inbox = self.inbox
        before = len(inbox)
        while len(inbox) == before:
            if self.error is not None:
                raise self.error
            if self.eof:
                return False
            chunk = self._read()
            if chunk:
                self._feed(chunk)
            else:
                self.eof = True
                self._finish()
        return True

    def _read(self):
        """One chunk of input with CRLF turned into LF; b"" only at EOF."""
        while True:
            try:
                raw = os.read(self.in_fd, READ_CHUNK)
            except OSError:
                raw = b""
            chunk = raw
            if self._cr:
                chunk = b"\r" + chunk
                self._cr = False
            if b"\r" in chunk:
                # A raw CR can only be a line end (JSON escapes it inside strings), so
                # CRLF -> LF is safe. A CR at the very end may be half of a CRLF split
                # across reads: keep it for the next read (dropped at EOF).
                if raw and chunk[-1:] == b"\r":
                    chunk = chunk[:-1]
                    self._cr = True
                chunk = chunk.replace(b"\r\n", b"\n")
            if chunk or not raw:
                return chunk

    def _feed(self, chunk):
        rest = self._rest
        if self.serializer == NDJSON:
            data = rest + chunk if rest else chunk
            cut = data.rfind(b"\n")
            if cut < 0:
                self._rest = data
                return
            self._rest = data[cut + 1:]
            self._decode_parts(self._split(data[:cut], b"\n", "\n"))
        else:
            if rest:
                data = rest + chunk
                cut = data.rfind(_BEND, max(0, len(rest) - 4))
            else:
                data = chunk
                cut = data.rfind(_BEND)
            if cut < 0:
                self._rest = data
                return
            self._rest = data[cut + 5:]
            self._decode_parts(self._split(data[:cut], _BEND, _END))

    def _split(self, data, sep_bytes, sep):
        """Decodes complete frames and splits them; invalid UTF-8 ends the input (the frames
        before the bad one are still returned)."""
        try:
            return data.decode("utf-8").split(sep)
        except UnicodeDecodeError as e:
            good = data.rfind(sep_bytes, 0, e.start)
            parts = data[:good].decode("utf-8").split(sep) if good >= 0 else []
            self._decode_parts(parts)
            if self.error is None:
                self._fail(ProtocolError("invalid UTF-8 from the parent (%s): %s"
                                         % (e.reason, _excerpt(data[max(0, e.start - 40):]))))
            return []

    def _finish(self):
        rest = self._rest
        self._rest = b""
        if not rest.strip():
            return
        if self.serializer == NDJSON:
            # A last line without "\n" is still a whole message.
            self._decode_parts([rest.decode("utf-8", "replace")])
        elif rest.rstrip().endswith(b"\nend"):
            # The last frame lacks only its final newline.
            self._decode_parts([rest.rstrip()[:-4].decode("utf-8", "replace")])
        else:
            # The parent is gone anyway; the component reports this and shuts down normally.
            self.truncated = rest

    def _decode_parts(self, parts):
        inbox = self.inbox
        for part in parts:
            try:
                value = _decode(part)
            except ValueError as e:
                if not part.strip():
                    continue  # blank lines / empty frames are harmless
                self._fail(ProtocolError("cannot parse a message from the parent (%s): %s" % (e, _excerpt(part))))
                return
            if type(value) is list and value and type(value[0]) in (dict, list):
                inbox.extend(value)  # a batch; nested lists inside are task-id replies
            elif type(value) is dict or type(value) is list:
                inbox.append(value)
            else:
                self._fail(ProtocolError("expected a JSON object or array from the parent, got %s" % _excerpt(part)))
                return

    def _fail(self, error):
        """Garbage from the parent: messages decoded before it are still handled, then the
        next fill() raises ``error``. Nothing after it is read."""
        self.error = error
        self.eof = True
        self._rest = b""

    def read_handshake(self):
        """Reads the parent's first message, detecting the serializer on the way.

        :returns: the handshake dict (``pidDir``, ``conf``, ``context``).
        :raises ParentGone: on EOF before a complete handshake.
        """
        data = b""
        while True:
            chunk = self._read()
            if not chunk:
                self.eof = True
                if data.strip():
                    raise ProtocolError("input ended inside the handshake: %s" % _excerpt(data))
                raise ParentGone("stdin closed before the handshake")
            data += chunk
            if self.serializer is None:
                first = data[:1]
                if first and 0x80 <= first[0] <= 0x8F or first in (b"\xde", b"\xdf"):
                    raise ProtocolError(
                        "the parent speaks msgpack, which this adapter does not support; "
                        "set topology.multilang.serializer to json (or ndjson) for this component")
                nl = data.find(b"\n")
                if nl < 0:
                    continue
                self.serializer = self._detect(data[:nl])
            break
        self._feed(data)
        while not self.inbox:
            if not self.fill():  # raises the ProtocolError if the handshake itself was garbage
                raise ParentGone("stdin closed before the handshake")
        msg = self.inbox.popleft()
        if type(msg) is not dict or "pidDir" not in msg:
            raise ProtocolError("expected the handshake {pidDir, conf, context}, got %s" % _excerpt(json.dumps(msg)))
        return msg

    @staticmethod
    def _detect(first_line):
        try:
            msg = _decode(first_line.decode("utf-8"))
        except ValueError:
            return JSON  # multi-line JSON: only the JSON serializer allows that
        conf = msg.get("conf") if type(msg) is dict else None
        if type(conf) is dict and normalize_serializer(conf.get("topology.multilang.serializer")) == NDJSON:
            return NDJSON
        return JSON

    def answer_handshake(self, pid, context, accept_extensions):
        """Sends the pid reply, accepting the offered extensions named in
        ``accept_extensions``; sets :attr:`batch`.

        :raises ParentGone: if the parent closed the pipe.
        """
        accepted = self._negotiate(context, accept_extensions)
        reply = {"pid": pid}
        if accepted:
            reply["squall"] = {"extensions": accepted}
        self.write_now(reply)
        self.batch = EXTENSION_BATCH in accepted

    def _negotiate(self, context, accept_extensions):
        if self.serializer == NDJSON:
            return []  # ndjson has no batch form
        offer = context.get("squall")
        offered = offer.get("extensions") if isinstance(offer, dict) else None
        if not isinstance(offered, list):
            return []
        return [x for x in accept_extensions if x in offered]

    # ------------------------------------------------------------------ writing

    def write_now(self, msg):
        """Writes one message as its own frame, ahead of anything queued in :attr:`out`."""
        self._write(self._frames([msg]))

    def flush(self):
        """Encodes and writes everything queued in :attr:`out` (one ``os.write`` loop).

        Messages are taken with slice operations, so other threads may keep appending.

        :raises SerializationError: if a message cannot be encoded; the messages before it
            are written, it and the ones after it are dropped.
        :raises ParentGone: if the parent closed its end of the pipe.
        """
        if not self.out:
            return
        msgs = self._take_out()
        try:
            data = self._frames(msgs)
        except (TypeError, ValueError, OverflowError) as e:
            good, bad, err = self._split_bad(msgs, e)
            if good:
                self._write(self._frames(good))
            raise SerializationError("cannot encode a %r message as JSON (%s): %s; it and %d later message(s) were dropped"
                                     % (bad.get("command", "?"), err, _excerpt(repr(bad)), len(msgs) - len(good) - 1))
        self._write(data)

    def _split_bad(self, msgs, first_error):
        for i, m in enumerate(msgs):
            try:
                _encode(m)
            except (TypeError, ValueError, OverflowError) as e:
                return msgs[:i], m, e
        return msgs, {}, first_error  # pragma: no cover (the whole list failed, no part did)

    def _frames(self, msgs):
        """Encodes messages as wire bytes for the current serializer and mode."""
        try:
            return self._encode_frames(msgs, _encode).encode("utf-8")
        except UnicodeEncodeError:
            return self._encode_frames(msgs, _encode_ascii).encode("utf-8")

    def _encode_frames(self, msgs, enc):
        if self.serializer == NDJSON:
            return "\n".join(map(enc, msgs)) + "\n"
        if not self.batch or len(msgs) == 1:
            return _END.join(map(enc, msgs)) + _END
        if len(msgs) <= MAX_BATCH:
            text = enc(msgs)
            if len(text) <= MAX_BATCH_BYTES:
                return text + _END
        return self._encode_large(msgs, enc)

    def _encode_large(self, msgs, enc):
        parts = []
        todo = [msgs[i:i + MAX_BATCH] for i in range(0, len(msgs), MAX_BATCH)]
        todo.reverse()
        while todo:
            group = todo.pop()
            text = enc(group) if len(group) > 1 else enc(group[0])
            if len(text) > MAX_BATCH_BYTES and len(group) > 1:
                half = len(group) // 2
                todo.append(group[half:])
                todo.append(group[:half])
                continue
            parts.append(text)
        return _END.join(parts) + _END

    def _write(self, data):
        fd = self.out_fd
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(fd, view):]
        except (BrokenPipeError, ConnectionResetError):
            raise ParentGone("stdout closed by the parent")
