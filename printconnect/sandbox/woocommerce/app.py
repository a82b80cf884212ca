"""A loopback emulator of the WooCommerce REST API v3 as a plain WSGI application (no Django).

One `WooCommerceSandbox` hosts many stores, each under its own path prefix:

    http://127.0.0.1:<port>/woo/<slug>                      the store's site URL (what a shop owner enters)
    http://127.0.0.1:<port>/woo/<slug>/wp-json/wc/v3/...    its REST API (also `?rest_route=/wc/v3/...`)
    http://127.0.0.1:<port>/woo/<slug>/files/<name>.pdf     print files referenced by line items (`_print_file_url`)
    http://127.0.0.1:<port>/woo/<slug>/wp-content/uploads/… product images (small PNGs)
    http://127.0.0.1:<port>/__sandbox__/...                 admin API (loopback callers only), see `_admin`

Wire format as in ../shared/PLATFORMS.md section 3 and ../shared/platform-samples/woocommerce/: dates without offset
(`date_x` in the site's time zone, `date_x_gmt` in UTC), money as strings, errors as
`{"code", "message", "data": {"status"}}`, pagination with `X-WP-Total`, `X-WP-TotalPages` and `Link`, bodies encoded
like PHP's `wp_json_encode` (ASCII only, `/` escaped as `\\/`).

Writes printconnect makes: order status and notes, stock levels, and new products (`POST /products`, simple or variable
with `attributes`; their variations through `POST /products/<id>/variations/batch`, an `{"id": 0, "error"}` entry in
place of each refused one; `DELETE /products/<id>`, to the trash or with `force=true` for good). SKUs are unique across
products and variations (not in the trash): a taken one answers 400 `product_invalid_sku`.

A store's consumer key has Read/Write permission unless the store is created with `key_permissions="read"` (writes
answer 401 as WooCommerce does) or `"write"`.

Fault knobs per store (`Store.set_faults(...)` or `POST /__sandbox__/stores/<slug>/faults`), applied to REST API
requests only (not to files or images):

    rate_limit   {"every": N, "retry_after": s}  every Nth API request answers 429 with `Retry-After: s`
                 {"burst": K, "retry_after": s}  the next K API requests answer 429
    error_burst  K or {"count": K, "statuses": [500, 502, 503], "retry_after": s}  next K requests answer 5xx
    slow_ms      N       every API request waits N ms before answering (0 clears)
    malformed    true or one of MALFORMED_KINDS: the next non-empty order list page has one broken order
    bad_json     true or K: the next K successful API responses have their JSON body cut in half
    unauthorized true: every API request answers 401 (a revoked key) until set to false
    clear        true: all of the above off
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import http.client
import ipaddress
import json
import math
import re
import secrets
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

WC_VERSION = "8.9.0"
WP_VERSION = "6.5"
USER_AGENT = f"WooCommerce/{WC_VERSION} Hookshot (WordPress/{WP_VERSION})"
API_NAMESPACE = "/wc/v3"
BASE_MARK = "@@BASE@@"  # stored URLs start with this; replaced by the store's site URL when rendered

ORDER_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft")
KEY_PERMISSIONS = ("read", "write", "read_write")
MALFORMED_KINDS = ("missing_line_items", "non_numeric_total", "bad_date")
CREDENTIAL_PARAMS = frozenset(
    {
        "consumer_key",
        "consumer_secret",
        "oauth_consumer_key",
        "oauth_signature",
        "oauth_nonce",
        "oauth_timestamp",
        "oauth_signature_method",
    }
)
_DATE_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)  # rest_parse_date's RFC 3339 pattern
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

Response = tuple[int, list[tuple[str, str]], bytes]


class ApiError(Exception):
    """A WooCommerce/WordPress REST error: rendered as `{"code", "message", "data": {"status", ...}}`."""

    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.data = status, code, message, data

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": {"status": self.status, **self.data}}


def invalid_param(name: str, message: str) -> ApiError:
    return ApiError(400, "rest_invalid_param", f"Invalid parameter(s): {name}", params={name: message})


NO_ROUTE = ("rest_no_route", "No route was found matching the URL and request method.")


# --- encoding -------------------------------------------------------------------------------------------------------


def php_json(data: Any) -> bytes:
    """JSON as `wp_json_encode` writes it: compact, ASCII only, slashes escaped."""
    return json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def wc_date(value: datetime | None, tz: timezone) -> str | None:
    return None if value is None else value.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S")


def render(value: Any, *, base: str, tz: timezone, key: str = "") -> Any:
    """A stored record as JSON: datetimes as site-local (`date_x`) or UTC (`date_x_gmt`) strings, URLs absolute."""
    return _render(value, base, tz, key)


_SCALARS = frozenset({int, float, bool, type(None), Decimal})


def _render(value: Any, base: str, tz: timezone, key: str) -> Any:
    # Called for every value of every record a list page returns: the common kinds are tested first, by exact type.
    kind = type(value)
    if kind is str:
        return base + value[len(BASE_MARK) :] if value.startswith(BASE_MARK) else value
    if kind in _SCALARS:
        return value
    if isinstance(value, dict):
        return {k: _render(v, base, tz, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, base, tz, key) for v in value]
    if isinstance(value, datetime):
        return wc_date(value, UTC if key.endswith("_gmt") else tz)
    if isinstance(value, str) and value.startswith(BASE_MARK):
        return base + value[len(BASE_MARK) :]
    return value


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):.2f}"


# --- small valid files ----------------------------------------------------------------------------------------------


def make_pdf(title: str) -> bytes:
    """A one-page A4 PDF with `title` on it, with a correct xref table."""
    text = re.sub(r"[^A-Za-z0-9 ._#:-]", "", title)[:80]
    content = f"BT /F1 24 Tf 72 760 Td (printconnect sandbox) Tj 0 -36 Td /F1 14 Tf ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def make_png(seed: str, size: int = 64) -> bytes:
    """A solid-colour PNG whose colour is derived from `seed`."""
    rgb = hashlib.sha256(seed.encode()).digest()[:3]
    raw = (b"\x00" + rgb * size) * size

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


# --- faults ---------------------------------------------------------------------------------------------------------


@dataclass
class Faults:
    rate_limit_every: int = 0
    rate_limit_burst: int = 0
    retry_after: int = 1
    error_burst: int = 0
    error_statuses: list[int] = field(default_factory=lambda: [500, 502, 503])
    error_retry_after: int | None = None
    slow_ms: int = 0
    malformed: str | None = None
    bad_json: int = 0
    unauthorized: bool = False
    # bookkeeping
    api_requests: int = 0
    errors_sent: int = 0
    last_malformed_id: int | None = None

    def update(self, spec: dict[str, Any]) -> None:
        """Apply a JSON fault spec (see the module docstring); raises ValueError on a bad spec."""
        unknown = set(spec) - {"rate_limit", "error_burst", "slow_ms", "malformed", "bad_json", "unauthorized", "clear"}
        if unknown:
            raise ValueError(f"Unknown fault knob(s): {', '.join(sorted(unknown))}.")
        if spec.get("clear"):
            self.__init__()  # type: ignore[misc]
        if "rate_limit" in spec:
            value = spec["rate_limit"]
            self.rate_limit_every = self.rate_limit_burst = 0
            if isinstance(value, int) and not isinstance(value, bool):
                value = {"every": value}
            if value:
                if not isinstance(value, dict) or not ({"every", "burst"} & set(value)):
                    raise ValueError('rate_limit takes {"every": N} or {"burst": K}, with optional "retry_after".')
                self.rate_limit_every = _nonneg(value.get("every", 0), "rate_limit.every")
                self.rate_limit_burst = _nonneg(value.get("burst", 0), "rate_limit.burst")
                self.retry_after = _nonneg(value.get("retry_after", 1), "rate_limit.retry_after")
        if "error_burst" in spec:
            value = spec["error_burst"]
            if isinstance(value, dict):
                self.error_burst = _nonneg(value.get("count", 1), "error_burst.count")
                statuses = value.get("statuses", [500, 502, 503])
                if not statuses or not all(isinstance(s, int) and 500 <= s <= 599 for s in statuses):
                    raise ValueError("error_burst.statuses must be a list of 5xx codes.")
                self.error_statuses = list(statuses)
                retry = value.get("retry_after")
                self.error_retry_after = None if retry is None else _nonneg(retry, "error_burst.retry_after")
            else:
                self.error_burst = _nonneg(value or 0, "error_burst")
        if "slow_ms" in spec:
            self.slow_ms = _nonneg(spec["slow_ms"] or 0, "slow_ms")
        if "malformed" in spec:
            value = spec["malformed"]
            if value is True:
                value = MALFORMED_KINDS[0]
            if value not in (None, False, *MALFORMED_KINDS):
                raise ValueError(f"malformed takes true or one of {', '.join(MALFORMED_KINDS)}.")
            self.malformed = value or None
        if "bad_json" in spec:
            value = spec["bad_json"]
            self.bad_json = 1 if value is True else _nonneg(value or 0, "bad_json")
        if "unauthorized" in spec:
            self.unauthorized = bool(spec["unauthorized"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "rate_limit": {
                "every": self.rate_limit_every,
                "burst": self.rate_limit_burst,
                "retry_after": self.retry_after,
            },
            "error_burst": {
                "count": self.error_burst,
                "statuses": self.error_statuses,
                "retry_after": self.error_retry_after,
            },
            "slow_ms": self.slow_ms,
            "malformed": self.malformed,
            "bad_json": self.bad_json,
            "unauthorized": self.unauthorized,
            "api_requests": self.api_requests,
            "last_malformed_id": self.last_malformed_id,
        }


def _nonneg(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, not {value!r}.")
    return value


# --- a store --------------------------------------------------------------------------------------------------------


class Store:
    """One WooCommerce site: products, variations, orders and notes as stored records, plus faults and a request log.

    Records keep datetimes (aware, UTC) and URLs starting with BASE_MARK; `render` turns them into wire JSON.
    Every method takes `self.lock`; callers may hold it too (it is re-entrant).
    """

    def __init__(
        self,
        app: WooCommerceSandbox,
        slug: str,
        *,
        name: str,
        currency: str = "EUR",
        utc_offset_hours: float = 2,
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        webhook_secret: str | None = None,
        webhook_id: int = 142,
        tax_rate: Decimal | str = "21",
        country: str = "NL",
        locale: str = "nl_NL",
        key_permissions: str = "read_write",
    ) -> None:
        if key_permissions not in KEY_PERMISSIONS:
            raise ValueError(f"key_permissions must be one of {', '.join(KEY_PERMISSIONS)}.")
        self._app = app
        self.slug = slug
        self.name = name
        self.currency = currency
        self.tz = timezone(timedelta(hours=utc_offset_hours))
        self.consumer_key = consumer_key or f"ck_{secrets.token_hex(20)}"
        self.consumer_secret = consumer_secret or f"cs_{secrets.token_hex(20)}"
        self.webhook_secret = webhook_secret or secrets.token_urlsafe(32)
        self.webhook_id = webhook_id
        self.key_permissions = key_permissions  # the consumer key's Permissions in WooCommerce's REST API screen
        self.tax_rate = Decimal(tax_rate)
        self.country = country
        self.locale = locale
        self.lock = threading.RLock()
        self.orders: dict[int, dict[str, Any]] = {}
        self.products: dict[int, dict[str, Any]] = {}
        self.variations: dict[int, dict[int, dict[str, Any]]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.files: dict[str, str] = {}  # print file name -> title printed on it
        self.uploads: set[str] = set()  # paths under /wp-content/uploads/
        self.faults = Faults()
        self.log: deque[dict[str, Any]] = deque(maxlen=20_000)
        self._log_seq = 0
        self._post_id = 10  # products, variations and orders share WordPress's post id sequence
        self._item_id = 1  # order items
        self._meta_id = 1000
        self._comment_id = 1  # order notes
        self._attachment_id = 5000
        self.rng: Any = None  # seed.py's per-store random state (random.Random, Faker)

    # ids
    def next_post_id(self) -> int:
        with self.lock:
            self._post_id += 1
            return self._post_id

    def next_item_id(self) -> int:
        with self.lock:
            self._item_id += 1
            return self._item_id

    def next_meta_id(self) -> int:
        with self.lock:
            self._meta_id += 1
            return self._meta_id

    def next_attachment_id(self) -> int:
        with self.lock:
            self._attachment_id += 1
            return self._attachment_id

    # urls and info
    @property
    def base_url(self) -> str:
        return f"{self._app.root_url}/woo/{self.slug}"

    def info(self, base_url: str | None = None) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "name": self.name,
            "base_url": base_url or self.base_url,
            "consumer_key": self.consumer_key,
            "consumer_secret": self.consumer_secret,
            "webhook_secret": self.webhook_secret,
            "webhook_id": self.webhook_id,
            "key_permissions": self.key_permissions,
            "currency": self.currency,
            "utc_offset_hours": self.tz.utcoffset(None).total_seconds() / 3600,
            "orders": len(self.orders),
            "products": len(self.products),
        }

    # faults and log
    def set_faults(self, **spec: Any) -> dict[str, Any]:
        with self.lock:
            self.faults.update(spec)
            return self.faults.as_dict()

    def clear_faults(self) -> None:
        self.set_faults(clear=True)

    def requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(list(self.log))

    def clear_requests(self) -> None:
        with self.lock:
            self.log.clear()

    def _log(self, entry: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self._log_seq += 1
            entry["seq"] = self._log_seq
            self.log.append(entry)
            return entry

    # records
    def add_product(self, record: dict[str, Any], variations: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
        with self.lock:
            self.products[record["id"]] = record
            self.variations[record["id"]] = {v["id"]: v for v in variations}
            record["variations"] = sorted(self.variations[record["id"]])
            self._register_images(record)
            return record

    def _register_images(self, record: dict[str, Any]) -> None:
        images = list(record.get("images") or [])
        if isinstance(record.get("image"), dict):
            images.append(record["image"])
        for image in images:
            src = str(image.get("src") or "")
            if src.startswith(BASE_MARK + "/wp-content/uploads/"):
                self.uploads.add(src[len(BASE_MARK + "/wp-content/uploads/") :])

    def add_order(self, record: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.orders[record["id"]] = record
            self.notes.setdefault(record["id"], [])
            for item in record.get("line_items", []):
                for meta in item.get("meta_data", []):
                    value = meta.get("value")
                    if meta.get("key") == "_print_file_url" and isinstance(value, str) and "/files/" in value:
                        self.files[value.rsplit("/", 1)[1]] = f"Order {record['number']} item {item['id']}"
            return record

    def render_order(
        self, order: dict[str, Any], base: str | None = None, *, fields: frozenset[str] | None = None
    ) -> dict[str, Any]:
        base = base or self.base_url
        if fields is not None:  # `_fields`: only those top-level fields (rendering only them, when none is computed)
            if fields & _COMPUTED_ORDER_FIELDS:
                return {k: v for k, v in self.render_order(order, base).items() if k in fields}
            return render({k: v for k, v in order.items() if k in fields}, base=base, tz=self.tz)
        data = render(order, base=base, tz=self.tz)
        status = data["status"]
        data["needs_payment"] = status in ("pending", "failed") and Decimal(order["total"]) > 0
        data["needs_processing"] = True
        data["is_editable"] = status in ("pending", "on-hold", "auto-draft")
        data["payment_url"] = f"{base}/checkout/order-pay/{order['id']}/?pay_for_order=true&key={order['order_key']}"
        return data

    def render_product(self, product: dict[str, Any], base: str | None = None) -> dict[str, Any]:
        return render(product, base=base or self.base_url, tz=self.tz)


# --- the WSGI application -------------------------------------------------------------------------------------------


@dataclass
class Request:
    environ: dict[str, Any]
    method: str
    route: str  # e.g. /wc/v3/orders/12
    query: list[tuple[str, str]]
    body: bytes
    base: str  # the store's site URL as the client reached it

    def params(self) -> dict[str, str]:
        return dict(self.query)

    def param_list(self, name: str) -> list[str]:
        values = [v for k, v in self.query if k in (name, f"{name}[]")]
        return [part.strip() for value in values for part in value.split(",") if part.strip()]

    def json(self) -> dict[str, Any]:
        """Query parameters overlaid by a JSON or form body, as WordPress merges them."""
        data: dict[str, Any] = {k: v for k, v in self.query if k not in CREDENTIAL_PARAMS}
        if not self.body:
            return data
        content_type = self.environ.get("CONTENT_TYPE", "")
        if "application/x-www-form-urlencoded" in content_type:
            data.update(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
            return data
        try:
            parsed = json.loads(self.body)
        except ValueError as exc:
            raise ApiError(
                400,
                "rest_invalid_json",
                "Invalid JSON body passed.",
                json_error_code=4,
                json_error_message="Syntax error",
            ) from exc
        if isinstance(parsed, dict):
            data.update(parsed)
        return data


Handler = Callable[[Store, Request, "re.Match[str]"], Response]


class WooCommerceSandbox:
    """The WSGI app. Thread-safe: the stores dict is guarded by `self.lock`, each store by its own lock."""

    def __init__(self, *, allow_any_webhook_host: bool = False) -> None:
        self.lock = threading.RLock()
        self.stores: dict[str, Store] = {}
        self.root_url = "http://127.0.0.1"  # set by server.start_sandbox to http://127.0.0.1:<port>
        self.allow_any_webhook_host = allow_any_webhook_host
        self.sleep: Callable[[float], None] = time.sleep
        self._routes: list[tuple[str, re.Pattern[str], Handler, str]] = [
            ("GET", re.compile(r"^/wc/v3/system_status$"), self._system_status, "list"),
            ("GET", re.compile(r"^/wc/v3/orders$"), self._orders_list, "list"),
            ("POST", re.compile(r"^/wc/v3/orders/batch$"), self._orders_batch, "batch"),
            ("GET", re.compile(r"^/wc/v3/orders/(?P<id>\d+)$"), self._order_get, "view"),
            ("PUT", re.compile(r"^/wc/v3/orders/(?P<id>\d+)$"), self._order_update, "edit"),
            ("PATCH", re.compile(r"^/wc/v3/orders/(?P<id>\d+)$"), self._order_update, "edit"),
            ("POST", re.compile(r"^/wc/v3/orders/(?P<id>\d+)$"), self._order_update, "edit"),
            ("GET", re.compile(r"^/wc/v3/orders/(?P<id>\d+)/notes$"), self._notes_list, "list"),
            ("POST", re.compile(r"^/wc/v3/orders/(?P<id>\d+)/notes$"), self._note_create, "create"),
            ("GET", re.compile(r"^/wc/v3/products$"), self._products_list, "list"),
            ("POST", re.compile(r"^/wc/v3/products$"), self._product_create, "create"),
            ("GET", re.compile(r"^/wc/v3/products/(?P<id>\d+)$"), self._product_get, "view"),
            ("PUT", re.compile(r"^/wc/v3/products/(?P<id>\d+)$"), self._product_update, "edit"),
            ("PATCH", re.compile(r"^/wc/v3/products/(?P<id>\d+)$"), self._product_update, "edit"),
            ("POST", re.compile(r"^/wc/v3/products/(?P<id>\d+)$"), self._product_update, "edit"),
            ("DELETE", re.compile(r"^/wc/v3/products/(?P<id>\d+)$"), self._product_delete, "delete"),
            ("GET", re.compile(r"^/wc/v3/products/(?P<id>\d+)/variations$"), self._variations_list, "list"),
            ("POST", re.compile(r"^/wc/v3/products/(?P<id>\d+)/variations/batch$"), self._variations_batch, "batch"),
            ("GET", re.compile(r"^/wc/v3/products/(?P<id>\d+)/variations/(?P<vid>\d+)$"), self._variation_get, "view"),
            (
                "PUT",
                re.compile(r"^/wc/v3/products/(?P<id>\d+)/variations/(?P<vid>\d+)$"),
                self._variation_update,
                "edit",
            ),
            (
                "PATCH",
                re.compile(r"^/wc/v3/products/(?P<id>\d+)/variations/(?P<vid>\d+)$"),
                self._variation_update,
                "edit",
            ),
            (
                "POST",
                re.compile(r"^/wc-shipment-tracking/v3/orders/(?P<id>\d+)/shipment-trackings$"),
                self._tracking_create,
                "create",
            ),
        ]

    # --- stores -----------------------------------------------------------------------------------------------------

    def create_store(self, slug: str | None = None, *, name: str | None = None, **options: Any) -> Store:
        with self.lock:
            slug = slug or f"store-{secrets.token_hex(3)}"
            if not _SLUG_RE.match(slug):
                raise ValueError(f"Store slug {slug!r} must be lowercase letters, digits and dashes.")
            if slug in self.stores:
                raise KeyError(f"A store {slug!r} exists already.")
            store = Store(self, slug, name=name or slug.replace("-", " ").title(), **options)
            self.stores[slug] = store
            return store

    def store(self, slug: str) -> Store:
        with self.lock:
            return self.stores[slug]

    # --- WSGI -------------------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO") or "/"
        try:
            if path.startswith("/__sandbox__/") or path == "/__sandbox__":
                status, headers, body = self._admin(environ, path[len("/__sandbox__") :])
            elif path.startswith("/woo/"):
                status, headers, body = self._site(environ, path)
            else:
                status, headers, body = _json(404, {"code": "sandbox_not_found", "message": "Try /woo/<slug>/."})
        except ApiError as exc:
            status, headers, body = _json(exc.status, exc.body())
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Unknown"
        headers = [*headers, ("Content-Length", str(len(body)))]
        start_response(f"{status} {phrase}", headers)
        return [body] if environ.get("REQUEST_METHOD") != "HEAD" else [b""]

    def _site(self, environ: dict[str, Any], path: str) -> Response:
        slug, _, rest = path[len("/woo/") :].partition("/")
        with self.lock:
            store = self.stores.get(slug)
        if store is None:
            return _html(404, "<h1>Not Found</h1><p>No sandbox store here.</p>")
        rest = "/" + rest
        base = f"{_root(environ)}/woo/{slug}"
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if rest.startswith("/files/"):
            return self._file(store, method, rest, query)
        if rest.startswith("/wp-content/uploads/"):
            return self._upload(store, method, rest)
        route = None
        if rest.startswith("/wp-json"):
            route = rest[len("/wp-json") :] or "/"
        elif rest == "/" and any(k == "rest_route" for k, _ in query):
            route = dict(query)["rest_route"]
            query = [(k, v) for k, v in query if k != "rest_route"]
        if route is None:
            return _html(404, "<h1>Page not found</h1>")
        route = route.rstrip("/") or "/"
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        request = Request(environ, method, route, query, body, base)
        return self._api(store, request)

    def _api(self, store: Store, request: Request) -> Response:
        entry = store._log(
            {
                "time": datetime.now(UTC).isoformat(),
                "method": request.method,
                "path": f"/wp-json{request.route}",
                "query": _query_dict(request.query),
                "auth": _auth_kind(request),
                "body": _body_for_log(request.body),
                "user_agent": request.environ.get("HTTP_USER_AGENT", ""),
                "status": None,
            }
        )
        response = self._api_inner(store, request)
        with store.lock:
            entry["status"] = response[0]
        return response

    def _api_inner(self, store: Store, request: Request) -> Response:
        with store.lock:
            faults = store.faults
            faults.api_requests += 1
            slow_ms = faults.slow_ms
        if slow_ms:
            self.sleep(slow_ms / 1000)
        with store.lock:
            if faults.unauthorized:
                return _json(401, _auth_error("Consumer key is invalid.").body(), _www_authenticate())
            limited = faults.rate_limit_burst > 0 or (
                faults.rate_limit_every > 0 and faults.api_requests % faults.rate_limit_every == 0
            )
            if limited:
                faults.rate_limit_burst = max(0, faults.rate_limit_burst - 1)
                body = {
                    "code": "rest_too_many_requests",
                    "message": "Too many requests. Please wait and try again.",
                    "data": {"status": 429},
                }
                return _json(429, body, [("Retry-After", str(faults.retry_after))])
            if faults.error_burst > 0:
                faults.error_burst -= 1
                code = faults.error_statuses[faults.errors_sent % len(faults.error_statuses)]
                faults.errors_sent += 1
                extra = [] if faults.error_retry_after is None else [("Retry-After", str(faults.error_retry_after))]
                return _server_error(code, extra)
        try:
            response = self._dispatch(store, request)
        except ApiError as exc:
            headers = _www_authenticate() if exc.status == 401 else []
            return _json(exc.status, exc.body(), headers)
        with store.lock:
            if faults.bad_json > 0 and 200 <= response[0] < 300:
                faults.bad_json -= 1
                status, headers, body = response
                return status, headers, body[: max(1, len(body) // 2)]
        return response

    def _dispatch(self, store: Store, request: Request) -> Response:
        if request.route in ("/wc/v3", "/wc/v3/") and request.method == "GET":
            return _json(200, _route_index(request.base, self._routes))
        for method, pattern, handler, action in self._routes:
            match = pattern.match(request.route)
            if match and method == request.method:
                _authenticate(store, request, action)
                with store.lock:
                    return handler(store, request, match)
        raise ApiError(404, *NO_ROUTE)

    # --- endpoints --------------------------------------------------------------------------------------------------

    def _system_status(self, store: Store, request: Request, match: re.Match[str]) -> Response:
        return _json(200, _system_status(store, request.base))

    def _orders_list(self, store: Store, request: Request, match: re.Match[str]) -> Response:
        params = request.params()
        statuses = request.param_list("status") or ["any"]
        for status in statuses:
            if status not in ("any", "trash", *ORDER_STATUSES):
                raise invalid_param("status", f"status[0] is not one of any, trash, {', '.join(ORDER_STATUSES)}.")
        orders = list(store.orders.values())
        if "any" not in statuses:
            orders = [o for o in orders if o["status"] in statuses]
        orders = _filter_dates(orders, params, store.tz)
        include = [int(x) for x in request.param_list("include") if x.isdigit()]
        if include:
            orders = [o for o in orders if o["id"] in include]
        exclude = {int(x) for x in request.param_list("exclude") if x.isdigit()}
        orders = [o for o in orders if o["id"] not in exclude]
        if params.get("customer", "").isdigit():
            orders = [o for o in orders if o["customer_id"] == int(params["customer"])]
        orders = _sort(orders, params, ("date", "id", "include", "title", "slug", "modified"), title_key="number")
        page, headers = _paginate(orders, request, store)
        fields = _fields_param(params)
        items = [store.render_order(o, request.base, fields=fields) for o in page]
        faults = store.faults
        if faults.malformed and items and fields is None:  # broken records come with full ones, not a `_fields` list
            victim = items[len(items) // 2]
            _break_order(victim, faults.malformed)
            faults.last_malformed_id = victim.get("id")
            faults.malformed = None
        return _json(200, items, headers)

    def _order(self, store: Store, match: re.Match[str]) -> dict[str, Any]:
        order = store.orders.get(int(match["id"]))
        if order is None:
            raise ApiError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return order

    def _order_get(self, store: Store, request: Request, match: re.Match[str]) -> Response:
        return _json(200, store.render_order(self._order(store, match), request.base))

    def _order_update(self, store: Store, request: Request, match: re.Match[str]) -> Response:
        order = self._order(store, match)
        _apply_order_changes(store, order, request.json())
        return _json(200, store.render_order(order, request.base))

    def _orders_batch(self, store: Store, request: Request, match: re.Match[str]) -> Response:
        data = request.json()
        result: dict[str, list[Any]] = {action: [] for action in ("create", "update", "delete") if action in data}
        for item in data.get("update") or []:
            order = store.orders.get(int(item["id"])) if str(item.get("id", "")).isdigit() else None
            if order is None:
                error = ApiError(400, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
                result["update"].append({"id": item.get("id", 0), "error": error.body()})
                continue
            try:
                _apply_order_changes(store, order, item)
            except ApiError as exc:
                result["update"].append({"id": order["id"], "error": exc.body()})
            else:
                result["update"].append(store.render_order(order, request.base))
        return _json(200, result)

    def _notes_list(self, store: Store, request: Request, match: re.Match[str]) -> Response:
        order = self._order(store, match)
        notes = sorted(store.notes.get(order["id"], []), key=lambda n: n["id"], reverse=True)
        return _json(200, [render(n, base=request.base, tz=store.tz) for n in notes])

    def _note_create(self, store: Store, request: Request, match: re.Match[str]) -> Response:
        order = self._order(store, match)
        data = request.json()
        if not data.get("note"):
            raise ApiError(400, "rest_missing_callback_param", "Missing parameter(s): note", params=["note"])
        customer_note = data.get("customer_note") in (True, "true", "1", 1)
        note = _add_note(store, order, str(data["note"]), customer_note, _now(), author="printconnect")
        body = render(note, base=request.base, tz=store.tz)
        location = f"{request.base}/wp-json/wc/v3/orders/{order['id']}/notes/{note['id']}"
        return _json(201, body, [("Location", location)])

    def _tracking_create(self, store: Store, request: Request, match: re.Match[str]) -> Response:
        order = self._order(store, match)
        data = request.json()
        if not data.get("tracking_number"):
            raise ApiError(
                400, "woocommerce_rest_shipment_tracking_missing_tracking_number", "Missing tracking number."
            )
        tracking = {
            "tracking_id": secrets.token_hex(16),
            "tracking_provider": data.get("tracking_provider") or data.get("custom_tracking_provider", ""),
            "tracking_link": data.get("custom_tracking_link", ""),
            "tracking_number": str(data["tracking_number"]),
            "date_shipped": str(data.get("date_shipped") or _now().date().isoformat()),
        }
        meta = next((m for m in order["meta_data"] if m["key"] == "_wc_shipment_tracking_items"), None)
        if meta is None:
            meta = {"id": store.next_meta_id(), "key": "_wc_shipment_tracking_items", "value": []}
            order["meta_data"].append(meta)
        meta["value"].append(tracking)
        order["date_modified"] = order["date_modified_gmt"] = _now()
        return _json(201, tracking)

    def _products_list(self, store: Store, request: Request, match: re.Match[str]) -> Response:
        params = request.params()
        products = _filter_dates(list(store.products.values()), params, store.tz)
        # status=any (the default) leaves the trash out, as WordPress does.
        wanted_status = params.get("status") or "any"
        if wanted_status == "any":
            products = [p for p in products if p["status"] != "trash"]
        else:
            products = [p for p in products if p["status"] == wanted_status]
        if params.get("sku"):
            skus = set(params["sku"].split(","))
            products = [p for p in products if p["sku"] in skus]
        if params.get("type"):
            products = [p for p in products if p["type"] == params["type"]]
        if params.get("tag", "").isdigit():
            products = [p for p in products if any(t["id"] == int(params["tag"]) for t in p["tags"])]
        include = [int(x) for x in request.param_list("include") if x.isdigit()]
        if include:
            products = [p for p in products if p["id"] in include]
        products = _sort(products, params, ("date", "id", "include", "title", "slug", "modified", "price"))
        page, headers = _paginate(products, request, store)
        return _json(200, [store.render_product(p, request.base) for p in page], headers)

    def _product(self, store: Store, match: re.Match[str]) -> dict[str, Any]:
        product = store.products.get(int(match["id"]))
        if product is None:
            raise ApiError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return product

    def _product_get(self, store: Store, request: Request, match: re.Match[str]) -> Response:
        return _json(200, store.render_product(self._product(store, match), request.base))

    def _product_update(self, store: Store, request: Request, match: re.Match[str]) -> Response:
        product = self._product(store, match)
        _apply_product_changes(store, product, request.json())
        return _json(200, store.render_product(product, request.base))

    def _product_create(self, store: Store, request: Request, match: re.Match[str]) -> Response:
        data = request.json()
        kind = data.get("type", "simple")
        if kind not in ("simple", "variable", "grouped", "external"):
            raise invalid_param("type", "type is not one of simple, grouped, external, and variable.")
        sku = str(data.get("sku") or "")
        taken = _sku_owner(store, sku)
        if taken is not None:
            raise ApiError(
                400, "product_invalid_sku", "Invalid or duplicated SKU.", resource_id=taken, unique_sku=f"{sku}-1"
            )
        product = new_product(
            store,
            name=str(data.get("name") or ""),
            kind=kind,
            sku=sku,
            price=_price_param(data, "regular_price"),
            when=_now(),
            images=[
                {"src": str(i.get("src", "")), "name": str(i.get("name", "")), "alt": str(i.get("alt", ""))}
                for i in data.get("images") or []
                if isinstance(i, dict)
            ],
            attributes=_attributes_param(data.get("attributes")),
        )
        product["default_attributes"] = [
            {"id": 0, "name": str(a.get("name", "")), "option": str(a.get("option", ""))}
            for a in data.get("default_attributes") or []
            if isinstance(a, dict)
        ]
        _apply_product_changes(store, product, {k: v for k, v in data.items() if k not in ("images",)})
        store.add_product(product)
        location = f"{request.base}/wp-json/wc/v3/products/{product['id']}"
        return _json(201, store.render_product(product, request.base), [("Location", location)])

    def _product_delete(self, store: Store, request: Request, match: re.Match[str]) -> Response:
        """With `force=true` the product and its variations are gone; otherwise it moves to the trash."""
        product = self._product(store, match)
        rendered = store.render_product(product, request.base)
        if _bool_param(request.params(), "force"):
            del store.products[product["id"]]
            store.variations.pop(product["id"], None)
        else:
            product["status"] = rendered["status"] = "trash"
        return _json(200, rendered)

    def _variations_batch(self, store: Store, request: Request, match: re.Match[str]) -> Response:
        """`{create, update, delete}` of a product's variations; a refused entry answers `{"id": 0, "error"}` in its
        place and the others go through, as WooCommerce's batch controller does."""
        product = self._product(store, match)
        data = request.json()
        parts = {name: data.get(name) or [] for name in ("create", "update", "delete")}
        for name, items in parts.items():
            if not isinstance(items, list):
                raise invalid_param(name, f"{name} is not of type array.")
        if sum(len(items) for items in parts.values()) > 100:
            raise ApiError(
                413,
                "woocommerce_rest_request_entity_too_large",
                "Unable to accept more than 100 items for this request.",
            )
        answer: dict[str, list[dict[str, Any]]] = {}
        if parts["create"]:
            answer["create"] = [
                _batch_entry(lambda i=item: self._variation_add(store, product, i, request)) for item in parts["create"]
            ]
        if parts["update"]:
            answer["update"] = [
                _batch_entry(lambda i=item: self._variation_change(store, product, i, request))
                for item in parts["update"]
            ]
        if parts["delete"]:
            answer["delete"] = [
                _batch_entry(lambda i=item: self._variation_remove(store, product, i, request))
                for item in parts["delete"]
            ]
        variations = store.variations.get(product["id"], {})
        product["variations"] = sorted(variations)
        prices = [Decimal(v["price"]) for v in variations.values() if v.get("price")]
        product["price"] = money(min(prices)) if prices else ""
        product["date_modified"] = product["date_modified_gmt"] = _now()
        return _json(200, answer)

    def _variation_add(self, store: Store, product: dict[str, Any], item: Any, request: Request) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise invalid_param("create", "each entry is an object.")
        sku = str(item.get("sku") or "")
        taken = _sku_owner(store, sku)
        if taken is not None:
            raise ApiError(400, "product_invalid_sku", "Invalid or duplicated SKU.", resource_id=taken)
        # Attributes name one of the parent's variation attributes (by name, any case, or by id); others are ignored.
        by_name = {str(a["name"]).lower(): a for a in product.get("attributes") or [] if a.get("variation")}
        attributes = []
        for raw in item.get("attributes") or []:
            if not isinstance(raw, dict):
                continue
            parent = by_name.get(str(raw.get("name", "")).lower())
            if parent is not None:
                attributes.append(
                    {"id": parent.get("id", 0), "name": parent["name"], "option": str(raw.get("option", ""))}
                )
        variation = new_variation(
            store, product, attributes=attributes, sku=sku, price=_price_param(item, "regular_price"), when=_now()
        )
        variation["image"] = None  # none given: WooCommerce shows the product's image
        store.variations.setdefault(product["id"], {})[variation["id"]] = variation
        return store.render_product(variation, request.base)

    def _variation_change(self, store: Store, product: dict[str, Any], item: Any, request: Request) -> dict[str, Any]:
        variation = store.variations.get(product["id"], {}).get(_item_id(item))
        if variation is None:
            raise ApiError(404, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.")
        _apply_product_changes(store, variation, item)
        return store.render_product(variation, request.base)

    def _variation_remove(self, store: Store, product: dict[str, Any], item: Any, request: Request) -> dict[str, Any]:
        variation = store.variations.get(product["id"], {}).pop(_item_id(item), None)
        if variation is None:
            raise ApiError(404, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.")
        return store.render_product(variation, request.base)

    def _variations_list(self, store: Store, request: Request, match: re.Match[str]) -> Response:
        product = self._product(store, match)
        variations = list(store.variations.get(product["id"], {}).values())
        variations = _sort(variations, request.params(), ("date", "id", "include", "title", "slug", "modified"))
        page, headers = _paginate(variations, request, store)
        return _json(200, [store.render_product(v, request.base) for v in page], headers)

    def _variation(self, store: Store, match: re.Match[str]) -> dict[str, Any]:
        product = self._product(store, match)
        variation = store.variations.get(product["id"], {}).get(int(match["vid"]))
        if variation is None:
            raise ApiError(404, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.")
        return variation

    def _variation_get(self, store: Store, request: Request, match: re.Match[str]) -> Response:
        return _json(200, store.render_product(self._variation(store, match), request.base))

    def _variation_update(self, store: Store, request: Request, match: re.Match[str]) -> Response:
        variation = self._variation(store, match)
        _apply_product_changes(store, variation, request.json())
        return _json(200, store.render_product(variation, request.base))

    # --- files ------------------------------------------------------------------------------------------------------

    def _file(self, store: Store, method: str, rest: str, query: list[tuple[str, str]]) -> Response:
        name = rest[len("/files/") :]
        with store.lock:
            title = store.files.get(name)
        store._log(
            {
                "time": datetime.now(UTC).isoformat(),
                "method": method,
                "path": rest,
                "query": _query_dict(query),
                "auth": "none",
                "body": None,
                "user_agent": "",
                "status": 200 if title else 404,
            }
        )
        if title is None or method not in ("GET", "HEAD"):
            return _html(404, "<h1>Not Found</h1>")
        return 200, [("Content-Type", "application/pdf")], make_pdf(f"{store.name} - {title}")

    def _upload(self, store: Store, method: str, rest: str) -> Response:
        path = rest[len("/wp-content/uploads/") :]
        with store.lock:
            known = path in store.uploads
        if not known or method not in ("GET", "HEAD"):
            return _html(404, "<h1>Not Found</h1>")
        return 200, [("Content-Type", "image/png")], make_png(path)

    # --- admin ------------------------------------------------------------------------------------------------------

    def _admin(self, environ: dict[str, Any], path: str) -> Response:
        if not _is_loopback(environ.get("REMOTE_ADDR", "")):
            return _json(403, {"code": "sandbox_forbidden", "message": "The sandbox admin API answers loopback only."})
        method = environ.get("REQUEST_METHOD", "GET").upper()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        try:
            data = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return _admin_error(400, "Send a JSON object.")
        if not isinstance(data, dict):
            return _admin_error(400, "Send a JSON object.")
        root = _root(environ)
        parts = [p for p in path.split("/") if p]
        if parts == ["stores"]:
            if method == "GET":
                with self.lock:
                    stores = list(self.stores.values())
                return _json(200, [s.info(f"{root}/woo/{s.slug}") for s in stores], php=False)
            if method == "POST":
                return self._admin_create_store(data, root)
        if len(parts) >= 2 and parts[0] == "stores":
            with self.lock:
                store = self.stores.get(parts[1])
            if store is None:
                return _admin_error(404, f"No sandbox store {parts[1]!r}.")
            base = f"{root}/woo/{store.slug}"
            return self._admin_store(store, method, parts[2:], data, base)
        return _admin_error(404, "Unknown sandbox admin endpoint.")

    def _admin_create_store(self, data: dict[str, Any], root: str) -> Response:
        from printconnect.sandbox.woocommerce import seed

        allowed = {"currency", "utc_offset_hours", "consumer_key", "consumer_secret", "webhook_secret", "webhook_id"}
        allowed |= {"tax_rate", "country", "locale", "key_permissions"}
        options = {k: v for k, v in data.items() if k in allowed}
        try:
            store = self.create_store(data.get("slug"), name=data.get("name"), **options)
        except KeyError as exc:
            return _admin_error(409, str(exc.args[0]))
        except (ValueError, TypeError) as exc:
            return _admin_error(400, str(exc))
        spec = data.get("seed")
        if spec:
            spec = spec if isinstance(spec, dict) else {}
            seed.seed_store(
                store,
                products=int(spec.get("products", 12)),
                orders=int(spec.get("orders", 40)),
                lines_per_order=spec.get("lines", (1, 3)),
                seed=int(spec.get("seed", 1)),
            )
        return _json(201, store.info(f"{root}/woo/{store.slug}"), php=False)

    def _admin_store(self, store: Store, method: str, rest: list[str], data: dict[str, Any], base: str) -> Response:
        from printconnect.sandbox.woocommerce import seed

        if rest == [] and method == "GET":
            return _json(200, store.info(base), php=False)
        if rest == ["faults"]:
            if method == "GET":
                with store.lock:
                    return _json(200, store.faults.as_dict(), php=False)
            if method in ("POST", "PUT"):
                try:
                    return _json(200, store.set_faults(**data), php=False)
                except ValueError as exc:
                    return _admin_error(400, str(exc))
            if method == "DELETE":
                store.clear_faults()
                return _json(200, store.faults.as_dict(), php=False)
        if rest == ["orders"] and method == "POST":
            count = data.get("count", 1)
            if not isinstance(count, int) or not 1 <= count <= 1000:
                return _admin_error(400, "count must be a whole number from 1 to 1000.")
            status = data.get("status")
            if status is not None and status not in ORDER_STATUSES:
                return _admin_error(400, f"status must be one of {', '.join(ORDER_STATUSES)}.")
            orders = seed.add_orders(store, count, status=status)
            return _json(201, {"orders": [o["id"] for o in orders]}, php=False)
        if rest == ["requests"]:
            if method == "GET":
                return _json(200, store.requests(), php=False)
            if method == "DELETE":
                store.clear_requests()
                return _json(200, [], php=False)
        if rest == ["webhooks", "fire"] and method == "POST":
            try:
                result = self.fire_webhook(
                    store.slug,
                    delivery_url=str(data.get("delivery_url", "")),
                    topic=str(data.get("topic", "order.created")),
                    resource_id=data.get("resource_id", data.get("order_id", data.get("product_id"))),
                    ping=bool(data.get("ping")),
                    base=base,
                )
            except LookupError as exc:
                return _admin_error(404, str(exc.args[0]))
            except ValueError as exc:
                return _admin_error(400, str(exc))
            return _json(200 if result.get("status") is not None else 502, result, php=False)
        return _admin_error(404, "Unknown sandbox admin endpoint.")

    # --- webhooks ---------------------------------------------------------------------------------------------------

    def webhook_request(
        self,
        slug: str,
        *,
        topic: str = "order.created",
        resource_id: int | None = None,
        ping: bool = False,
        base: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers WooCommerce would POST for `topic` (or the ping), without sending them."""
        store = self.store(slug)
        base = base or store.base_url
        headers = {"User-Agent": USER_AGENT}
        if ping:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return f"webhook_id={store.webhook_id}".encode(), headers
        resource, _, event = topic.partition(".")
        if resource not in ("order", "product") or event not in ("created", "updated", "deleted", "restored"):
            raise ValueError("topic must be order.* or product.* with created, updated, deleted or restored.")
        with store.lock:
            records = store.orders if resource == "order" else store.products
            if resource_id is None:
                if not records:
                    raise LookupError(f"The store has no {resource}s yet.")
                resource_id = max(records)
            record = records.get(int(resource_id))
            if record is None:
                raise LookupError(f"No {resource} {resource_id} in the store.")
            if event == "deleted":
                payload: dict[str, Any] = {"id": record["id"]}
            elif resource == "order":
                payload = store.render_order(record, base)
            else:
                payload = store.render_product(record, base)
        body = php_json(payload)
        signature = base64.b64encode(hmac.new(store.webhook_secret.encode(), body, hashlib.sha256).digest()).decode()
        headers.update(
            {
                "Content-Type": "application/json",
                "X-WC-Webhook-Source": f"{base}/",
                "X-WC-Webhook-Topic": topic,
                "X-WC-Webhook-Resource": resource,
                "X-WC-Webhook-Event": event,
                "X-WC-Webhook-Signature": signature,
                "X-WC-Webhook-ID": str(store.webhook_id),
                "X-WC-Webhook-Delivery-ID": secrets.token_hex(16),
            }
        )
        return body, headers

    def fire_webhook(
        self,
        slug: str,
        *,
        delivery_url: str,
        topic: str = "order.created",
        resource_id: int | None = None,
        ping: bool = False,
        base: str | None = None,
        timeout: float = 10,
    ) -> dict[str, Any]:
        """POST a signed webhook (or the unsigned ping) to `delivery_url`; returns what was sent and the answer."""
        parts = urlsplit(delivery_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("delivery_url must be an http(s) URL.")
        if not self.allow_any_webhook_host and not _is_loopback_name(parts.hostname):
            raise ValueError("The sandbox delivers webhooks to loopback addresses only.")
        body, headers = self.webhook_request(slug, topic=topic, resource_id=resource_id, ping=ping, base=base)
        result: dict[str, Any] = {
            "delivery_url": delivery_url,
            "topic": "ping" if ping else topic,
            "headers": headers,
            "body": body.decode(),
            "status": None,
        }
        connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = connection_class(parts.hostname, parts.port, timeout=timeout)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:  # http.client keeps header names as written (urllib would send "X-wc-webhook-signature")
            connection.request("POST", target, body=body, headers=headers)
            answer = connection.getresponse()
            result.update(status=answer.status, response_body=answer.read(4096).decode("utf-8", "replace"))
        except OSError as exc:
            result["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        return result


# --- helpers: HTTP ----------------------------------------------------------------------------------------------------

_JSON_HEADERS = [
    ("Content-Type", "application/json; charset=UTF-8"),
    ("X-Robots-Tag", "noindex"),
    ("X-Content-Type-Options", "nosniff"),
    ("Access-Control-Expose-Headers", "X-WP-Total, X-WP-TotalPages, Link"),
]


def _json(status: int, data: Any, headers: Iterable[tuple[str, str]] = (), *, php: bool = True) -> Response:
    body = php_json(data) if php else json.dumps(data).encode()
    return status, [*_JSON_HEADERS, *headers], body


def _html(status: int, html: str) -> Response:
    return (
        status,
        [("Content-Type", "text/html; charset=UTF-8")],
        f"<!DOCTYPE html><html><body>{html}</body></html>".encode(),
    )


def _admin_error(status: int, message: str) -> Response:
    return _json(status, {"code": "sandbox_error", "message": message}, php=False)


def _server_error(status: int, extra: list[tuple[str, str]]) -> Response:
    if status == 500:
        body = {
            "code": "internal_server_error",
            "message": "<p>There has been a critical error on this website.</p>",
            "data": {"status": 500},
            "additional_errors": [],
        }
        return _json(500, body, extra)
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Server Error"
    html = f"<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n<center><h1>{status} {phrase}</h1>"
    html += "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    return status, [("Content-Type", "text/html"), *extra], html.encode()


def _www_authenticate() -> list[tuple[str, str]]:
    realm = "WooCommerce API. Use a consumer key in the username field and a consumer secret in the password field."
    return [("WWW-Authenticate", f'Basic realm="{realm}"')]


def _root(environ: dict[str, Any]) -> str:
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT', '80')}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def _is_loopback_name(host: str) -> bool:
    return host.lower() in ("localhost", "localhost.localdomain") or _is_loopback(host)


def _query_dict(query: list[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in query:
        if key in CREDENTIAL_PARAMS:
            continue
        if key in out:
            out[key] = [*out[key], value] if isinstance(out[key], list) else [out[key], value]
        else:
            out[key] = value
    return out


def _auth_kind(request: Request) -> str:
    header = request.environ.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("basic "):
        return "basic"
    if header.lower().startswith("oauth ") or any(k.startswith("oauth_") for k, _ in request.query):
        return "oauth"
    if any(k == "consumer_key" for k, _ in request.query):
        return "query"
    return "none"


def _body_for_log(body: bytes) -> Any:
    if not body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return body[:2000].decode("utf-8", "replace")
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in CREDENTIAL_PARAMS}
    return data


_CANNOT = {
    "delete": ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."),
    "list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
    "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
    "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "batch": ("woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource."),
}


def _auth_error(message: str) -> ApiError:
    return ApiError(401, "woocommerce_rest_authentication_error", message)


def _authenticate(store: Store, request: Request, action: str) -> None:
    """Basic `ck:cs` or `consumer_key`/`consumer_secret` query parameters, as WC_REST_Authentication checks them."""
    key = secret = None
    header = request.environ.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("basic "):
        try:
            key, _, secret = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            key = secret = None
    if key is None:
        params = request.params()
        key, secret = params.get("consumer_key"), params.get("consumer_secret")
    if not key or secret is None:
        raise ApiError(401, *_CANNOT[action])
    if not hmac.compare_digest(key.encode(), store.consumer_key.encode()):
        raise _auth_error("Consumer key is invalid.")
    if not hmac.compare_digest(secret.encode(), store.consumer_secret.encode()):
        raise _auth_error("Consumer secret is invalid.")
    # WC_REST_Authentication::check_permissions: a key may lack read or write permission (401 either way).
    writing = request.method in ("POST", "PUT", "PATCH", "DELETE")
    if writing and store.key_permissions == "read":
        raise _auth_error("The API key provided does not have write permissions.")
    if not writing and store.key_permissions == "write":
        raise _auth_error("The API key provided does not have read permissions.")


# --- helpers: queries -------------------------------------------------------------------------------------------------


def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int | None = None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"-?\d+", raw.strip()):
        raise invalid_param(name, f"{name} is not of type integer.")
    value = int(raw)
    if high is not None and not low <= value <= high:
        message = f"{name} must be between {low} (inclusive) and {high} (inclusive)"
        error = invalid_param(name, message)
        error.data["details"] = {name: {"code": "rest_out_of_bounds", "message": message, "data": None}}
        raise error
    if value < low:
        raise invalid_param(name, f"{name} must be greater than or equal to {low}")
    return value


_COMPUTED_ORDER_FIELDS = frozenset({"needs_payment", "needs_processing", "is_editable", "payment_url"})


def _fields_param(params: dict[str, str]) -> frozenset[str] | None:
    """WordPress's `_fields`: a comma-separated list of top-level fields (a nested `a.b` keeps all of `a` here)."""
    raw = params.get("_fields", "").strip()
    if not raw:
        return None
    return frozenset(name.strip().split(".", 1)[0] for name in raw.split(",") if name.strip())


def _bool_param(params: dict[str, str], name: str) -> bool:
    return params.get(name, "").lower() in ("1", "true", "yes", "on")


def parse_wp_date(name: str, raw: str, tz: timezone) -> datetime:
    """A date parameter as WP_Date_Query compares it: site-local wall time unless the value carries an offset,
    in which case it is converted to the site's zone (even when compared against a *_gmt column)."""
    match = _DATE_RE.match(raw.strip())
    if not match:
        raise invalid_param(name, "Invalid date.")
    year, month, day, hour, minute, second, _, offset = match.groups()
    try:
        value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))  # noqa: DTZ001
    except ValueError as exc:
        raise invalid_param(name, "Invalid date.") from exc
    if offset:
        if offset in ("Z", "z"):
            zone = UTC
        else:
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0)))
        value = value.replace(tzinfo=zone).astimezone(tz).replace(tzinfo=None)
    return value


def _filter_dates(records: list[dict[str, Any]], params: dict[str, str], tz: timezone) -> list[dict[str, Any]]:
    # The limit is a wall time in UTC (dates_are_gmt) or in the site's zone; stored dates are aware, so comparing
    # them with the limit made aware once is the same test without converting every record on every page.
    zone = UTC if _bool_param(params, "dates_are_gmt") else tz
    for name, field_name, after in (
        ("after", "date_created", True),
        ("before", "date_created", False),
        ("modified_after", "date_modified", True),
        ("modified_before", "date_modified", False),
    ):
        if params.get(name):
            limit = parse_wp_date(name, params[name], tz).replace(tzinfo=zone)
            if after:
                records = [r for r in records if _aware(r[field_name]) > limit]
            else:
                records = [r for r in records if _aware(r[field_name]) < limit]
    return records


def _aware(value: datetime) -> datetime:
    """Stored dates are aware; one set naive (by hand, in a test) counts as the machine's local time."""
    return value if value.tzinfo is not None else value.astimezone()


def _sort(
    records: list[dict[str, Any]], params: dict[str, str], allowed: tuple[str, ...], *, title_key: str = "name"
) -> list[dict[str, Any]]:
    orderby = params.get("orderby") or "date"
    order = (params.get("order") or "desc").lower()
    if orderby not in allowed:
        raise invalid_param("orderby", f"orderby is not one of {', '.join(allowed)}.")
    if order not in ("asc", "desc"):
        raise invalid_param("order", "order is not one of asc and desc.")
    keys: dict[str, Callable[[dict[str, Any]], Any]] = {
        "date": lambda r: (r["date_created"], r["id"]),
        "modified": lambda r: (r["date_modified"], r["id"]),
        "id": lambda r: r["id"],
        "include": lambda r: r["id"],
        "title": lambda r: (str(r.get(title_key, "")), r["id"]),
        "slug": lambda r: (str(r.get("slug", r.get(title_key, ""))), r["id"]),
        "price": lambda r: (Decimal(r.get("price") or "0"), r["id"]),
    }
    return sorted(records, key=keys[orderby], reverse=order == "desc")


def _paginate(records: list[Any], request: Request, store: Store) -> tuple[list[Any], list[tuple[str, str]]]:
    params = request.params()
    per_page = _int_param(params, "per_page", 10, 1, 100)
    page = _int_param(params, "page", 1, 1)
    offset = _int_param(params, "offset", -1, 0) if params.get("offset") not in (None, "") else None
    start = offset if offset is not None else (page - 1) * per_page
    total = len(records)
    total_pages = math.ceil(total / per_page) if total else 0
    headers = [("X-WP-Total", str(total)), ("X-WP-TotalPages", str(total_pages))]
    query = [(k, v) for k, v in request.query if k not in CREDENTIAL_PARAMS and k != "page"]
    base = f"{request.base}/wp-json{request.route}"

    def link(number: int) -> str:
        return f"{base}?{urlencode([*query, ('page', str(number))], quote_via=quote)}"

    if page > 1:
        headers.append(("Link", f'<{link(min(page - 1, max(total_pages, 1)))}>; rel="prev"'))
    if page < total_pages:
        headers.append(("Link", f'<{link(page + 1)}>; rel="next"'))
    return records[start : start + per_page], headers


# --- helpers: records -------------------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _label(status: str) -> str:
    return {"on-hold": "On hold", "checkout-draft": "Draft"}.get(status, status.capitalize())


def _add_note(
    store: Store, order: dict[str, Any], text: str, customer_note: bool, when: datetime, author: str = "system"
) -> dict[str, Any]:
    store._comment_id += 1
    note_id = store._comment_id
    href = f"{BASE_MARK}/wp-json/wc/v3/orders/{order['id']}"
    note = {
        "id": note_id,
        "author": author,
        "date_created": when,
        "date_created_gmt": when,
        "note": text,
        "customer_note": customer_note,
        "_links": {
            "self": [{"href": f"{href}/notes/{note_id}"}],
            "collection": [{"href": f"{href}/notes"}],
            "up": [{"href": href}],
        },
    }
    store.notes.setdefault(order["id"], []).append(note)
    return note


def _apply_order_changes(store: Store, order: dict[str, Any], data: dict[str, Any]) -> None:
    now = _now()
    if "status" in data:
        status = data["status"]
        if status not in ORDER_STATUSES:
            raise invalid_param("status", f"status is not one of {', '.join(ORDER_STATUSES)}.")
        if status != order["status"]:
            old = order["status"]
            order["status"] = status
            if status in ("processing", "completed") and order["date_paid"] is None:
                order["date_paid"] = order["date_paid_gmt"] = now
            if status == "completed":
                order["date_completed"] = order["date_completed_gmt"] = now
            _add_note(store, order, f"Order status changed from {_label(old)} to {_label(status)}.", False, now)
    for key in ("customer_note", "transaction_id"):
        if key in data:
            order[key] = str(data[key])
    if isinstance(data.get("meta_data"), list):
        _merge_meta(store, order["meta_data"], data["meta_data"])
    order["date_modified"] = order["date_modified_gmt"] = now


def _merge_meta(store: Store, meta: list[dict[str, Any]], changes: list[Any]) -> None:
    for change in changes:
        if not isinstance(change, dict) or "key" not in change:
            continue
        existing = next((m for m in meta if m["key"] == change["key"]), None)
        if existing is None:
            meta.append({"id": store.next_meta_id(), "key": str(change["key"]), "value": change.get("value")})
        else:
            existing["value"] = change.get("value")


def _break_order(order: dict[str, Any], kind: str) -> None:
    if kind == "missing_line_items":
        order.pop("line_items", None)
    elif kind == "non_numeric_total":
        order["total"] = "N/A"
    elif kind == "bad_date":
        order["date_created_gmt"] = "0000-00-00 00:00:00"
        order["date_modified_gmt"] = "yesterday"


def _apply_product_changes(store: Store, product: dict[str, Any], data: dict[str, Any]) -> None:
    """PUT /products/<id> or /variations/<id>: the fields printconnect writes (stock, prices, names, meta)."""
    if "stock_quantity" in data:
        raw = data["stock_quantity"]
        if raw is None:
            quantity = None
        elif isinstance(raw, bool) or not (
            isinstance(raw, int) or (isinstance(raw, str) and re.fullmatch(r"-?\d+", raw))
        ):
            raise invalid_param("stock_quantity", "stock_quantity is not of type integer.")
        else:
            quantity = int(raw)
        product["stock_quantity"] = quantity
    if "manage_stock" in data:
        product["manage_stock"] = data["manage_stock"] in (True, "true", "1", 1)
        if not product["manage_stock"]:
            product["stock_quantity"] = None
    if product["manage_stock"] and product["stock_quantity"] is not None:
        product["stock_status"] = "instock" if product["stock_quantity"] > 0 else "outofstock"
    elif "stock_status" in data and data["stock_status"] in ("instock", "outofstock", "onbackorder"):
        product["stock_status"] = data["stock_status"]
    for key in ("name", "description", "short_description", "sku", "status"):
        if key in data and key in product:
            product[key] = str(data[key])
    if "regular_price" in data:
        product["regular_price"] = str(data["regular_price"])
        product["price"] = product["sale_price"] or product["regular_price"]
    if isinstance(data.get("meta_data"), list):
        _merge_meta(store, product["meta_data"], data["meta_data"])
    if isinstance(data.get("tags"), list) and "tags" in product:
        product["tags"] = [
            {
                "id": int(t.get("id", 0)) or store.next_meta_id(),
                "name": str(t.get("name", "")),
                "slug": str(t.get("slug", "")),
            }
            for t in data["tags"]
            if isinstance(t, dict)
        ]
    product["date_modified"] = product["date_modified_gmt"] = _now()


def _sku_owner(store: Store, sku: str) -> int | None:
    """The id of the product or variation (not in the trash) that already uses `sku`: SKUs are unique across both,
    whatever the case (WordPress's MySQL tables compare text case-insensitively)."""
    if not sku:
        return None
    wanted = sku.lower()
    for product in store.products.values():
        if product.get("status") == "trash":
            continue
        if product["sku"].lower() == wanted:
            return int(product["id"])
        for variation in store.variations.get(product["id"], {}).values():
            if variation["sku"].lower() == wanted:
                return int(variation["id"])
    return None


def _price_param(data: dict[str, Any], name: str) -> Decimal:
    """A price field of a write: a decimal string (the REST schema's type is string), empty for none."""
    raw = data.get(name)
    if raw is None or raw == "":
        return Decimal("0")
    if not isinstance(raw, str):
        raise invalid_param(name, f"{name} is not of type string.")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise invalid_param(name, f"{name} is not a valid price.") from None
    if not value.is_finite() or value < 0:
        raise invalid_param(name, f"{name} is not a valid price.")
    return value


def _attributes_param(raw: Any) -> list[dict[str, Any]]:
    """`attributes` of a product write: custom (local) attributes `{name, options, visible, variation, position}`."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise invalid_param("attributes", "attributes is not of type array.")
    attributes = []
    for position, item in enumerate(raw):
        if not isinstance(item, dict) or not str(item.get("name") or "").strip():
            raise invalid_param("attributes", f"attributes[{position}][name] is required.")
        options = item.get("options") or []
        if not isinstance(options, list):
            raise invalid_param("attributes", f"attributes[{position}][options] is not of type array.")
        attributes.append(
            {
                "id": int(item.get("id") or 0),
                "name": str(item["name"]).strip(),
                "position": int(item.get("position", position) or 0),
                "visible": item.get("visible", False) in (True, "true", "1", 1),
                "variation": item.get("variation", False) in (True, "true", "1", 1),
                "options": [str(option) for option in options],
            }
        )
    return attributes


def _item_id(item: Any) -> int:
    """The id of a batch `update` (object with id) or `delete` (bare id) entry; 0 when there is none."""
    raw = item.get("id") if isinstance(item, dict) else item
    return int(raw) if isinstance(raw, int | str) and str(raw).isdigit() else 0


def _batch_entry(make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return make()
    except ApiError as exc:
        return {
            "id": 0,
            "error": {"code": exc.code, "message": exc.message, "data": {"status": exc.status, **exc.data}},
        }


def new_product(
    store: Store,
    *,
    name: str,
    kind: str,
    sku: str,
    price: Decimal,
    when: datetime,
    images: list[dict[str, str]] = (),  # type: ignore[assignment]
    attributes: list[dict[str, Any]] = (),  # type: ignore[assignment]
    tags: list[dict[str, Any]] = (),  # type: ignore[assignment]
    categories: list[dict[str, Any]] = (),  # type: ignore[assignment]
    meta_data: list[dict[str, Any]] = (),  # type: ignore[assignment]
    manage_stock: bool = False,
    stock_quantity: int | None = None,
    description: str = "",
) -> dict[str, Any]:
    """A product record shaped like GET /wp-json/wc/v3/products/<id> (WooCommerce 8.x)."""
    product_id = store.next_post_id()
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or f"product-{product_id}"
    href = f"{BASE_MARK}/wp-json/wc/v3/products"
    price_text = money(price) if price else ""
    stock_status = "instock" if not manage_stock or (stock_quantity or 0) > 0 else "outofstock"
    return {
        "id": product_id,
        "name": name,
        "slug": slug,
        "permalink": f"{BASE_MARK}/product/{slug}/",
        "date_created": when,
        "date_created_gmt": when,
        "date_modified": when,
        "date_modified_gmt": when,
        "type": kind,
        "status": "publish",
        "featured": False,
        "catalog_visibility": "visible",
        "description": description,
        "short_description": "",
        "sku": sku,
        "price": price_text,
        "regular_price": price_text,
        "sale_price": "",
        "date_on_sale_from": None,
        "date_on_sale_from_gmt": None,
        "date_on_sale_to": None,
        "date_on_sale_to_gmt": None,
        "on_sale": False,
        "purchasable": True,
        "total_sales": 0,
        "virtual": False,
        "downloadable": False,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "external_url": "",
        "button_text": "",
        "tax_status": "taxable",
        "tax_class": "",
        "manage_stock": manage_stock,
        "stock_quantity": stock_quantity if manage_stock else None,
        "stock_status": stock_status,
        "backorders": "no",
        "backorders_allowed": False,
        "backordered": False,
        "low_stock_amount": None,
        "sold_individually": False,
        "weight": "",
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_required": True,
        "shipping_taxable": True,
        "shipping_class": "",
        "shipping_class_id": 0,
        "reviews_allowed": True,
        "average_rating": "0.00",
        "rating_count": 0,
        "upsell_ids": [],
        "cross_sell_ids": [],
        "parent_id": 0,
        "purchase_note": "",
        "categories": list(categories),
        "tags": list(tags),
        "images": [new_image(store, image, when) for image in images],
        "attributes": list(attributes),
        "default_attributes": [],
        "variations": [],
        "grouped_products": [],
        "menu_order": 0,
        "related_ids": [],
        "meta_data": [{"id": store.next_meta_id(), **m} for m in meta_data],
        "_links": {"self": [{"href": f"{href}/{product_id}"}], "collection": [{"href": href}]},
    }


def new_image(store: Store, image: dict[str, str], when: datetime) -> dict[str, Any]:
    src = image.get("src", "")
    if not src:
        src = f"{BASE_MARK}/wp-content/uploads/{when:%Y/%m}/image-{store.next_attachment_id()}.png"
    return {
        "id": store.next_attachment_id(),
        "date_created": when,
        "date_created_gmt": when,
        "date_modified": when,
        "date_modified_gmt": when,
        "src": src,
        "name": image.get("name", ""),
        "alt": image.get("alt", ""),
    }


def new_variation(
    store: Store,
    parent: dict[str, Any],
    *,
    attributes: list[dict[str, Any]],
    sku: str,
    price: Decimal,
    when: datetime,
    image: dict[str, str] | None = None,
    manage_stock: bool = False,
    stock_quantity: int | None = None,
) -> dict[str, Any]:
    """A variation record shaped like platform-samples/woocommerce/product-22-variations.json."""
    variation_id = store.next_post_id()
    query = "&".join(
        f"attribute_{a.get('slug') or a['name'].lower()}={quote(str(a['option']).lower())}" for a in attributes
    )
    href = f"{BASE_MARK}/wp-json/wc/v3/products/{parent['id']}"
    return {
        "id": variation_id,
        "date_created": when,
        "date_created_gmt": when,
        "date_modified": when,
        "date_modified_gmt": when,
        "description": "",
        "permalink": f"{BASE_MARK}/product/{parent['slug']}/?{query}",
        "sku": sku,
        "price": money(price),
        "regular_price": money(price),
        "sale_price": "",
        "date_on_sale_from": None,
        "date_on_sale_from_gmt": None,
        "date_on_sale_to": None,
        "date_on_sale_to_gmt": None,
        "on_sale": False,
        "status": "publish",
        "purchasable": True,
        "virtual": False,
        "downloadable": False,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "tax_status": "taxable",
        "tax_class": "",
        "manage_stock": manage_stock,
        "stock_quantity": stock_quantity if manage_stock else None,
        "stock_status": "instock" if not manage_stock or (stock_quantity or 0) > 0 else "outofstock",
        "backorders": "no",
        "backorders_allowed": False,
        "backordered": False,
        "weight": "",
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_class": "",
        "shipping_class_id": 0,
        "image": new_image(store, image or {}, when),
        "attributes": [{"id": a["id"], "name": a["name"], "option": a["option"]} for a in attributes],
        "menu_order": 0,
        "meta_data": [],
        "_links": {
            "self": [{"href": f"{href}/variations/{variation_id}"}],
            "collection": [{"href": f"{href}/variations"}],
            "up": [{"href": href}],
        },
    }


def _system_status(store: Store, base: str) -> dict[str, Any]:
    return {
        "environment": {
            "home_url": base,
            "site_url": base,
            "store_id": hashlib.sha256(store.slug.encode()).hexdigest()[:36],
            "version": WC_VERSION,
            "log_directory": "/var/www/html/wp-content/uploads/wc-logs/",
            "log_directory_writable": True,
            "wp_version": WP_VERSION,
            "wp_multisite": False,
            "wp_memory_limit": 268435456,
            "wp_debug_mode": False,
            "wp_cron": True,
            "language": store.locale,
            "external_object_cache": None,
            "server_info": "nginx/1.25.4",
            "php_version": "8.2.18",
            "php_post_max_size": 67108864,
            "php_max_execution_time": 300,
            "php_max_input_vars": 1000,
            "curl_version": "8.6.0, OpenSSL/3.0.13",
            "suhosin_installed": False,
            "max_upload_size": 67108864,
            "mysql_version": "8.0.36",
            "mysql_version_string": "8.0.36",
            "default_timezone": "UTC",
            "fsockopen_or_curl_enabled": True,
            "soapclient_enabled": True,
            "domdocument_enabled": True,
            "gzip_enabled": True,
            "mbstring_enabled": True,
            "remote_post_successful": True,
            "remote_post_response": 200,
            "remote_get_successful": True,
            "remote_get_response": 200,
        },
        "database": {"wc_database_version": WC_VERSION, "database_prefix": "wp_", "database_tables": {}},
        "active_plugins": [
            {
                "plugin": "woocommerce/woocommerce.php",
                "name": "WooCommerce",
                "version": WC_VERSION,
                "version_latest": WC_VERSION,
                "url": "https://woocommerce.com/",
                "author_name": "Automattic",
                "author_url": "https://woocommerce.com",
                "network_activated": False,
            }
        ],
        "inactive_plugins": [],
        "dropins_mu_plugins": {"dropins": [], "mu_plugins": []},
        "theme": {"name": "Storefront", "version": "4.5.5", "is_child_theme": False, "has_woocommerce_support": True},
        "settings": {
            "api_enabled": True,
            "force_ssl": False,
            "currency": store.currency,
            "currency_symbol": {"EUR": "&euro;", "USD": "&#36;", "GBP": "&pound;"}.get(store.currency, store.currency),
            "currency_position": "left",
            "thousand_separator": ".",
            "decimal_separator": ",",
            "number_of_decimals": 2,
            "geolocation_enabled": False,
            "taxonomies": {"external": "external", "grouped": "grouped", "simple": "simple", "variable": "variable"},
            "woocommerce_com_connected": "no",
            "enforce_approved_download_dirs": True,
            "order_datastore": "Automattic\\WooCommerce\\Internal\\DataStores\\Orders\\OrdersTableDataStore",
            "HPOS_enabled": True,
        },
        "security": {"secure_connection": base.startswith("https:"), "hide_errors": True},
        "pages": [],
        "post_type_counts": [{"type": "product", "count": str(len(store.products))}],
    }


def _route_index(base: str, routes: list[tuple[str, re.Pattern[str], Any, str]]) -> dict[str, Any]:
    index: dict[str, dict[str, Any]] = {
        "/wc/v3": {"namespace": "wc/v3", "methods": ["GET"], "endpoints": [{"methods": ["GET"], "args": {}}]}
    }
    for method, pattern, _handler, _action in routes:
        route = pattern.pattern.strip("^$").replace("(?P<id>\\d+)", "(?P<id>[\\d]+)")
        route = route.replace("(?P<vid>\\d+)", "(?P<id>[\\d]+)")
        if not route.startswith("/wc/v3"):
            continue
        entry = index.setdefault(route, {"namespace": "wc/v3", "methods": [], "endpoints": []})
        entry["methods"].append(method)
        entry["endpoints"].append({"methods": [method], "args": {}})
        if "(?P" not in route:
            entry["_links"] = {"self": [{"href": f"{base}/wp-json{route}"}]}
    return {
        "namespace": "wc/v3",
        "routes": index,
        "_links": {"up": [{"href": f"{base}/wp-json/"}]},
    }
