"""SafeSession: SSRF guard, retries, redirects, logging. No database; the only server is on loopback."""

from __future__ import annotations

import logging
import socket
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import responses

from printconnect.core.http import (
    OutboundBlockedError,
    OutboundError,
    OutboundRateLimitedError,
    OutboundTLSError,
    OutboundUnavailableError,
    SafeSession,
    parse_retry_after,
    safe_session_from_settings,
)

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"

FAKE_DNS = {
    "shop.example": [PUBLIC_V4],
    "rebind.example": [PUBLIC_V4, "10.0.0.7"],  # public first, private second
    "mixed6.example": [PUBLIC_V6, PUBLIC_V4, "fd12:3456::1"],
    "meta.example": ["169.254.169.254"],
    "loop.example": ["127.0.0.1"],
    "loop6.example": ["::1"],
    "mapped.example": ["::ffff:192.168.1.1"],
    "cgnat.example": [PUBLIC_V4, "100.64.1.1"],
    "zero.example": ["0.0.0.0"],  # noqa: S104
    "ula.example": ["fc00::5"],
    "ll6.example": ["fe80::1%eth0"],
}


def fake_resolver(host: str, port: int) -> list[str]:
    try:
        return FAKE_DNS[host]
    except KeyError:
        raise socket.gaierror(f"unknown test name {host}") from None


HOSTILE_URLS = [
    # loopback, in every spelling inet_aton and the URL parsers accept
    "http://127.0.0.1/",
    "http://127.0.0.1:8000/admin",
    "http://127.1/",
    "http://127.0.1/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0177.1/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://0x7F.0x00.0x00.0x01/",
    "http://017700000001/",
    "http://127.0.0.1./",
    "http://127.255.255.254/",
    "http://localhost/",
    "http://localhost./",
    "http://LOCALHOST:80/",
    "http://api.localhost/",
    "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::127.0.0.1]/",
    "http://[2002:7f00:1::]/",
    "http://[64:ff9b::7f00:1]/",
    # unspecified
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    # cloud metadata and link-local
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.170.2/v2/credentials",
    "http://2852039166/",
    "http://0xa9fea9fe/",
    "http://[fd00:ec2::254]/",
    "http://[fe80::1]/",
    "http://[fe80::a9fe:a9fe%25eth0]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://100.100.100.200/latest/meta-data/",
    # every private and special range
    "http://10.0.0.1/",
    "http://10.255.255.255/",
    "http://172.16.0.1/",
    "http://172.31.255.254/",
    "http://192.168.0.1/",
    "http://192.168.1.1:8443/",
    "http://100.64.0.1/",
    "http://192.0.0.1/",
    "http://198.18.0.1/",
    "http://224.0.0.1/",
    "http://239.255.255.250:1900/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://[fc00::1]/",
    "http://[fd12:3456:789a::1]/",
    "http://[ff02::1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[2002:c0a8:101::]/",
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    "https://printer.local/",
    # schemes other than http(s)
    "file:///etc/passwd",
    "file://localhost/etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "ftp://ftp.example.com/",
    "dict://127.0.0.1:11211/stat",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ldap://127.0.0.1/",
    "//127.0.0.1/",
    "shop.example/orders",
    # userinfo and parser-confusion tricks
    "http://evil@127.0.0.1/",
    "http://shop.example@127.0.0.1/",
    "http://user:pass@shop.example/",
    "http://shop.example\\@127.0.0.1/",
    "http://127.0.0.1\\.shop.example/",
    "http://shop.example /",
    " http://127.0.0.1/",
    "http://127.0.0.1\t/",
    "http://shop.example\n.127.0.0.1/",
    "http://127.0.0.1%2f@shop.example/",
    "http://①②⑦.0.0.1/",
    "http://１２７．０．０．１/",
    "http://1.2.3.4.5/",
    "http://0x100000000/",
    "http://shop.example:0/",
    "http://shop.example:99999/",
    # names whose (fake) DNS answers include a blocked address
    "http://rebind.example/",
    "https://mixed6.example/",
    "http://meta.example/latest/meta-data/",
    "http://loop.example/",
    "http://loop6.example/",
    "http://mapped.example/",
    "http://cgnat.example/",
    "http://zero.example/",
    "http://ula.example/",
    "http://ll6.example/",
]


@pytest.fixture
def connect_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record (and refuse) every socket connect and adapter send, to prove nothing left the process."""
    calls: list[Any] = []

    def record_connect(self: socket.socket, address: Any) -> None:
        calls.append(("connect", address))
        raise AssertionError("a connection was attempted")

    def record_send(self: Any, request: Any, **kwargs: Any) -> None:
        calls.append(("send", request.url))
        raise AssertionError("a request was sent")

    monkeypatch.setattr(socket.socket, "connect", record_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", record_connect)
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", record_send)
    return calls


def test_corpus_is_large_enough():
    assert len(HOSTILE_URLS) >= 60
    assert len(set(HOSTILE_URLS)) == len(HOSTILE_URLS)


@pytest.mark.parametrize("url", HOSTILE_URLS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_request_is_blocked_without_connecting_when_url_is_hostile(url, method, connect_calls):
    session = SafeSession(resolver=fake_resolver, sleep=lambda s: None)
    with pytest.raises(OutboundBlockedError) as excinfo:
        session.request(method, url)
    assert connect_calls == []
    assert excinfo.value.reason
    assert "@" not in excinfo.value.url  # userinfo never echoed


def test_blocked_error_message_has_no_userinfo_or_query_when_url_carries_them(connect_calls):
    session = SafeSession(resolver=fake_resolver)
    with pytest.raises(OutboundBlockedError) as excinfo:
        session.get("http://ck_user:cs_pass@10.0.0.1/x?consumer_secret=cs_secret")
    text = f"{excinfo.value} {excinfo.value.url} {excinfo.value.reason}"
    assert "cs_secret" not in text
    assert "cs_pass" not in text
    assert "ck_user" not in text


def test_public_name_passes_the_guard_when_every_address_is_public():
    session = SafeSession(resolver=fake_resolver)
    target = session._check("https://shop.example/wp-json/wc/v3/orders")
    assert (target.ip, target.hostname, target.port) == (PUBLIC_V4, "shop.example", 443)


def test_unknown_kwargs_are_refused_when_they_would_override_session_config():
    session = SafeSession(resolver=fake_resolver)
    with pytest.raises(TypeError, match="verify"):
        session.get("https://shop.example/", verify=False)
    with pytest.raises(TypeError, match="timeout"):
        session.get("https://shop.example/", timeout=99)


# --- a real server on loopback ---------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    hits: dict[str, int]
    seen_hosts: list[str]

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: bytes = b"ok", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self) -> None:
        path = self.path.split("?", 1)[0]
        hits = self.server.hits  # type: ignore[attr-defined]
        hits[path] = hits.get(path, 0) + 1
        self.server.seen_hosts.append(self.headers.get("Host", ""))  # type: ignore[attr-defined]
        self.server.seen_auth.append(self.headers.get("Authorization"))  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        n = hits[path]
        if path == "/ok":
            self._reply(200, b"hello")
        elif path == "/flaky":
            self._reply(500 if n <= 2 else 200, b"finally")
        elif path == "/throttled":
            self._reply(429 if n == 1 else 200, headers={"Retry-After": "2"})
        elif path == "/down":
            self._reply(503)
        elif path == "/error":
            self._reply(500)
        elif path == "/notfound":
            self._reply(404)
        elif path == "/moved":
            self._reply(302, headers={"Location": "/ok"})
        elif path == "/see-other":
            self._reply(303, headers={"Location": "/ok"})
        elif path.startswith("/loop"):
            self._reply(302, headers={"Location": f"/loop{n}-{len(hits)}"})
        elif path == "/slow":
            time.sleep(0.4)
            self._reply(200)
        else:
            self._reply(404)

    do_GET = _route
    do_POST = _route
    do_PUT = _route
    do_DELETE = _route


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the slow handler writes after the client gave up: a broken pipe is the expected outcome


@pytest.fixture
def server() -> Any:
    httpd = _QuietServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.hits = {}  # type: ignore[attr-defined]
    httpd.seen_hosts = []  # type: ignore[attr-defined]
    httpd.seen_auth = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"  # type: ignore[attr-defined]
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def local_session(sleeps: list[float]) -> Any:
    session = SafeSession(allow_private=True, max_retries=3, read_timeout=0.15, sleep=sleeps.append)
    yield session
    session.close()


def test_get_returns_body_when_server_answers_200(server, local_session):
    response = local_session.get(f"{server.base}/ok", params={"a": "1"})
    assert (response.status_code, response.text) == (200, "hello")


def test_non_retryable_status_is_returned_when_server_answers_404(server, local_session):
    assert local_session.get(f"{server.base}/notfound").status_code == 404
    assert server.hits["/notfound"] == 1


def test_get_is_retried_with_jittered_backoff_when_server_answers_500_twice(server, local_session, sleeps):
    response = local_session.get(f"{server.base}/flaky")
    assert response.text == "finally"
    assert server.hits["/flaky"] == 3
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.5
    assert 0 <= sleeps[1] <= 1.0


def test_retry_after_is_honoured_when_server_answers_429(server, local_session, sleeps):
    assert local_session.get(f"{server.base}/throttled").status_code == 200
    assert sleeps == [2.0]


def test_post_is_retried_when_server_answers_429(server, local_session, sleeps):
    assert local_session.post(f"{server.base}/throttled", json={"x": 1}).status_code == 200
    assert server.hits["/throttled"] == 2


def test_unavailable_is_raised_after_retries_when_server_always_answers_503(server, local_session, sleeps):
    with pytest.raises(OutboundUnavailableError) as excinfo:
        local_session.get(f"{server.base}/down")
    assert excinfo.value.status_code == 503
    assert server.hits["/down"] == 4  # first try + max_retries
    assert len(sleeps) == 3


def test_post_is_not_retried_when_server_answers_500(server, local_session, sleeps):
    with pytest.raises(OutboundUnavailableError) as excinfo:
        local_session.post(f"{server.base}/error", json={"order": 1})
    assert excinfo.value.status_code == 500
    assert server.hits["/error"] == 1
    assert sleeps == []


def test_redirect_is_followed_when_it_points_to_another_path(server, local_session):
    response = local_session.get(f"{server.base}/moved")
    assert (response.status_code, response.text) == (200, "hello")
    assert [r.status_code for r in response.history] == [302]


def test_post_becomes_get_when_server_answers_303(server, local_session):
    response = local_session.post(f"{server.base}/see-other", data=b"payload")
    assert response.request.method == "GET"
    assert response.text == "hello"


def test_redirect_chain_is_blocked_when_longer_than_max_redirects(server, sleeps):
    session = SafeSession(allow_private=True, max_redirects=3, sleep=sleeps.append)
    with pytest.raises(OutboundBlockedError, match="more than 3 redirects"):
        session.get(f"{server.base}/loop")
    assert sum(n for path, n in server.hits.items() if path.startswith("/loop")) == 4


def test_get_raises_unavailable_after_retries_when_reads_time_out(server, sleeps):
    session = SafeSession(allow_private=True, max_retries=1, read_timeout=0.1, sleep=sleeps.append)
    with pytest.raises(OutboundUnavailableError) as excinfo:
        session.get(f"{server.base}/slow")
    assert excinfo.value.status_code is None
    assert server.hits["/slow"] == 2


def test_post_is_not_retried_when_read_times_out(server, sleeps):
    session = SafeSession(allow_private=True, max_retries=3, read_timeout=0.1, sleep=sleeps.append)
    with pytest.raises(OutboundUnavailableError):
        session.post(f"{server.base}/slow", json={})
    assert server.hits["/slow"] == 1


def test_post_is_retried_when_connection_is_refused(sleeps):
    with socket.socket() as probe:  # a free port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    session = SafeSession(allow_private=True, max_retries=2, sleep=sleeps.append)
    with pytest.raises(OutboundUnavailableError):
        session.post(f"http://127.0.0.1:{port}/", json={})
    assert len(sleeps) == 2


def test_connection_goes_to_the_checked_address_when_dns_would_rebind(server, sleeps):
    answers = iter([["127.0.0.1"], ["10.9.9.9"], ["10.9.9.9"]])
    calls: list[str] = []

    def rebinding_resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    port = server.server_address[1]
    session = SafeSession(allow_private=True, resolver=rebinding_resolver, sleep=sleeps.append)
    # conftest refuses getaddrinfo("shop.example"): a second lookup by urllib3 would fail the test.
    response = session.get(f"http://shop.example:{port}/ok")
    assert response.text == "hello"
    assert calls == ["shop.example"]
    assert server.seen_hosts == [f"shop.example:{port}"]


def test_tls_failure_raises_tls_error_and_sends_sni_of_the_name_when_pinned(tmp_path, sleeps):
    import ssl
    import subprocess

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=shop.example",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    sni: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: sni.append(name)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def serve_once() -> None:
        conn, _ = listener.accept()
        try:
            context.wrap_socket(conn, server_side=True).close()
        except (ssl.SSLError, OSError):
            conn.close()

    thread = threading.Thread(target=serve_once, daemon=True)
    thread.start()
    session = SafeSession(allow_private=True, resolver=lambda h, p: ["127.0.0.1"], sleep=sleeps.append)
    with pytest.raises(OutboundTLSError, match="certificate verify failed"):
        session.get(f"https://shop.example:{port}/ok")
    thread.join(2)
    listener.close()
    assert sni == ["shop.example"]
    assert sleeps == []  # not retried


# --- every redirect hop is checked (responses fakes the public first hop) ------------------------------------------


@responses.activate
def test_redirect_to_loopback_is_blocked_when_first_hop_is_public():
    responses.get("https://shop.example/wp-json/wc/v3/orders", status=302, headers={"Location": "http://127.0.0.1/"})
    session = SafeSession(resolver=fake_resolver, sleep=lambda s: None)
    with pytest.raises(OutboundBlockedError, match="loopback"):
        session.get("https://shop.example/wp-json/wc/v3/orders")
    assert len(responses.calls) == 1


@responses.activate
def test_redirect_to_a_name_resolving_to_metadata_is_blocked_when_first_hop_is_public():
    responses.get("https://shop.example/a", status=301, headers={"Location": "http://meta.example/latest"})
    session = SafeSession(resolver=fake_resolver, sleep=lambda s: None)
    with pytest.raises(OutboundBlockedError, match=r"169\.254\.169\.254"):
        session.get("https://shop.example/a")
    assert len(responses.calls) == 1


@responses.activate
def test_authorization_is_dropped_when_redirect_changes_host():
    FAKE_DNS["cdn.example"] = ["93.184.216.35"]
    try:
        responses.get("https://shop.example/img", status=302, headers={"Location": "https://cdn.example/img.png"})
        responses.get("https://cdn.example/img.png", body=b"png")
        session = SafeSession(resolver=fake_resolver)
        response = session.get("https://shop.example/img", headers={"Authorization": "Bearer tok_secret"})
    finally:
        del FAKE_DNS["cdn.example"]
    assert response.content == b"png"
    assert responses.calls[0].request.headers["Authorization"] == "Bearer tok_secret"
    assert "Authorization" not in responses.calls[1].request.headers


@responses.activate
def test_rate_limited_is_raised_with_retry_after_when_429_persists():
    responses.get("https://shop.example/orders", status=429, headers={"Retry-After": "3"})
    sleeps: list[float] = []
    session = SafeSession(resolver=fake_resolver, max_retries=2, sleep=sleeps.append)
    with pytest.raises(OutboundRateLimitedError) as excinfo:
        session.get("https://shop.example/orders")
    assert excinfo.value.retry_after == 3.0
    assert sleeps == [3.0, 3.0]
    assert len(responses.calls) == 3


@responses.activate
def test_rate_limited_is_raised_at_once_when_retry_after_exceeds_backoff_max():
    responses.get("https://shop.example/orders", status=503, headers={"Retry-After": "3600"})
    sleeps: list[float] = []
    session = SafeSession(resolver=fake_resolver, backoff_max=30, sleep=sleeps.append)
    with pytest.raises(OutboundRateLimitedError) as excinfo:
        session.get("https://shop.example/orders")
    assert excinfo.value.retry_after == 3600.0
    assert sleeps == []


# --- logging ---------------------------------------------------------------------------------------------------------


def test_logs_carry_no_credentials_when_request_has_keys_in_query_and_auth(server, local_session, caplog):
    caplog.set_level(logging.DEBUG)
    local_session.get(
        f"{server.base}/flaky",
        params={"consumer_key": "ck_secret", "consumer_secret": "cs_secret"},
        headers={"Authorization": "Basic YXV0aF9zZWNyZXQ="},
    )
    events = [r for r in caplog.records if r.name == "printconnect.core.http"]
    assert {r.getMessage() for r in events} == {"core.http.request", "core.http.retry"}
    assert {r.path for r in events} == {"/flaky"}
    assert [r.attempt for r in events if r.getMessage() == "core.http.request"] == [1, 2, 3]
    assert all(isinstance(r.latency_ms, float) for r in events if r.getMessage() == "core.http.request")
    for record in caplog.records:
        dumped = f"{record.getMessage()} {record.__dict__!r}"
        for secret in ("ck_secret", "cs_secret", "YXV0aF9zZWNyZXQ="):
            assert secret not in dumped, record.name


def test_blocked_request_is_logged_without_userinfo_when_url_is_hostile(caplog):
    caplog.set_level(logging.DEBUG, logger="printconnect.core.http")
    session = SafeSession(resolver=fake_resolver)
    with pytest.raises(OutboundBlockedError):
        session.get("http://meta.example/latest?token=tk_secret")
    (record,) = [r for r in caplog.records if r.getMessage() == "core.http.blocked"]
    assert record.host == "meta.example"
    assert "tk_secret" not in repr(record.__dict__)


# --- parse_retry_after and the factory -------------------------------------------------------------------------------

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", 2.0),
        (" 120 ", 120.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("Thu, 01 Jan 2026 12:00:30 GMT", 30.0),
        ("Thursday, 01-Jan-26 12:01:00 GMT", 60.0),
        ("Thu Jan  1 12:00:10 2026", 10.0),
        ("Thu, 01 Jan 2026 11:00:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1e3", None),
        ("Thu, 99 Foo 2026", None),
    ],
)
def test_parse_retry_after_reads_seconds_and_dates_when_given_header_values(value, expected):
    assert parse_retry_after(value, now=NOW) == expected


def test_factory_reads_settings_when_overrides_are_absent(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.OUTBOUND_MAX_RETRIES = 7
    session = safe_session_from_settings(read_timeout=9)
    assert (session.allow_private, session.max_retries, session.timeout) == (True, 7, (5.0, 9.0))


def test_errors_share_one_base_when_caught_by_connectors():
    for cls in (OutboundBlockedError, OutboundRateLimitedError, OutboundUnavailableError, OutboundTLSError):
        assert issubclass(cls, OutboundError)
    assert OutboundRateLimitedError(retry_after=3).retry_after == 3.0
    assert OutboundUnavailableError(status_code=502).status_code == 502
