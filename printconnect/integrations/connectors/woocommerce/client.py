"""HTTP client for the WooCommerce REST API v3: URLs, auth, pagination, and failures turned into typed errors.

Auth is HTTP Basic with the consumer key and secret. WooCommerce only reads Basic auth over https; over plain http it
expects OAuth 1.0a, which printconnect does not speak, so plain http is refused except on loopback (the sandbox).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from printconnect.core.http import (
    OutboundBlockedError,
    OutboundError,
    OutboundRateLimitedError,
    OutboundTLSError,
    OutboundUnavailableError,
)
from printconnect.integrations.connectors.errors import (
    AuthRejectedError,
    BadResponseError,
    RateLimitedError,
    RecordNotFoundError,
    UnavailableError,
)
from printconnect.integrations.connectors.woocommerce.constants import API_PREFIX, PER_PAGE, TOTAL_PAGES_HEADER

if TYPE_CHECKING:
    from printconnect.core.http import SafeSession

KEYS_PAGE = "WooCommerce > Settings > Advanced > REST API"
AUTH_REJECTED = f"WooCommerce refused the consumer key; check key and secret have Read/Write permission in {KEYS_PAGE}."
NO_API = (
    "No WooCommerce REST API at this URL (its /wp-json/ answered 404); check the store URL is the shop's home page "
    "and that WordPress permalinks are not set to “Plain”."
)
NO_WC_ROUTES = (
    "No WooCommerce REST API at this URL: WordPress answers there, but without WooCommerce's routes; check "
    "WooCommerce (3.5 or later) is installed and active on this site."
)
CHECK_URL = "check the store URL points to the WooCommerce site."
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


@dataclass(frozen=True)
class RawPage:
    """One page of a list endpoint, as JSON objects, with the cursor of the page after it (None: last page)."""

    items: list[Any]
    page: int
    total_pages: int | None
    next_cursor: str | None
    query: Mapping[str, Any] = field(default_factory=dict)  # the parameters it was asked with


def wc_datetime(value: datetime) -> str:
    """A query-string time: UTC, no offset, as WooCommerce expects with `dates_are_gmt=true`."""
    if value.tzinfo is None:
        raise ValueError("Pass an aware datetime; naive times are ambiguous.")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def page_from_cursor(cursor: str | None) -> int:
    if cursor is None or cursor == "":
        return 1
    if not cursor.isdigit() or int(cursor) < 1:
        raise ValueError(f"Not a WooCommerce page cursor: {cursor!r}; clear the feed's cursor to start over.")
    return int(cursor)


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RequestRefusedError(BadResponseError):
    """WooCommerce answered 400 (or another 4xx but 401/403/404): its error `code` and message say which input it
    refused, so a caller that knows the request can say what to change."""

    def __init__(self, message: str, *, code: str, wc_message: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.wc_message = wc_message
        self.params = dict(params or {}) if isinstance(params, Mapping) else {}


class WooCommerceClient:
    def __init__(self, *, base_url: str, consumer_key: str, consumer_secret: str, session: SafeSession) -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadResponseError(f"{base_url!r} is not a web address; enter the store URL as https://shop.example.")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise AuthRejectedError(
                "WooCommerce accepts consumer keys only over https; change the store URL to start with https://."
            )
        if not consumer_key or not consumer_secret:
            raise AuthRejectedError(f"The consumer key or secret is empty; enter both from {KEYS_PAGE}.")
        if consumer_key.startswith("cs_") and consumer_secret.startswith("ck_"):
            raise AuthRejectedError("The consumer key and secret are swapped: the key starts with ck_, the secret cs_.")
        if not consumer_key.startswith("ck_") or not consumer_secret.startswith("cs_"):
            # WooCommerce makes every key ck_… and every secret cs_…: anything else was copied from the wrong place.
            raise AuthRejectedError(
                f"A WooCommerce consumer key starts with ck_ and its secret with cs_; copy both from {KEYS_PAGE}."
            )
        self.base_url = base_url.strip().rstrip("/")
        self.api_root = f"{self.base_url}{API_PREFIX}"
        self._auth = requests.auth.HTTPBasicAuth(consumer_key, consumer_secret)
        self._session = session

    # --- transport -------------------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        stream: bool = False,
    ) -> requests.Response:
        """`stream`: return once the status and headers are in; the caller reads the body (see `_read_body`)."""
        url = f"{self.api_root}/{path.lstrip('/')}" if path else self.api_root
        try:
            response = self._session.request(
                method,
                url,
                params=params,
                json=json,
                auth=self._auth,
                headers={"Accept": "application/json"},
                stream=stream,
            )
        except OutboundRateLimitedError as exc:
            raise RateLimitedError(retry_after=exc.retry_after) from exc
        except OutboundUnavailableError as exc:
            problem, advice = _unreachable(exc, url, getattr(self._session, "timeout", None))
            raise UnavailableError(f"{problem}; printconnect retries later.", problem=problem, advice=advice) from exc
        except OutboundBlockedError as exc:
            raise BadResponseError(
                f"printconnect does not connect to this address ({exc.reason}); use the store's public https URL."
            ) from exc
        except OutboundTLSError as exc:
            raise BadResponseError(_tls_message(exc, url)) from exc
        except (OutboundError, requests.RequestException) as exc:
            raise UnavailableError(
                f"Could not reach the store ({type(exc).__name__}); printconnect retries later."
            ) from exc
        return self._check(response)

    def _check(self, response: requests.Response) -> requests.Response:
        status = response.status_code
        if status == 401:
            said = _wc_said(response)
            raise AuthRejectedError(
                f"WooCommerce refused the consumer key and secret{said}; enter them again from {KEYS_PAGE} "
                "(a key with Read/Write permission).",
                status_code=401,
            )
        if status == 403:
            raise AuthRejectedError(
                f"WooCommerce answered 403 Forbidden{_wc_said(response)}: the key's WordPress user must be an "
                "Administrator or Shop manager, and no firewall or security plugin may block /wp-json/; create a "
                "Read/Write key for such a user, or let printconnect's requests through.",
                status_code=403,
            )
        if status == 429:  # the session normally raises these; kept for sessions that hand them back
            raise RateLimitedError(retry_after=_retry_after(response))
        if status >= 500:
            raise UnavailableError(f"WooCommerce answered {status}; printconnect retries later.")
        if status == 404:
            code = _error_code(response)
            if code is None:
                raise BadResponseError(NO_API)
            if code == "rest_no_route":
                raise BadResponseError(NO_WC_ROUTES)
            raise RecordNotFoundError(
                f"WooCommerce has no such record ({code} at {response.request.path_url if response.request else ''}); "
                "check it was not deleted in the store."
            )
        if status >= 400:
            code = _error_code(response) or status
            message = _error_message(response)
            raise RequestRefusedError(
                f"WooCommerce rejected the request ({code}: {message}); "
                "update WooCommerce if it is older than 5.8, otherwise send this message to support.",
                code=str(code),
                wc_message=message,
                params=_error_body(response).get("data", {}).get("params") or {},
            )
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise BadResponseError(
                "The store answered with something that is not JSON; check the store URL points to the "
                "WordPress site and no login page, firewall or cache sits in front of /wp-json/."
            ) from exc

    def _object(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        data = self.json(method, path, **kwargs)
        if not isinstance(data, dict):
            raise BadResponseError(
                f"WooCommerce answered {path} with a {type(data).__name__}, not an object; {CHECK_URL}"
            )
        return data

    def pages(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
        start_page: int = 1,
        read_ahead: bool = False,
    ) -> Iterator[RawPage]:
        """Walk a list endpoint from `start_page` using `X-WP-TotalPages`; each page says where to resume.

        With `read_ahead`, the next page is requested on a background thread as soon as this one is in, so the store
        prepares it while the caller handles this one; its failure is raised when the caller asks for it. `params`
        may be a callable, asked again before each page is requested (a caller can change what it asks for).
        """

        def query_for(number: int) -> dict[str, Any]:
            current = params() if callable(params) else params
            return {**(current or {}), "per_page": PER_PAGE, "page": number}

        page = start_page
        executor = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="woocommerce-read-ahead") if read_ahead else None
        )
        ahead: Future[requests.Response] | None = None
        ahead_query: dict[str, Any] = {}
        try:
            while True:
                query = ahead_query if ahead else query_for(page)
                response = _read_body(ahead.result()) if ahead else self.request("GET", path, params=query)
                ahead = None
                try:
                    items = response.json()
                except ValueError as exc:
                    raise BadResponseError(
                        "The store answered a list with something that is not JSON; check the store URL points to "
                        "the WordPress site."
                    ) from exc
                if not isinstance(items, list):
                    raise BadResponseError(
                        f"WooCommerce answered {path} with a {type(items).__name__}, not a list; {NO_API}"
                    )
                total_pages = _int_header(response, TOTAL_PAGES_HEADER)
                # Without the header (a proxy stripped it), a full page means there may be another.
                has_next = (page < total_pages and bool(items)) if total_pages is not None else len(items) >= PER_PAGE
                next_cursor = str(page + 1) if has_next else None
                if next_cursor is not None and executor is not None:
                    # The thread only waits for the store (status and headers); the body is read here when asked
                    # for: reading it there would make the thread fight this one for the GIL at every chunk.
                    ahead_query = query_for(page + 1)
                    ahead = executor.submit(self.request, "GET", path, params=ahead_query, stream=True)
                yield RawPage(items=items, page=page, total_pages=total_pages, next_cursor=next_cursor, query=query)
                if next_cursor is None:
                    return
                page += 1
        finally:
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)
            if ahead is not None:  # a page read ahead and never asked for: give its connection back
                ahead.add_done_callback(_close_response)

    # --- endpoints -------------------------------------------------------------------------------------------------

    def system_status(self) -> dict[str, Any]:
        """The first call of a connection check, so its failures say whether WooCommerce is at this URL at all."""
        try:
            response = self.request("GET", "system_status")
        except RecordNotFoundError as exc:  # a 404 with some other error code: no WooCommerce here either
            raise BadResponseError(NO_API) from exc
        try:
            data = response.json()
        except ValueError as exc:
            kind = (response.headers.get("Content-Type") or "no content type").split(";")[0].strip()
            raise BadResponseError(
                f"No WooCommerce REST API at this URL: {API_PREFIX}/system_status answered a page ({kind}), not "
                "JSON; check the store URL is the WordPress site itself and that no login page, firewall or cache "
                "sits in front of /wp-json/."
            ) from exc
        environment = data.get("environment") if isinstance(data, dict) else None
        if not isinstance(environment, Mapping) or not environment.get("version"):
            raise BadResponseError(
                f"No WooCommerce REST API at this URL: {API_PREFIX}/system_status answered JSON that is not "
                f"WooCommerce's system status; {CHECK_URL}"
            )
        return data

    def probe_write(self) -> None:
        """An empty batch: WooCommerce refuses it with 401 for a read-only key and does nothing for a read/write key."""
        self.request("POST", "orders/batch", json={})

    def list_orders(
        self,
        *,
        modified_after: datetime | None = None,
        created_after: datetime | None = None,
        start_page: int = 1,
        read_ahead: bool = False,
        fields: Callable[[], Sequence[str] | None] | None = None,
    ) -> Iterator[RawPage]:
        """`fields`, asked before each page: the top-level fields to ask for (WordPress's `_fields`), None for all."""
        # Ascending ids keep page boundaries stable while orders arrive (new ones go to the end).
        params: dict[str, Any] = {"status": "any", "orderby": "id", "order": "asc"}
        if modified_after is not None or created_after is not None:
            params["dates_are_gmt"] = "true"
        if modified_after is not None:
            params["modified_after"] = wc_datetime(modified_after)
        if created_after is not None:
            params["after"] = wc_datetime(created_after)

        def current() -> dict[str, Any]:
            wanted = fields() if fields is not None else None
            return {**params, "_fields": ",".join(wanted)} if wanted else params

        return self.pages("orders", params=current, start_page=start_page, read_ahead=read_ahead)

    def get_order(self, order_id: str) -> dict[str, Any]:
        return self._object("GET", f"orders/{_id(order_id)}")

    def get_orders(self, order_ids: Sequence[str]) -> list[Any]:
        """The full records of up to 100 orders in one request, whatever their status (deleted ones are absent)."""
        if not order_ids:
            return []
        if len(order_ids) > PER_PAGE:
            raise ValueError(f"Ask for at most {PER_PAGE} orders at a time, not {len(order_ids)}.")
        params = {"include": ",".join(_id(i) for i in order_ids), "per_page": PER_PAGE, "status": "any"}
        data = self.json("GET", "orders", params=params)
        if not isinstance(data, list):
            raise BadResponseError(f"WooCommerce answered the order list with a {type(data).__name__}, not a list.")
        return data

    def update_order_status(self, order_id: str, status: str) -> dict[str, Any]:
        return self._object("PUT", f"orders/{_id(order_id)}", json={"status": status})

    def add_order_note(self, order_id: str, note: str, *, customer_note: bool = False) -> dict[str, Any]:
        return self._object(
            "POST", f"orders/{_id(order_id)}/notes", json={"note": note, "customer_note": customer_note}
        )

    def list_products(self, *, modified_after: datetime | None = None, start_page: int = 1) -> Iterator[RawPage]:
        params: dict[str, Any] = {"orderby": "id", "order": "asc"}
        if modified_after is not None:
            params.update(dates_are_gmt="true", modified_after=wc_datetime(modified_after))
        return self.pages("products", params=params, start_page=start_page)

    def get_product(self, product_id: str) -> dict[str, Any]:
        return self._object("GET", f"products/{_id(product_id)}")

    def list_variations(self, product_id: str) -> list[Any]:
        return [item for page in self.pages(f"products/{_id(product_id)}/variations") for item in page.items]

    def create_product(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._object("POST", "products", json=dict(body))

    def create_variations(self, product_id: str, variations: Sequence[Mapping[str, Any]]) -> list[Any]:
        """One batch request; WooCommerce answers 200 with an entry per variation, each either the variation or
        `{"id": 0, "error": {code, message, data}}`, in the order sent."""
        if len(variations) > PER_PAGE:
            raise ValueError(f"Create at most {PER_PAGE} variations in one batch, not {len(variations)}.")
        data = self._object(
            "POST", f"products/{_id(product_id)}/variations/batch", json={"create": [dict(v) for v in variations]}
        )
        created = data.get("create")
        if not isinstance(created, list):
            raise BadResponseError(
                f"WooCommerce answered the variation batch without its list of created variations; {CHECK_URL}"
            )
        return created

    def delete_product(self, product_id: str) -> dict[str, Any]:
        """For good (`force`), with its variations: a product printconnect half-created must not linger in the trash."""
        return self._object("DELETE", f"products/{_id(product_id)}", params={"force": "true"})

    def update_stock(self, product_id: str, variation_id: str | None, quantity: int) -> dict[str, Any]:
        path = f"products/{_id(product_id)}"
        if variation_id:
            path += f"/variations/{_id(variation_id)}"
        return self._object("PUT", path, json={"manage_stock": True, "stock_quantity": int(quantity)})

    def add_shipment_tracking(self, order_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """The Shipment Tracking extension's endpoint (not core WooCommerce)."""
        url = f"{self.base_url}/wp-json/wc-shipment-tracking/v3/orders/{_id(order_id)}/shipment-trackings"
        try:
            response = self._session.request(
                "POST", url, json=dict(body), auth=self._auth, headers={"Accept": "application/json"}
            )
        except OutboundRateLimitedError as exc:
            raise RateLimitedError(retry_after=exc.retry_after) from exc
        except (OutboundError, requests.RequestException) as exc:
            raise UnavailableError(
                "Could not reach the store's Shipment Tracking API; printconnect retries later."
            ) from exc
        if response.status_code == 404 and _error_code(response) in (None, "rest_no_route"):
            raise BadResponseError(
                "The store has no Shipment Tracking API; install the WooCommerce Shipment Tracking extension "
                "or switch the store's tracking option off."
            )
        self._check(response)
        data = response.json() if response.content else {}
        return data if isinstance(data, dict) else {}


def _read_body(response: requests.Response) -> requests.Response:
    """Read the body of a streamed response, with the failure `request` would have raised for it."""
    try:
        response.content  # noqa: B018  (reads and keeps the body)
    except requests.RequestException as exc:
        response.close()
        raise UnavailableError(
            f"The store's answer broke off ({type(exc).__name__}); printconnect retries later."
        ) from exc
    return response


def _close_response(future: Future[requests.Response]) -> None:
    if not future.cancelled() and future.exception() is None:
        future.result().close()


def _id(value: str | int) -> str:
    text = str(value)
    if not text.isdigit():
        raise ValueError(f"WooCommerce ids are numbers; got {text!r}.")
    return text


def _int_header(response: requests.Response, name: str) -> int | None:
    raw = response.headers.get(name)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _retry_after(response: requests.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


def _error_body(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _error_code(response: requests.Response) -> str | None:
    code = _error_body(response).get("code")
    return str(code) if code else None


def _error_message(response: requests.Response) -> str:
    return str(_error_body(response).get("message") or response.reason or "no message")[:300]


def _wc_said(response: requests.Response) -> str:
    """WooCommerce's own reason (e.g. "Consumer secret is invalid."), quoted for a message; empty without one."""
    said = str(_error_body(response).get("message") or "").strip()[:200]
    return f" (“{said}”)" if said else ""


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exceptions behind `exc`: SafeSession raises its own errors while handling requests'/urllib3's, which
    wrap the socket or ssl error in `reason` or `args[0]`."""
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo and len(seen) < 20:
        current = todo.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args[:1]]


def _where(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "the store", parts.port or (443 if parts.scheme == "https" else 80)


_RETRY_SOON = "try again in a few minutes"
_CHECK_ONLINE = "check the store URL (and its port) and that the site is online"


def _unreachable(exc: OutboundUnavailableError, url: str, timeout: Any) -> tuple[str, str]:
    """(what happened, what a person should do) for a store that could not be reached or failed on its side."""
    host, port = _where(url)
    connect_s, read_s = timeout if isinstance(timeout, tuple) and len(timeout) == 2 else (None, None)
    if exc.status_code:
        return (
            f"The store answered {exc.status_code} (a server error)",
            f"the site has a problem of its own; {_RETRY_SOON}, or check the site's error log",
        )
    causes = list(_causes(exc))[1:]
    for cause in causes:
        if isinstance(cause, socket.gaierror):
            if cause.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
                return f"The name {host} does not exist (DNS)", "check the store URL for typos"
            return (
                f"The name {host} could not be looked up ({cause.strerror})",
                f"{_RETRY_SOON}, or check the store URL",
            )
        if isinstance(cause, requests.exceptions.ConnectTimeout):
            within = f" within {connect_s:g} s" if connect_s else ""
            return (
                f"{host}:{port} did not accept a connection{within}",
                "check the store URL (and its port), that the site is online and that no firewall drops "
                "printconnect's connections",
            )
        if isinstance(cause, requests.exceptions.ReadTimeout):
            within = f" within {read_s:g} s" if read_s else ""
            return (
                f"The store accepted the connection but did not answer{within}",
                f"the site may be overloaded: {_RETRY_SOON}",
            )
        if isinstance(cause, requests.exceptions.ChunkedEncodingError):
            return "The store's answer broke off half way", _RETRY_SOON
        if isinstance(cause, ConnectionRefusedError):
            return f"Nothing answers on {host}:{port} (connection refused)", _CHECK_ONLINE
        if isinstance(cause, OSError) and not isinstance(cause, requests.RequestException) and cause.strerror:
            return f"Could not connect to {host}:{port} ({cause.strerror})", _CHECK_ONLINE
    if any(isinstance(cause, requests.exceptions.ConnectionError) for cause in causes):
        return f"The connection to {host}:{port} failed before the store answered", _CHECK_ONLINE
    return f"The name {host} could not be looked up", f"{_RETRY_SOON}, or check the store URL"


def _tls_message(exc: OutboundTLSError, url: str) -> str:
    host, port = _where(url)
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            said = str(cause.verify_message or "not trusted")
            if cause.verify_code in (18, 19):  # X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, _SELF_SIGNED_CERT_IN_CHAIN
                return (
                    f"The store's https certificate for {host} is self-signed, so it cannot be trusted; install a "
                    "certificate from a public authority (for example Let's Encrypt) on the site, then try again."
                )
            if cause.verify_code == 10:  # X509_V_ERR_CERT_HAS_EXPIRED
                return f"The store's https certificate for {host} has expired; renew it on the site, then try again."
            if cause.verify_code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH
                return (
                    f"The store's https certificate is not valid for {host} ({said}); use the address the "
                    "certificate is issued for in the store URL, or fix the certificate."
                )
            return (
                f"The store's https certificate for {host} could not be verified ({said}); the site must send a "
                "certificate chain issued by a public authority. Fix it on the site, then try again."
            )
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLError):
            said = str(cause.reason or cause.strerror or "TLS error").replace("_", " ").lower()
            return (
                f"The https connection to {host}:{port} failed ({said}); check the store URL: the site may not "
                "serve https at this address or port."
            )
    return f"The https connection to {host}:{port} failed; check the store's certificate and the store URL."
