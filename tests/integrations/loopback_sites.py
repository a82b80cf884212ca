"""Real HTTP(S) servers on loopback that are not WooCommerce, for connection checks: a plain web site, a WordPress
without WooCommerce, a firewall answering 403, and an https site with a self-signed certificate.

Each answers every path the same way; `.url` is its base URL and `.requests` the paths it was asked for.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PAGES: dict[str, tuple[int, str, bytes]] = {
    # status, content type, body
    "html": (200, "text/html; charset=UTF-8", b"<!doctype html><title>Just a site</title><h1>Welcome</h1>"),
    "html404": (404, "text/html; charset=UTF-8", b"<!doctype html><title>Not found</title>"),
    "wordpress": (
        404,
        "application/json; charset=UTF-8",
        json.dumps(
            {
                "code": "rest_no_route",
                "message": "No route was found matching the URL and request method.",
                "data": {"status": 404},
            }
        ).encode(),
    ),
    "firewall": (403, "text/html", b"<html><body><h1>403 Forbidden</h1>Request blocked.</body></html>"),
    "not_woo_json": (200, "application/json", b'{"name": "Some API", "routes": {}}'),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        self.server.seen.append(f"{self.command} {self.path}")  # type: ignore[attr-defined]
        status, kind, body = PAGES[self.server.page]  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # TLS handshakes refused by the client end in errors here; they are the point of the test


class Site:
    def __init__(self, page: str, *, tls: bool = False) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.page = page  # type: ignore[attr-defined]
        self._server.seen = []  # type: ignore[attr-defined]
        if tls:
            self._server.socket = _self_signed_context().wrap_socket(self._server.socket, server_side=True)
        port = self._server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def requests(self) -> list[str]:
        return list(self._server.seen)  # type: ignore[attr-defined]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def site(page: str, *, tls: bool = False) -> Iterator[Site]:
    server = Site(page, tls=tls)
    try:
        yield server
    finally:
        server.stop()


def closed_port_url() -> str:
    """An http URL on loopback where nothing listens (the port was just free)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _self_signed_context() -> ssl.SSLContext:
    """A server context with a certificate for 127.0.0.1 signed by itself, as a shop without a real certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory(prefix="pc-tls-") as tmp:
        folder = Path(tmp)
        (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / "key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


def answer_invalid_names_with_nxdomain(monkeypatch: object) -> None:
    """Names under .invalid never resolve (RFC 6761); the tests' network guard refuses to ask DNS at all, so give the
    resolver's real answer for them ("Name or service not known") and leave every other name to the guard."""
    guarded = socket.getaddrinfo

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if isinstance(host, str) and host.rstrip(".").endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return guarded(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)  # type: ignore[attr-defined]
