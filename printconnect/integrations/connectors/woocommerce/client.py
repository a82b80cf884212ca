"""HTTP client for the WooCommerce REST API v3: URLs, auth, pagination, and failures turned into typed errors.

Auth is HTTP Basic with the consumer key and secret. WooCommerce only reads Basic auth over https; over plain http it
expects OAuth 1.0a, which printconnect does not speak, so plain http is refused except on loopback (the sandbox).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
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

AUTH_REJECTED = "WooCommerce refused the consumer key; check key and secret have Read/Write permission."
NO_API = "No WooCommerce REST API at this URL; check the store URL and that permalinks are enabled."
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


@dataclass(frozen=True)
class RawPage:
    """One page of a list endpoint, as JSON objects, with the cursor of the page after it (None: last page)."""

    items: list[Any]
    page: int
    total_pages: int | None
    next_cursor: str | None


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
            raise AuthRejectedError(
                "The consumer key or secret is empty; enter both from WooCommerce > Settings > REST API."
            )
        self.base_url = base_url.strip().rstrip("/")
        self.api_root = f"{self.base_url}{API_PREFIX}"
        self._auth = requests.auth.HTTPBasicAuth(consumer_key, consumer_secret)
        self._session = session

    # --- transport -------------------------------------------------------------------------------------------------

    def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> requests.Response:
        url = f"{self.api_root}/{path.lstrip('/')}" if path else self.api_root
        try:
            response = self._session.request(
                method, url, params=params, json=json, auth=self._auth, headers={"Accept": "application/json"}
            )
        except OutboundRateLimitedError as exc:
            raise RateLimitedError(retry_after=exc.retry_after) from exc
        except OutboundUnavailableError as exc:
            code = getattr(exc, "status_code", None)
            what = f"answered {code}" if code else "did not answer"
            raise UnavailableError(f"The store {what}; printconnect retries later.") from exc
        except OutboundBlockedError as exc:
            raise BadResponseError(
                "printconnect does not connect to this address (private or reserved network); "
                "use the store's public URL."
            ) from exc
        except OutboundTLSError as exc:
            raise BadResponseError(
                "The store's https certificate could not be verified; fix the certificate or the store URL."
            ) from exc
        except (OutboundError, requests.RequestException) as exc:
            raise UnavailableError(
                f"Could not reach the store ({type(exc).__name__}); printconnect retries later."
            ) from exc
        return self._check(response)

    def _check(self, response: requests.Response) -> requests.Response:
        status = response.status_code
        if status in (401, 403):
            raise AuthRejectedError(AUTH_REJECTED)
        if status == 429:  # the session normally raises these; kept for sessions that hand them back
            raise RateLimitedError(retry_after=_retry_after(response))
        if status >= 500:
            raise UnavailableError(f"WooCommerce answered {status}; printconnect retries later.")
        if status == 404:
            code = _error_code(response)
            if code is None or code == "rest_no_route":
                raise BadResponseError(NO_API)
            raise RecordNotFoundError(
                f"WooCommerce has no such record ({code} at {response.request.path_url if response.request else ''}); "
                "check it was not deleted in the store."
            )
        if status >= 400:
            code = _error_code(response) or status
            message = _error_message(response)
            raise BadResponseError(
                f"WooCommerce rejected the request ({code}: {message}); "
                "update WooCommerce if it is older than 5.8, otherwise send this message to support."
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
            raise BadResponseError(f"WooCommerce answered {path} with a {type(data).__name__}, not an object; {NO_API}")
        return data

    def pages(self, path: str, *, params: Mapping[str, Any] | None = None, start_page: int = 1) -> Iterator[RawPage]:
        """Walk a list endpoint from `start_page` using `X-WP-TotalPages`; each page says where to resume."""
        page = start_page
        while True:
            query = {**(params or {}), "per_page": PER_PAGE, "page": page}
            response = self.request("GET", path, params=query)
            try:
                items = response.json()
            except ValueError as exc:
                raise BadResponseError(
                    "The store answered a list with something that is not JSON; check the store URL points to the "
                    "WordPress site."
                ) from exc
            if not isinstance(items, list):
                raise BadResponseError(
                    f"WooCommerce answered {path} with a {type(items).__name__}, not a list; {NO_API}"
                )
            total_pages = _int_header(response, TOTAL_PAGES_HEADER)
            # Without the header (a proxy stripped it), a full page means there may be another.
            has_next = (page < total_pages and bool(items)) if total_pages is not None else len(items) >= PER_PAGE
            next_cursor = str(page + 1) if has_next else None
            yield RawPage(items=items, page=page, total_pages=total_pages, next_cursor=next_cursor)
            if next_cursor is None:
                return
            page += 1

    # --- endpoints -------------------------------------------------------------------------------------------------

    def system_status(self) -> dict[str, Any]:
        return self._object("GET", "system_status")

    def probe_write(self) -> None:
        """An empty batch: WooCommerce refuses it with 401 for a read-only key and does nothing for a read/write key."""
        self.request("POST", "orders/batch", json={})

    def list_orders(
        self,
        *,
        modified_after: datetime | None = None,
        created_after: datetime | None = None,
        start_page: int = 1,
    ) -> Iterator[RawPage]:
        # Ascending ids keep page boundaries stable while orders arrive (new ones go to the end).
        params: dict[str, Any] = {"status": "any", "orderby": "id", "order": "asc"}
        if modified_after is not None or created_after is not None:
            params["dates_are_gmt"] = "true"
        if modified_after is not None:
            params["modified_after"] = wc_datetime(modified_after)
        if created_after is not None:
            params["after"] = wc_datetime(created_after)
        return self.pages("orders", params=params, start_page=start_page)

    def get_order(self, order_id: str) -> dict[str, Any]:
        return self._object("GET", f"orders/{_id(order_id)}")

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
