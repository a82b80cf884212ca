"""The WooCommerce sandbox over real HTTP on loopback: wire format, pagination, filters, writes, faults, webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from printconnect.sandbox.server import SandboxServer
from printconnect.sandbox.woocommerce import seed
from printconnect.sandbox.woocommerce.app import Store, WooCommerceSandbox

SAMPLE_ORDER = Path(__file__).resolve().parents[2] / ".." / "shared" / "platform-samples" / "woocommerce" / "order.json"
NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
API = "/wp-json/wc/v3"


_counter = iter(range(10_000))


def _new_store(sandbox: SandboxServer, *, orders: int = 20, products: int = 6, **options: Any) -> Store:
    store = sandbox.app.create_store(f"test-{next(_counter)}", **options)
    seed.seed_store(store, products=products, orders=orders, seed=7, now=NOW)
    return store


@pytest.fixture
def store(sandbox: SandboxServer) -> Store:
    return _new_store(sandbox)


def _get(store: Store, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", (store.consumer_key, store.consumer_secret))
    timeout = kwargs.pop("timeout", 5)
    return requests.get(f"{store.base_url}{API}{path}", timeout=timeout, **kwargs)


def _put(store: Store, path: str, body: Any) -> requests.Response:
    auth = (store.consumer_key, store.consumer_secret)
    return requests.put(f"{store.base_url}{API}{path}", json=body, auth=auth, timeout=5)


def _all_orders(store: Store, **params: Any) -> list[dict[str, Any]]:
    orders, page = [], 1
    while True:
        response = _get(store, "/orders", params={"per_page": 100, "page": page, **params})
        assert response.status_code == 200
        orders += response.json()
        if page >= int(response.headers["X-WP-TotalPages"]):
            return orders
        page += 1


# --- auth -------------------------------------------------------------------------------------------------------------


def test_requests_are_refused_when_credentials_are_missing_or_wrong(store: Store) -> None:
    missing = _get(store, "/orders", auth=None)
    assert missing.status_code == 401
    assert missing.json() == {
        "code": "woocommerce_rest_cannot_view",
        "message": "Sorry, you cannot list resources.",
        "data": {"status": 401},
    }
    assert missing.headers["WWW-Authenticate"].startswith("Basic realm=")

    wrong_key = _get(store, "/orders/1", auth=("ck_nope", store.consumer_secret))
    assert wrong_key.status_code == 401
    assert wrong_key.json()["code"] == "woocommerce_rest_authentication_error"
    assert wrong_key.json()["data"] == {"status": 401}
    wrong_secret = _get(store, "/system_status", auth=(store.consumer_key, "cs_nope"))
    assert wrong_secret.json()["message"] == "Consumer secret is invalid."


def test_query_string_credentials_work_when_basic_auth_is_absent(store: Store) -> None:
    params = {"consumer_key": store.consumer_key, "consumer_secret": store.consumer_secret}
    response = _get(store, "/system_status", auth=None, params=params)
    assert response.status_code == 200
    assert response.json()["environment"]["version"] == "8.9.0"
    # the namespace index is public, like WordPress's
    index = requests.get(f"{store.base_url}{API}", timeout=5).json()
    assert index["namespace"] == "wc/v3"
    assert "/wc/v3/orders" in index["routes"]
    assert "/wc/v3/orders/(?P<id>[\\d]+)" in index["routes"]


# --- orders -----------------------------------------------------------------------------------------------------------


def test_orders_paginate_with_totals_and_links_when_there_are_250(sandbox: SandboxServer) -> None:
    store = _new_store(sandbox, orders=250)
    pages = [_get(store, "/orders", params={"per_page": 100, "page": n, "status": "any"}) for n in (1, 2, 3, 4)]
    assert [len(p.json()) for p in pages] == [100, 100, 50, 0]
    for response in pages:
        assert response.headers["X-WP-Total"] == "250"
        assert response.headers["X-WP-TotalPages"] == "3"
    assert "prev" not in pages[0].links
    assert pages[0].links["next"]["url"].endswith("/wp-json/wc/v3/orders?per_page=100&status=any&page=2")
    assert pages[1].links["prev"]["url"].endswith("page=1")
    assert pages[1].links["next"]["url"].endswith("page=3")
    assert "next" not in pages[2].links

    # following rel="next" walks every order once, newest first by default
    seen, url = [], f"{store.base_url}{API}/orders?per_page=100"
    while url:
        response = requests.get(url, auth=(store.consumer_key, store.consumer_secret), timeout=5)
        seen += response.json()
        url = response.links.get("next", {}).get("url")
    assert len({o["id"] for o in seen}) == 250
    created = [o["date_created_gmt"] for o in seen]
    assert created == sorted(created, reverse=True)

    default = _get(store, "/orders")
    assert len(default.json()) == 10
    assert default.headers["X-WP-TotalPages"] == "25"
    too_many = _get(store, "/orders", params={"per_page": 101})
    assert too_many.status_code == 400
    body = too_many.json()
    assert body["code"] == "rest_invalid_param"
    assert body["data"]["status"] == 400
    assert "per_page" in body["data"]["params"]


def test_orders_filter_on_created_and_modified_times(sandbox: SandboxServer) -> None:
    store = _new_store(sandbox, orders=60, utc_offset_hours=2)
    everything = _all_orders(store)
    cutoff = NOW - timedelta(days=10)
    cutoff_text = cutoff.strftime("%Y-%m-%dT%H:%M:%S")

    def gmt(value: str) -> datetime:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)

    created_gmt = _all_orders(store, after=cutoff_text, dates_are_gmt="true")
    expected = {o["id"] for o in everything if gmt(o["date_created_gmt"]) > cutoff}
    assert {o["id"] for o in created_gmt} == expected
    assert 0 < len(expected) < 60

    # without dates_are_gmt the value is site-local time (UTC+2 here), so 2 hours more orders qualify
    created_local = _all_orders(store, after=cutoff_text)
    assert {o["id"] for o in created_local} == {
        o["id"] for o in everything if gmt(o["date_created_gmt"]) > cutoff - timedelta(hours=2)
    }

    store.set_faults()  # no-op; then touch one old order so it shows up as modified
    old = min(everything, key=lambda o: o["id"])
    assert _put(store, f"/orders/{old['id']}", {"customer_note": "call before printing"}).status_code == 200
    recent = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S")
    modified = _all_orders(store, modified_after=recent, dates_are_gmt="true")
    assert [o["id"] for o in modified] == [old["id"]]
    assert _get(store, "/orders", params={"after": "last tuesday"}).json()["code"] == "rest_invalid_param"


def test_order_status_change_is_visible_when_read_back(store: Store) -> None:
    order = _get(store, "/orders", params={"status": "processing,pending", "per_page": 100}).json()[0]
    changed = _put(store, f"/orders/{order['id']}", {"status": "completed"})
    assert changed.status_code == 200
    assert changed.json()["status"] == "completed"
    again = _get(store, f"/orders/{order['id']}").json()
    assert again["status"] == "completed"
    assert again["date_completed_gmt"] is not None
    assert again["date_modified_gmt"] > order["date_modified_gmt"]

    bad = _put(store, f"/orders/{order['id']}", {"status": "shipped"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "rest_invalid_param"
    missing = _get(store, "/orders/999999")
    assert missing.status_code == 404
    assert missing.json() == {
        "code": "woocommerce_rest_shop_order_invalid_id",
        "message": "Invalid ID.",
        "data": {"status": 404},
    }
    note = requests.post(
        f"{store.base_url}{API}/orders/{order['id']}/notes",
        json={"note": "Printed and shipped.", "customer_note": False},
        auth=(store.consumer_key, store.consumer_secret),
        timeout=5,
    )
    assert note.status_code == 201
    assert note.json()["note"] == "Printed and shipped."
    assert note.json()["customer_note"] is False
    notes = _get(store, f"/orders/{order['id']}/notes").json()
    assert any("changed from" in n["note"] for n in notes)
    assert _get(store, "/nope").json()["code"] == "rest_no_route"


def test_stock_updates_on_products_and_variations(store: Store) -> None:
    products = _get(store, "/products", params={"per_page": 100}).json()
    simple = next(p for p in products if p["type"] == "simple")
    variable = next(p for p in products if p["type"] == "variable")
    updated = _put(store, f"/products/{simple['id']}", {"manage_stock": True, "stock_quantity": 17})
    assert updated.status_code == 200
    assert (updated.json()["manage_stock"], updated.json()["stock_quantity"]) == (True, 17)
    assert _get(store, f"/products/{simple['id']}").json()["stock_quantity"] == 17

    variations = _get(store, f"/products/{variable['id']}/variations", params={"per_page": 100}).json()
    assert sorted(v["id"] for v in variations) == sorted(variable["variations"])
    first = variations[0]
    assert {"id", "sku", "image", "stock_quantity", "manage_stock", "attributes"} <= set(first)
    assert {"id", "src", "name", "alt"} <= set(first["image"])
    path = f"/products/{variable['id']}/variations/{first['id']}"
    assert _put(store, path, {"manage_stock": True, "stock_quantity": 0}).json()["stock_status"] == "outofstock"
    assert _get(store, path).json()["stock_quantity"] == 0
    assert _put(store, path, {"stock_quantity": "many"}).status_code == 400
    assert _get(store, "/products/999999").json()["code"] == "woocommerce_rest_product_invalid_id"

    created = requests.post(
        f"{store.base_url}{API}/products",
        json={"name": "Tote bag", "type": "simple", "regular_price": "9.50", "sku": "TOTE"},
        auth=(store.consumer_key, store.consumer_secret),
        timeout=5,
    )
    assert created.status_code == 201
    assert created.json()["sku"] == "TOTE"
    assert created.headers["Location"].endswith(f"/products/{created.json()['id']}")
    stock_items = [p for p in products if any(t["slug"] == "printconnect-stock" for t in p["tags"])]
    assert stock_items
    assert all({"key": seed.TYPE_META_KEY, "value": "stock"} in _meta(p) for p in stock_items)


def _meta(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": m["key"], "value": m["value"]} for m in record["meta_data"]]


def test_print_files_are_served_as_pdf(store: Store) -> None:
    order = _get(store, "/orders", params={"per_page": 100}).json()[0]
    urls = [m["value"] for li in order["line_items"] for m in li["meta_data"] if m["key"] == "_print_file_url"]
    assert urls
    response = requests.get(urls[0], timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-1.4") and response.content.rstrip().endswith(b"%%EOF")
    assert requests.get(f"{store.base_url}/files/unknown.pdf", timeout=5).status_code == 404


# --- faults -----------------------------------------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after(store: Store) -> None:
    store.set_faults(rate_limit={"burst": 2, "retry_after": 7})
    statuses = [_get(store, "/orders") for _ in range(3)]
    assert [r.status_code for r in statuses] == [429, 429, 200]
    assert statuses[0].headers["Retry-After"] == "7"
    assert statuses[0].json()["data"]["status"] == 429

    store.set_faults(rate_limit={"every": 3, "retry_after": 2})
    codes = [_get(store, "/orders").status_code for _ in range(6)]
    assert codes.count(429) == 2
    store.clear_faults()


def test_error_burst_then_recovery(store: Store) -> None:
    response = requests.post(
        f"{store.base_url.split('/woo/')[0]}/__sandbox__/stores/{store.slug}/faults",
        json={"error_burst": {"count": 3, "statuses": [500, 502, 503]}},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.json()["error_burst"]["count"] == 3
    codes = [_get(store, "/orders").status_code for _ in range(4)]
    assert codes == [500, 502, 503, 200]


def test_slow_store_exceeds_client_timeout(store: Store) -> None:
    store.set_faults(slow_ms=600)
    with pytest.raises(requests.exceptions.ReadTimeout):
        _get(store, "/orders", timeout=0.2)
    store.set_faults(slow_ms=0)
    assert _get(store, "/orders", timeout=2).status_code == 200


def test_malformed_order_arrives_among_good_ones(store: Store) -> None:
    store.set_faults(malformed="missing_line_items")
    page = _get(store, "/orders", params={"per_page": 20}).json()
    broken = [o for o in page if "line_items" not in o]
    assert len(broken) == 1
    assert len(page) - 1 == sum("line_items" in o for o in page)
    assert store.faults.last_malformed_id == broken[0]["id"]
    assert all("line_items" in o for o in _get(store, "/orders", params={"per_page": 20}).json())

    store.set_faults(malformed="non_numeric_total")
    totals = [o["total"] for o in _get(store, "/orders").json()]
    assert sum(not t.replace(".", "").isdigit() for t in totals) == 1


def test_bad_json_truncates_the_next_body(store: Store) -> None:
    store.set_faults(bad_json=True)
    response = _get(store, "/orders")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert isinstance(_get(store, "/orders").json(), list)


def test_unauthorized_until_cleared(store: Store) -> None:
    store.set_faults(unauthorized=True)
    response = _get(store, "/orders")
    assert response.status_code == 401
    assert response.json()["code"] == "woocommerce_rest_authentication_error"
    assert _get(store, "/system_status").status_code == 401
    store.set_faults(unauthorized=False)
    assert _get(store, "/orders").status_code == 200


def test_fault_spec_is_validated(sandbox: SandboxServer, store: Store) -> None:
    url = f"{sandbox.url}/__sandbox__/stores/{store.slug}/faults"
    assert requests.post(url, json={"explode": True}, timeout=5).status_code == 400
    assert requests.post(url, json={"malformed": "weird"}, timeout=5).status_code == 400
    assert requests.post(url, json={"clear": True}, timeout=5).json()["unauthorized"] is False


# --- admin ------------------------------------------------------------------------------------------------------------


def test_request_log_records_requests_without_credentials(sandbox: SandboxServer, store: Store) -> None:
    store.clear_requests()
    params = {"consumer_key": store.consumer_key, "consumer_secret": store.consumer_secret, "status": "processing"}
    _get(store, "/orders", auth=None, params=params)
    _put(store, "/orders/999999", {"status": "completed"})
    log = requests.get(f"{sandbox.url}/__sandbox__/stores/{store.slug}/requests", timeout=5).json()
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", "/wp-json/wc/v3/orders", 200),
        ("PUT", "/wp-json/wc/v3/orders/999999", 404),
    ]
    assert log[0]["query"] == {"status": "processing"}
    assert log[0]["auth"] == "query"
    assert log[1]["body"] == {"status": "completed"}
    text = json.dumps(log)
    assert store.consumer_key not in text
    assert store.consumer_secret not in text


def test_admin_creates_stores_and_adds_orders(sandbox: SandboxServer) -> None:
    created = requests.post(
        f"{sandbox.url}/__sandbox__/stores",
        json={"slug": "admin-made", "name": "Admin Made", "seed": {"products": 4, "orders": 5}},
        timeout=10,
    )
    assert created.status_code == 201
    info = created.json()
    assert info["base_url"] == f"{sandbox.url}/woo/admin-made"
    assert info["consumer_key"].startswith("ck_") and info["consumer_secret"].startswith("cs_")
    auth = (info["consumer_key"], info["consumer_secret"])
    assert requests.get(f"{info['base_url']}{API}/orders", auth=auth, timeout=5).headers["X-WP-Total"] == "5"
    added = requests.post(f"{sandbox.url}/__sandbox__/stores/admin-made/orders", json={"count": 3}, timeout=5)
    assert added.status_code == 201
    newest = requests.get(f"{info['base_url']}{API}/orders", auth=auth, timeout=5)
    assert newest.headers["X-WP-Total"] == "8"
    assert {o["id"] for o in newest.json()[:3]} == set(added.json()["orders"])
    again = requests.post(f"{sandbox.url}/__sandbox__/stores", json={"slug": "admin-made"}, timeout=5)
    assert again.status_code == 409


def _call_wsgi(app: WooCommerceSandbox, method: str, path: str, remote: str, body: bytes = b"") -> tuple[str, bytes]:
    captured: dict[str, Any] = {}
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "REMOTE_ADDR": remote,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "SERVER_NAME": "sandbox.example",
        "SERVER_PORT": "80",
        "HTTP_HOST": "sandbox.example",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
    }
    chunks = app(environ, lambda status, headers: captured.setdefault("status", status))
    return captured["status"], b"".join(chunks)


def test_admin_endpoints_refuse_non_loopback_callers() -> None:
    app = WooCommerceSandbox()
    app.create_store("guarded")
    for method, path in [
        ("GET", "/__sandbox__/stores"),
        ("POST", "/__sandbox__/stores"),
        ("POST", "/__sandbox__/stores/guarded/faults"),
        ("GET", "/__sandbox__/stores/guarded/requests"),
        ("POST", "/__sandbox__/stores/guarded/webhooks/fire"),
    ]:
        status, body = _call_wsgi(app, method, path, "10.0.0.5", b"{}")
        assert status.startswith("403"), (method, path)
        assert json.loads(body)["code"] == "sandbox_forbidden"
    assert _call_wsgi(app, "GET", "/__sandbox__/stores", "127.0.0.1")[0].startswith("200")
    assert _call_wsgi(app, "GET", "/__sandbox__/stores", "::1")[0].startswith("200")


# --- webhooks ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append({"path": self.path, "headers": dict(self.headers), "body": body})
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/woo", received
    server.shutdown()
    server.server_close()


def test_webhook_fire_posts_a_correctly_signed_order(
    sandbox: SandboxServer, store: Store, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = receiver
    order_id = max(store.orders)
    answer = requests.post(
        f"{sandbox.url}/__sandbox__/stores/{store.slug}/webhooks/fire",
        json={"delivery_url": url, "topic": "order.updated", "order_id": order_id},
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == 200
    [hit] = received
    headers, body = hit["headers"], hit["body"]
    expected = base64.b64encode(hmac.new(store.webhook_secret.encode(), body, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(headers["X-WC-Webhook-Signature"], expected)
    assert headers["X-WC-Webhook-Topic"] == "order.updated"
    assert headers["X-WC-Webhook-Resource"] == "order"
    assert headers["X-WC-Webhook-Event"] == "updated"
    assert headers["X-WC-Webhook-Source"] == f"{store.base_url}/"
    assert headers["X-WC-Webhook-ID"] == str(store.webhook_id)
    assert len(headers["X-WC-Webhook-Delivery-ID"]) >= 16
    assert headers["User-Agent"] == "WooCommerce/8.9.0 Hookshot (WordPress/6.5)"
    assert b"\\/" in body  # PHP's json encoding escapes slashes: verify the signature on raw bytes
    payload = json.loads(body)
    assert payload["id"] == order_id
    assert payload == _get(store, f"/orders/{order_id}").json()


def test_webhook_ping_sends_the_exact_form_body(
    sandbox: SandboxServer, store: Store, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = receiver
    result = sandbox.app.fire_webhook(store.slug, delivery_url=url, ping=True)
    assert result["status"] == 200
    [hit] = received
    assert hit["body"] == f"webhook_id={store.webhook_id}".encode()
    assert hit["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert "X-WC-Webhook-Signature" not in hit["headers"]
    deleted = sandbox.app.fire_webhook(
        store.slug, delivery_url=url, topic="order.deleted", resource_id=max(store.orders)
    )
    assert json.loads(deleted["body"]) == {"id": max(store.orders)}
    with pytest.raises(ValueError, match="loopback"):
        sandbox.app.fire_webhook(store.slug, delivery_url="http://10.1.2.3/hook")


# --- payload shape ----------------------------------------------------------------------------------------------------


def test_orders_carry_every_key_of_the_real_sample(store: Store) -> None:
    if not SAMPLE_ORDER.is_file():
        pytest.fail(f"The WooCommerce sample order is missing at {SAMPLE_ORDER}; restore ../shared/platform-samples.")
    sample = json.loads(SAMPLE_ORDER.read_text())
    orders = _get(store, "/orders", params={"per_page": 100}).json()
    for order in orders:
        assert set(sample) <= set(order), set(sample) - set(order)
        for item in order["line_items"]:
            assert set(sample["line_items"][0]) <= set(item), set(sample["line_items"][0]) - set(item)
        assert set(sample["shipping_lines"][0]) <= set(order["shipping_lines"][0])
        assert set(sample["tax_lines"][0]) <= set(order["tax_lines"][0])
        assert set(sample["billing"]) <= set(order["billing"])
        for key in ("total", "total_tax", "shipping_total", "discount_total", "cart_tax"):
            assert isinstance(order[key], str)
            float(order[key])
        assert datetime.fromisoformat(order["date_created_gmt"]).tzinfo is None
    statuses = {o["status"] for o in orders}
    assert "processing" in statuses
    variation_items = [li for o in orders for li in o["line_items"] if li["variation_id"]]
    assert variation_items
    assert all({"key", "value", "display_key", "display_value"} <= set(m) for m in variation_items[0]["meta_data"])


def test_seeding_is_deterministic(sandbox: SandboxServer) -> None:
    first, second = _new_store(sandbox, orders=15), _new_store(sandbox, orders=15)

    def strip(store: Store) -> list[Any]:
        return [
            (o["status"], o["total"], o["billing"]["last_name"], o["date_created_gmt"], len(o["line_items"]))
            for o in _all_orders(store)
        ]

    assert strip(first) == strip(second)
    pending = [o for o in _all_orders(first) if o["status"] == "pending"]
    assert all(o["date_paid"] is None for o in pending)
