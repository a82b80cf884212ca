"""A real postback receiver on loopback: a small threaded HTTP server recording what arrives.

It verifies every signature and dedupes on the Idempotency-Key the way a receiver is told to, so tests can tell
"delivered twice" (raw receipts) from "a duplicate effect" (effects applied more than once, which must never happen).
"""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from printconnect.integrations.services.outbox import postback_verify


@dataclass
class Receipt:
    event_id: str
    order_id: int
    kind: str
    body: dict[str, Any]
    headers: dict[str, str]
    signed_ok: dict[str, bool]


@dataclass
class Receiver:
    secrets: list[str] = field(default_factory=list)  # signatures checked against each
    status: int = 200  # what it answers; 503 = "down"
    receipts: list[Receipt] = field(default_factory=list)
    effects: list[str] = field(default_factory=list)  # event ids applied, once per Idempotency-Key
    seen: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/printconnect"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in separate writes: without this, delayed ACKs cost 40 ms a request.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = dict(self.headers.items())
                with receiver.lock:
                    status = receiver.status
                    if status < 300:
                        document = json.loads(body)
                        signed = {s: postback_verify(secret=s, headers=headers, body=body) for s in receiver.secrets}
                        receiver.receipts.append(
                            Receipt(
                                document["id"],
                                document["data"]["order_id"],
                                document["type"],
                                document,
                                headers,
                                signed,
                            )
                        )
                        key = headers.get("Idempotency-Key", "")
                        if key not in receiver.seen:  # a set: the bench sends 10,000
                            receiver.seen.add(key)
                            receiver.effects.append(key)
                reply = b'{"ok":true}' if status < 300 else b"down for maintenance"
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def clear(self) -> None:
        with self.lock:
            self.receipts.clear()
            self.effects.clear()
            self.seen.clear()

    def duplicates(self) -> int:
        return sum(n - 1 for n in Counter(r.event_id for r in self.receipts).values() if n > 1)

    def order_sequence(self, order_id: int) -> list[str]:
        """The event ids of one order in the order they first arrived."""
        seen: list[str] = []
        for receipt in self.receipts:
            if receipt.order_id == order_id and receipt.event_id not in seen:
                seen.append(receipt.event_id)
        return seen
