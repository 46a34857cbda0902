"""A tiny SMTP server for tests: it accepts every message and keeps it (raw headers and
all), so a worker subprocess can send real mail over a real socket."""

import email
import socketserver
import threading
import time
from contextlib import contextmanager


class _Handler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())
        self.wfile.flush()

    def handle(self):
        sink = self.server.sink
        self.reply("220 sink ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 sink")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                lines = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                sink.received(email.message_from_bytes(b"".join(lines)))
                # The message is with us; the sender learns so only after this pause
                # (the window in which a killed worker has sent but not yet recorded it).
                time.sleep(sink.reply_delay)
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpSink:
    def __init__(self, reply_delay: float = 0.0):
        self.reply_delay = reply_delay
        self.messages: list[email.message.Message] = []
        self._lock = threading.Lock()
        self.port = 0

    def received(self, message) -> None:
        with self._lock:
            self.messages.append(message)

    def count(self) -> int:
        with self._lock:
            return len(self.messages)


@contextmanager
def smtp_sink(reply_delay: float = 0.0):
    """An SMTP server on a free loopback port, for the duration of the block."""
    sink = SmtpSink(reply_delay)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.sink = sink
    sink.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
