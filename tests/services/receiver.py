"""A tiny real HTTP server standing in for a portal's back-channel logout endpoint."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class Receiver:
    """Records every POST; answers with the next status of ``statuses`` (the last one repeats)."""

    def __init__(self, statuses=(200,), delay: float = 0.0):
        self.statuses = list(statuses)
        self.delay = delay
        self.received: list[dict] = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = parse_qs(self.rfile.read(length).decode())
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver.cond:
                    status = receiver.statuses[min(len(receiver.received), len(receiver.statuses) - 1)]
                    receiver.received.append({"form": {k: v[0] for k, v in body.items()},
                                              "content_type": self.headers.get("Content-Type"), "status": status,
                                              "at": time.time()})
                    receiver.cond.notify_all()
                self.send_response(status)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/backchannel-logout"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict]:
        deadline = time.time() + timeout
        with self.cond:
            while len(self.received) < count:
                remaining = deadline - time.time()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} deliveries, got {len(self.received)}")
                self.cond.wait(remaining)
            return list(self.received)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
