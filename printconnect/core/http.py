"""The one outbound HTTP session every store connector uses.

`SafeSession` wraps `requests` with what talking to shop-owner-supplied URLs needs:

- an SSRF guard: http/https only, the host is resolved here and every address must be public (unless
  `allow_private`), and the connection then goes to the address that was checked (no second DNS lookup);
- redirects followed by hand, re-checking every hop;
- retries with exponential backoff and full jitter, honouring `Retry-After`, only where a retry is safe;
- failures turned into typed `OutboundError`s whose messages never carry credentials or query strings;
- one log line per attempt without headers, query strings, bodies or userinfo.

This is the lowest layer: it imports nothing from the printconnect apps, and reads Django settings only in
`safe_session_from_settings()`, so connectors get a ready session and never read settings themselves.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import random
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

logger = logging.getLogger("printconnect.core.http")

Resolver = Callable[[str, int], Iterable[str]]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_ALLOWED_KWARGS = frozenset({"params", "data", "json", "headers", "auth", "files", "cookies", "stream"})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PIN_ATTR = "_printconnect_pin"

_RESOLUTION = "Resolution: check the store's base URL; it must be a public http(s) address."


# --- errors --------------------------------------------------------------------------------------------------------


class OutboundError(Exception):
    """Base of every outbound failure. Messages name scheme, host and path only, never credentials."""


class OutboundBlockedError(OutboundError):
    """Refused before any connection was made. `url` is the sanitised URL (no userinfo, no query string)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"Refused outbound request to {url}: {reason}. {_RESOLUTION}")


class OutboundRateLimitedError(OutboundError):
    """The remote kept answering 429 (or 503 with Retry-After); try again after `retry_after` seconds."""

    def __init__(self, message: str = "", *, retry_after: float) -> None:
        self.retry_after = float(retry_after)
        super().__init__(message or f"The remote is rate limiting us; retry after {self.retry_after:g} s.")


class OutboundUnavailableError(OutboundError):
    """5xx, timeouts or connection errors after the retries were spent (`status_code` is None without a reply)."""

    def __init__(self, message: str = "", *, status_code: int | None = None) -> None:
        self.status_code = status_code
        super().__init__(message or f"The remote is unavailable (status {status_code}); retry later.")


class OutboundTLSError(OutboundError):
    """Certificate or TLS handshake failure; never retried, a person has to fix the certificate or the URL."""


# --- Retry-After -------------------------------------------------------------------------------------------------


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` value (delta-seconds or HTTP-date); None when absent or garbage.

    A date in the past gives 0.0. `now` (aware datetime) is injectable for tests.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # RFC 850 / asctime forms carry no zone; HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(tz=UTC)
    return max(0.0, (when - now).total_seconds())


# --- the SSRF guard --------------------------------------------------------------------------------------------------

# Explicit ranges, so the verdict does not depend on which Python patch release fixed `is_private`.
_BLOCKED_V4 = [
    (ipaddress.ip_network(net), why)
    for net, why in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared (carrier-grade NAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local (cloud metadata)"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved (IETF protocol assignments)"),
        ("192.0.2.0/24", "reserved (documentation)"),
        ("192.88.99.0/24", "reserved (6to4 relay)"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "reserved (benchmarking)"),
        ("198.51.100.0/24", "reserved (documentation)"),
        ("203.0.113.0/24", "reserved (documentation)"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
    )
]
_BLOCKED_V6 = [
    (ipaddress.ip_network(net), why)
    for net, why in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "reserved (IPv4-compatible)"),
        ("64:ff9b:1::/48", "private (local-use NAT64)"),
        ("100::/64", "reserved (discard-only)"),
        ("2001::/32", "reserved (Teredo)"),
        ("2001:db8::/32", "reserved (documentation)"),
        ("fc00::/7", "private (unique local)"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "reserved (site-local)"),
        ("ff00::/8", "multicast"),
    )
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_BLOCKED_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_BLOCKED_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".localdomain")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)
_HOSTNAME = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$")


def address_block_reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why this address may not be reached from a connector, or None when it is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = address_block_reason(embedded)
            return f"{inner} (embedded in {ip})" if inner else None
        table: list[Any] = _BLOCKED_V6
    else:
        table = _BLOCKED_V4
    for network, why in table:
        if ip in network:
            return f"{ip} is {why}"
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return f"{ip} is not a globally routable address"
    return None


def _parse_loose_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """inet_aton's reading of a host (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`), which is what the C
    resolver (and so `getaddrinfo`) would connect to. None when the host is not numeric; ValueError when it
    looks numeric but is not a valid address (refused rather than guessed)."""
    labels = host.split(".")
    if not _NUMERIC_LABEL.match(labels[-1]):
        return None
    if len(labels) > 4 or not all(_NUMERIC_LABEL.match(label) for label in labels):
        raise ValueError("numeric host that is not a valid IPv4 address")
    values = []
    for label in labels:
        if label[:2].lower() == "0x":
            values.append(int(label[2:] or "0", 16))
        elif len(label) > 1 and label.startswith("0"):
            if not re.fullmatch(r"[0-7]+", label):
                raise ValueError("numeric host with an invalid octal part")
            values.append(int(label, 8))
        else:
            values.append(int(label))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        raise ValueError("numeric host out of range")
    number = last
    for index, value in enumerate(head):
        number += value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


def sanitize_url(url: str) -> str:
    """scheme://host[:port]/path: no userinfo, query string or fragment; safe for messages and logs."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<unparseable URL>"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    return f"{parts.scheme}://{netloc}{parts.path}"


@dataclass(frozen=True)
class _Target:
    scheme: str
    hostname: str  # as in the URL (lower case, no brackets); Host header, SNI and certificate name
    port: int
    ip: str  # the checked address the connection is pinned to

    @property
    def host_header(self) -> str:
        host = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def _precheck_raw(url: str) -> None:
    """Refuse what parsers disagree about before anything parses it: scheme, whitespace, backslash, userinfo."""
    safe = sanitize_url(url) if isinstance(url, str) else "<not a string>"
    if not isinstance(url, str):
        raise OutboundBlockedError(safe, "the URL is not a string")
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url) or "\\" in url:
        raise OutboundBlockedError(safe, "the URL contains whitespace, control characters or a backslash")
    parts = urlsplit(url)
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        raise OutboundBlockedError(safe, f"scheme {parts.scheme.lower()[:10]!r} is not http or https")
    if "@" in parts.netloc:
        raise OutboundBlockedError(safe, "credentials in the URL (userinfo) are not allowed; pass auth= instead")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:  # requests would silently drop ":0" and connect to the default port
        raise OutboundBlockedError(safe, "the port is not a number between 1 and 65535")


def _default_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


# --- pinned transport ------------------------------------------------------------------------------------------------


class _PinnedAdapter(HTTPAdapter):
    """Connects to the address the guard checked, never to a fresh DNS answer (DNS rebinding).

    Choice: rather than rewriting the URL to the IP, we keep the URL (so requests builds Host and path as
    usual) and swap only the pool's host for the checked IP, passing the original name as urllib3's
    `server_hostname` (TLS SNI) and `assert_hostname` (certificate check). Both are part of urllib3's pool
    key, so a pool is never shared between two IPs or two names. A request without a pin is refused: this
    adapter cannot be used to reach an unchecked host by accident.
    """

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        target: _Target | None = getattr(request, _PIN_ATTR, None)
        url_host = (host_params.get("host") or "").lower()
        if target is None or url_host != target.hostname:
            raise OutboundBlockedError(sanitize_url(request.url or ""), "the request was not checked by the guard")
        host_params["host"] = target.ip
        host_params["port"] = target.port
        if target.scheme == "https":
            pool_kwargs["server_hostname"] = target.hostname
            pool_kwargs["assert_hostname"] = target.hostname
        return host_params, pool_kwargs


class _RedactQueryFilter(logging.Filter):
    """urllib3 logs request lines with their query string at DEBUG; cut it off (it can carry API keys)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(arg) for arg in record.args)
        return True


def _redact(value: Any) -> Any:
    if isinstance(value, str) and "?" in value:
        return value.split("?", 1)[0] + "?[redacted]"
    return value


def _install_urllib3_filter() -> None:
    target = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _RedactQueryFilter) for f in target.filters):
        target.addFilter(_RedactQueryFilter())


_install_urllib3_filter()


# --- the session -----------------------------------------------------------------------------------------------------


class SafeSession:
    """Outbound HTTP for connectors; all configuration comes in through the constructor."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        max_redirects: int = 5,
        user_agent: str = "printconnect/1.0",
        sleep: Callable[[float], None] = time.sleep,
        resolver: Resolver | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.timeout = (float(connect_timeout), float(read_timeout))
        self.max_retries = max(0, int(max_retries))
        self.backoff_base = float(backoff_base)
        self.backoff_max = float(backoff_max)
        self.max_redirects = max(0, int(max_redirects))
        self._sleep = sleep
        self._resolver: Resolver = resolver or _default_resolver
        self._session = requests.Session()
        self._session.trust_env = False  # no proxies or .netrc from the environment: they would bypass the pin
        self._session.max_redirects = self.max_redirects
        self._session.headers["User-Agent"] = user_agent
        adapter = _PinnedAdapter(max_retries=0)  # retries are ours, with backoff and the idempotency rules
        self._session.adapters.clear()
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    # -- public API --

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        allow_redirects = kwargs.pop("allow_redirects", True)
        unknown = set(kwargs) - _ALLOWED_KWARGS
        if unknown:
            raise TypeError(
                f"SafeSession.request() does not accept {sorted(unknown)}; timeouts, TLS and proxies are "
                "configured on the session."
            )
        stream = bool(kwargs.pop("stream", False))
        method = method.upper()
        _precheck_raw(url)
        try:
            prepared = self._session.prepare_request(requests.Request(method=method, url=url, **kwargs))
        except (requests.exceptions.RequestException, ValueError, UnicodeError) as exc:
            raise OutboundBlockedError(
                sanitize_url(url), f"the URL could not be parsed ({type(exc).__name__})"
            ) from None

        history: list[requests.Response] = []
        response = self._send_with_retries(prepared, stream=stream)
        while allow_redirects and response.is_redirect:
            if len(history) >= self.max_redirects:
                response.close()
                self._log_blocked(prepared.url or "", f"more than {self.max_redirects} redirects")
                raise OutboundBlockedError(
                    sanitize_url(prepared.url or ""), f"more than {self.max_redirects} redirects"
                )
            prepared = self._next_hop(prepared, response)
            response.content  # noqa: B018  (read the body so the connection goes back to the pool)
            response.close()
            history.append(response)
            response = self._send_with_retries(prepared, stream=stream)
        response.history = history
        return response

    def get(self, url: str, **kw: Any) -> requests.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> requests.Response:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> requests.Response:
        return self.request("PUT", url, **kw)

    def delete(self, url: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", url, **kw)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> SafeSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the guard --

    def _check(self, url: str) -> _Target:
        """Validate a prepared URL and resolve it; every address must pass. Raises OutboundBlockedError."""
        safe = sanitize_url(url)
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            self._log_blocked(url, "invalid port")
            raise OutboundBlockedError(safe, "the port is not a number between 1 and 65535") from None
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise self._blocked(url, f"scheme {scheme[:10]!r} is not http or https")
        if parts.username is not None or parts.password is not None:
            raise self._blocked(url, "credentials in the URL (userinfo) are not allowed")
        if port == 0:
            raise self._blocked(url, "port 0 is not allowed")
        port = port or _DEFAULT_PORTS[scheme]
        host = (parts.hostname or "").lower()
        host_key = host[:-1] if host.endswith(".") and not host.endswith("..") else host  # one trailing dot
        if not host_key:
            raise self._blocked(url, "the URL has no host")
        if "%" in host_key:
            raise self._blocked(url, "zone ids and percent-encoded hosts are not allowed")

        literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
        if ":" in host_key:
            try:
                literal = ipaddress.IPv6Address(host_key)
            except ValueError:
                raise self._blocked(url, "malformed IPv6 address") from None
        else:
            try:
                literal = _parse_loose_ipv4(host_key)
            except ValueError as exc:
                raise self._blocked(url, str(exc)) from None
            if literal is None and not _HOSTNAME.match(host_key):
                raise self._blocked(url, "the host name contains characters that are not allowed")

        if literal is not None:
            addresses = [literal]
        else:
            if not self.allow_private and (host_key in _BLOCKED_NAMES or host_key.endswith(_BLOCKED_SUFFIXES)):
                raise self._blocked(url, f"{host_key} is a local-only name")
            try:
                answers = list(self._resolver(host_key, port))
            except (OSError, UnicodeError) as exc:
                raise _ResolveError(f"could not resolve {host_key} ({type(exc).__name__})") from None
            if not answers:
                raise _ResolveError(f"{host_key} has no addresses")
            addresses = []
            for answer in answers:
                try:
                    addresses.append(ipaddress.ip_address(str(answer).split("%", 1)[0]))
                except ValueError:
                    raise self._blocked(url, f"the resolver returned a non-address for {host_key}") from None

        if not self.allow_private:
            for address in addresses:
                reason = address_block_reason(address)
                if reason:
                    raise self._blocked(url, reason)
        # For an IPv4-mapped answer connect to the IPv4 address itself.
        first = addresses[0]
        if isinstance(first, ipaddress.IPv6Address) and first.ipv4_mapped is not None:
            first = first.ipv4_mapped
        return _Target(scheme=scheme, hostname=host, port=port, ip=str(first))

    def _blocked(self, url: str, reason: str) -> OutboundBlockedError:
        self._log_blocked(url, reason)
        return OutboundBlockedError(sanitize_url(url), reason)

    @staticmethod
    def _log_blocked(url: str, reason: str) -> None:
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            host = ""
        logger.warning("core.http.blocked", extra={"host": host, "reason": reason})

    # -- redirects --

    def _next_hop(self, prepared: requests.PreparedRequest, response: requests.Response) -> requests.PreparedRequest:
        location = self._session.get_redirect_target(response) or ""
        new_url = urljoin(prepared.url or "", location).split("#", 1)[0]
        _precheck_raw(new_url)
        old, new = urlsplit(prepared.url or ""), urlsplit(new_url)
        nxt = prepared.copy()
        try:
            nxt.prepare_url(new_url, None)
        except (requests.exceptions.RequestException, ValueError, UnicodeError) as exc:
            raise self._blocked(new_url, f"the redirect target could not be parsed ({type(exc).__name__})") from None
        status = response.status_code
        if (status == 303 and nxt.method != "HEAD") or (status in (301, 302) and nxt.method == "POST"):
            nxt.method = "GET"
            nxt.body = None
            for name in ("Content-Length", "Content-Type", "Transfer-Encoding"):
                nxt.headers.pop(name, None)
        if _origin(old) != _origin(new) and not _is_https_upgrade(old, new):
            nxt.headers.pop("Authorization", None)
            nxt.headers.pop("Cookie", None)
        return nxt

    # -- sending with retries --

    def _send_with_retries(self, prepared: requests.PreparedRequest, *, stream: bool) -> requests.Response:
        method = (prepared.method or "GET").upper()
        idempotent = method in IDEMPOTENT_METHODS
        attempt = 0
        while True:
            try:
                target = self._check(prepared.url or "")
            except _ResolveError as exc:
                self._retry_or_raise(prepared, attempt, None, str(exc), retry=True)
                attempt += 1
                continue
            setattr(prepared, _PIN_ATTR, target)
            prepared.headers["Host"] = target.host_header
            started = time.monotonic()
            try:
                response = self._session.send(
                    prepared, allow_redirects=False, timeout=self.timeout, stream=stream, verify=True, proxies={}
                )
            except requests.exceptions.SSLError as exc:
                self._log_attempt(prepared, target, attempt, None, started, error="tls")
                raise OutboundTLSError(
                    f"TLS with {target.hostname} failed ({_tls_detail(exc)}). Resolution: the store's certificate "
                    "must be valid for this host name and issued by a public authority."
                ) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                kind = type(exc).__name__
                self._log_attempt(prepared, target, attempt, None, started, error=kind)
                retry = _nothing_sent(exc) or idempotent
                self._retry_or_raise(prepared, attempt, None, f"{kind} talking to {target.hostname}", retry=retry)
                attempt += 1
                continue
            except requests.exceptions.ChunkedEncodingError:
                self._log_attempt(prepared, target, attempt, None, started, error="ChunkedEncodingError")
                self._retry_or_raise(
                    prepared, attempt, None, f"broken response from {target.hostname}", retry=idempotent
                )
                attempt += 1
                continue
            except requests.exceptions.RequestException as exc:
                self._log_attempt(prepared, target, attempt, None, started, error=type(exc).__name__)
                raise OutboundError(
                    f"Request to {sanitize_url(prepared.url or '')} failed: {type(exc).__name__}."
                ) from None

            status = response.status_code
            self._log_attempt(prepared, target, attempt, status, started)
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if status == 429 or (status == 503 and retry_after is not None):
                self._rate_limited(prepared, response, attempt, retry_after)
                attempt += 1
                continue
            if status >= 500:
                retry = idempotent or status == 503
                response.close()
                self._retry_or_raise(prepared, attempt, status, f"{target.hostname} answered {status}", retry=retry)
                attempt += 1
                continue
            return response

    def _backoff(self, attempt: int) -> float:
        # Full jitter (AWS architecture blog): spreads retries of many workers; not security relevant.
        return random.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))  # noqa: S311

    def _rate_limited(
        self, prepared: requests.PreparedRequest, response: requests.Response, attempt: int, retry_after: float | None
    ) -> None:
        status = response.status_code
        response.close()
        wait = retry_after if retry_after is not None else self._backoff(attempt)
        # Waiting less than the server asked for is pointless: hand the full wait to the caller (a Celery
        # countdown) instead of sleeping backoff_max and being refused again.
        if attempt >= self.max_retries or wait > self.backoff_max:
            host = urlsplit(prepared.url or "").hostname
            raise OutboundRateLimitedError(
                f"{host} is rate limiting us (status {status}); retry after {wait:g} s.", retry_after=wait
            )
        self._log_retry(prepared, attempt, status, wait, "rate limited")
        self._sleep(min(wait, self.backoff_max))

    def _retry_or_raise(
        self, prepared: requests.PreparedRequest, attempt: int, status: int | None, what: str, *, retry: bool
    ) -> None:
        if not retry or attempt >= self.max_retries:
            tries = attempt + 1
            raise OutboundUnavailableError(
                f"{what} after {tries} attempt{'s' if tries > 1 else ''}; the store may be down, retry later.",
                status_code=status,
            )
        delay = self._backoff(attempt)
        self._log_retry(prepared, attempt, status, delay, what)
        self._sleep(delay)

    # -- logging (method, host, path without query; never headers, bodies or userinfo) --

    @staticmethod
    def _log_attempt(
        prepared: requests.PreparedRequest,
        target: _Target,
        attempt: int,
        status: int | None,
        started: float,
        *,
        error: str | None = None,
    ) -> None:
        logger.debug(
            "core.http.request",
            extra={
                "method": prepared.method,
                "host": target.hostname,
                "path": urlsplit(prepared.url or "").path,
                "status": status,
                "latency_ms": round((time.monotonic() - started) * 1000, 1),
                "attempt": attempt + 1,
                "error": error,
            },
        )

    @staticmethod
    def _log_retry(
        prepared: requests.PreparedRequest, attempt: int, status: int | None, delay: float, why: str
    ) -> None:
        parts = urlsplit(prepared.url or "")
        logger.info(
            "core.http.retry",
            extra={
                "method": prepared.method,
                "host": parts.hostname,
                "path": parts.path,
                "status": status,
                "attempt": attempt + 1,
                "delay_s": round(delay, 3),
                "why": why,
            },
        )


class _ResolveError(Exception):
    """DNS failed: nothing was sent, so any method may retry."""


def _origin(parts: Any) -> tuple[str, str | None, int | None]:
    scheme = parts.scheme.lower()
    return scheme, parts.hostname, parts.port or _DEFAULT_PORTS.get(scheme)


def _is_https_upgrade(old: Any, new: Any) -> bool:
    return (
        old.scheme == "http"
        and new.scheme == "https"
        and old.hostname == new.hostname
        and (old.port or 80) == 80
        and (new.port or 443) == 443
    )


def _nothing_sent(exc: BaseException) -> bool:
    """True when the failure happened while connecting, so even a POST can be retried safely."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    inner = exc.args[0] if exc.args else None
    reason = getattr(inner, "reason", inner)
    return isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError)


def _tls_detail(exc: BaseException) -> str:
    """The ssl module's reason (e.g. 'certificate verify failed: self-signed certificate'), without the URL."""
    seen = 0
    current: Any = exc
    while current is not None and seen < 6:
        if isinstance(current, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {current.verify_message}"
        if isinstance(current, ssl.SSLError):
            return str(current.reason or type(current).__name__)
        current = getattr(current, "reason", None) or (current.args[0] if getattr(current, "args", None) else None)
        if isinstance(current, str):
            break
        seen += 1
    return "TLS error"


# --- the factory ----------------------------------------------------------------------------------------------------


def safe_session_from_settings(**overrides: Any) -> SafeSession:
    """A SafeSession configured from Django settings (OUTBOUND_*); keyword overrides win."""
    from django.conf import settings

    config: dict[str, Any] = {
        "allow_private": bool(getattr(settings, "OUTBOUND_ALLOW_PRIVATE", False)),
        "connect_timeout": getattr(settings, "OUTBOUND_CONNECT_TIMEOUT", 5.0),
        "read_timeout": getattr(settings, "OUTBOUND_READ_TIMEOUT", 30.0),
        "max_retries": getattr(settings, "OUTBOUND_MAX_RETRIES", 3),
        "backoff_base": getattr(settings, "OUTBOUND_BACKOFF_BASE", 0.5),
        "backoff_max": getattr(settings, "OUTBOUND_BACKOFF_MAX", 30.0),
        "max_redirects": getattr(settings, "OUTBOUND_MAX_REDIRECTS", 5),
        "user_agent": getattr(settings, "OUTBOUND_USER_AGENT", "printconnect/1.0"),
    }
    config.update(overrides)
    return SafeSession(**config)
