"""Serve the sandbox over real HTTP on loopback: `start_sandbox()` for tests, `main()` for the demo.

python -m printconnect.sandbox.server --port 8100 --seed-demo [--stream] [--stream-every 60]
"""

from __future__ import annotations

import argparse
import socketserver
import sys
import threading
import time
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from printconnect.sandbox.woocommerce import seed
from printconnect.sandbox.woocommerce.app import WooCommerceSandbox


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up (timeouts in tests)
            return
        super().handle_error(request, client_address)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class SandboxServer:
    """A running sandbox: `.url` (http://127.0.0.1:<port>), `.app` (the WooCommerceSandbox), `.stop()`."""

    def __init__(self, app: WooCommerceSandbox, host: str, port: int) -> None:
        self.app = app
        self._httpd = make_server(host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
        self.host, self.port = self._httpd.server_address[:2]
        self.url = f"http://{self.host}:{self.port}"
        app.root_url = self.url
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="sandbox-http", daemon=True)
        self._thread.start()

    def store_url(self, slug: str) -> str:
        return f"{self.url}/woo/{slug}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sandbox(host: str = "127.0.0.1", port: int = 0, *, app: WooCommerceSandbox | None = None) -> SandboxServer:
    return SandboxServer(app or WooCommerceSandbox(), host, port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="printconnect's loopback platform sandbox (WooCommerce).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--seed-demo", action="store_true", help="create and seed the two demo stores")
    parser.add_argument("--orders", type=int, default=60, help="orders per demo store")
    parser.add_argument("--stream", action="store_true", help="add a few new orders to every store periodically")
    parser.add_argument("--stream-every", type=float, default=60.0, help="seconds between batches (default 60)")
    parser.add_argument("--stream-count", type=int, default=3, help="orders per store per batch (default 3)")
    args = parser.parse_args(argv)

    server = start_sandbox(args.host, args.port)
    print(f"Sandbox listening on {server.url}  (admin API: {server.url}/__sandbox__/stores)", flush=True)
    if args.seed_demo:
        for store in seed.seed_demo(server.app, orders=args.orders):
            print(
                f"WooCommerce store {store.name!r}\n"
                f"  base URL:        {store.base_url}\n"
                f"  consumer key:    {store.consumer_key}\n"
                f"  consumer secret: {store.consumer_secret}\n"
                f"  webhook secret:  {store.webhook_secret}\n"
                f"  orders/products: {len(store.orders)}/{len(store.products)}",
                flush=True,
            )
    try:
        while True:
            time.sleep(args.stream_every if args.stream else 3600)
            if args.stream:
                with server.app.lock:
                    stores = list(server.app.stores.values())
                for store in stores:
                    added = seed.add_orders(store, args.stream_count)
                    print(f"{store.slug}: new orders {', '.join(str(o['id']) for o in added)}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
