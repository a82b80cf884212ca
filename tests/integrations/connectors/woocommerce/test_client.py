"""WooCommerce client and connector over HTTP with `responses`: exact requests, pagination, errors."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import responses

from printconnect.core import http
from printconnect.integrations.connectors.errors import (
    AuthRejectedError,
    BadResponseError,
    RateLimitedError,
    RecordNotFoundError,
    UnavailableError,
)
from printconnect.integrations.connectors.types import ConnectionConfig, OrderStatus, StockLevel
from printconnect.integrations.connectors.woocommerce import WooCommerceConnector

BASE = "https://127.0.0.1:8443/shop"  # loopback: the tests' network guard must never be involved
API = f"{BASE}/wp-json/wc/v3"
BASIC = "Basic " + base64.b64encode(b"ck_test:cs_test").decode()


def make_connector(session=None, base_url=BASE, **options) -> WooCommerceConnector:
    config = ConnectionConfig(
        base_url=base_url,
        credentials={"consumer_key": "ck_test", "consumer_secret": "cs_test", "webhook_secret": "s"},
        options=options,
    )
    return WooCommerceConnector(config, session=session or http.SafeSession(allow_private=True, sleep=lambda s: None))


@pytest.fixture
def connector() -> WooCommerceConnector:
    return make_connector()


@pytest.fixture
def order(load_sample):
    return load_sample("woocommerce", "order.json")


def orders_with_ids(order, *ids):
    result = []
    for order_id in ids:
        item = copy.deepcopy(order)
        item["id"] = order_id
        item["number"] = str(order_id)
        result.append(item)
    return result


def request_params(call) -> dict[str, str]:
    return dict(call.request.params)


@responses.activate
def test_fetch_orders_sends_exact_request(connector, order):
    responses.get(f"{API}/orders", json=[order], headers={"X-WP-TotalPages": "1", "X-WP-Total": "1"})
    since = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    pages = list(connector.fetch_orders(updated_since=since, cursor=None))
    assert len(responses.calls) == 1
    request = responses.calls[0].request
    assert request.method == "GET"
    assert urlsplit(request.url).path == "/shop/wp-json/wc/v3/orders"
    assert request_params(responses.calls[0]) == {
        "status": "any",
        "orderby": "id",
        "order": "asc",
        "dates_are_gmt": "true",
        "modified_after": "2026-11-01T08:30:00",
        "per_page": "100",
        "page": "1",
    }
    assert request.headers["Authorization"] == BASIC
    assert request.headers["Accept"] == "application/json"
    assert [o.id for o in pages[0].items] == [] and pages[0].next_cursor is None  # 2017 order is older than `since`


@responses.activate
def test_fetch_orders_walks_three_pages_when_total_pages_is_three(connector, order):
    for page, ids in enumerate([(1, 2), (3, 4), (5,)], start=1):
        responses.get(
            f"{API}/orders",
            json=orders_with_ids(order, *ids),
            headers={"X-WP-TotalPages": "3"},
            match=[responses.matchers.query_param_matcher({"page": str(page)}, strict_match=False)],
        )
    pages = list(connector.fetch_orders(updated_since=None, cursor=None))
    assert [[o.id for o in p.items] for p in pages] == [["1", "2"], ["3", "4"], ["5"]]
    assert [p.next_cursor for p in pages] == ["2", "3", None]
    assert [request_params(call)["page"] for call in responses.calls] == ["1", "2", "3"]
    assert all(p.errors == [] for p in pages)


@responses.activate
def test_fetch_orders_resumes_at_cursor_page_when_cursor_is_given(connector, order):
    responses.get(
        f"{API}/orders",
        json=orders_with_ids(order, 5),
        headers={"X-WP-TotalPages": "3"},
        match=[responses.matchers.query_param_matcher({"page": "3"}, strict_match=False)],
    )
    pages = list(connector.fetch_orders(updated_since=None, cursor="3"))
    assert len(responses.calls) == 1
    assert [p.next_cursor for p in pages] == [None]
    assert pages[0].items[0].id == "5"


@responses.activate
def test_fetch_orders_stops_lazily_so_feed_can_commit_between_pages(connector, order):
    responses.get(f"{API}/orders", json=orders_with_ids(order, 1), headers={"X-WP-TotalPages": "3"})
    first = next(connector.fetch_orders(updated_since=None, cursor=None))
    assert first.next_cursor == "2"
    assert len(responses.calls) == 1


def test_fetch_orders_raises_value_error_when_cursor_is_not_a_page(connector):
    with pytest.raises(ValueError, match="page cursor"):
        next(connector.fetch_orders(updated_since=None, cursor="abc"))


@responses.activate
def test_fetch_orders_puts_malformed_order_in_page_errors_when_others_are_good(connector, order):
    good_1, bad, good_2 = orders_with_ids(order, 801, 802, 803)
    bad["date_created_gmt"] = "not a date"
    responses.get(f"{API}/orders", json=[good_1, bad, good_2], headers={"X-WP-TotalPages": "1"})
    (page,) = connector.fetch_orders(updated_since=None, cursor=None)
    assert [o.id for o in page.items] == ["801", "803"]
    assert len(page.errors) == 1
    error = page.errors[0]
    assert (error.record_id, error.field) == ("802", "date_created_gmt")
    assert "802" in str(error)


@responses.activate
def test_fetch_orders_uses_page_size_when_total_pages_header_is_missing(connector, order):
    responses.get(f"{API}/orders", json=orders_with_ids(order, *range(1, 101)))
    responses.get(f"{API}/orders", json=orders_with_ids(order, 101))
    pages = list(connector.fetch_orders(updated_since=None, cursor=None))
    assert [p.next_cursor for p in pages] == ["2", None]
    assert sum(len(p.items) for p in pages) == 101


@responses.activate
@pytest.mark.parametrize("status", [401, 403])
def test_fetch_order_raises_auth_rejected_when_key_is_refused(connector, status):
    responses.get(
        f"{API}/orders/727",
        status=status,
        json={"code": "woocommerce_rest_cannot_view", "message": "Sorry", "data": {"status": status}},
    )
    with pytest.raises(AuthRejectedError) as excinfo:
        connector.fetch_order("727")
    assert "Read/Write" in str(excinfo.value)
    assert excinfo.value.severity == "error"


@responses.activate
def test_fetch_order_maps_sample_when_store_answers(connector, order):
    responses.get(f"{API}/orders/727", json=order)
    assert connector.fetch_order("727").number == "727"


@responses.activate
def test_fetch_order_raises_record_not_found_when_order_is_gone(connector):
    responses.get(
        f"{API}/orders/9",
        status=404,
        json={"code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID.", "data": {"status": 404}},
    )
    with pytest.raises(RecordNotFoundError):
        connector.fetch_order("9")


@responses.activate
@pytest.mark.parametrize(
    "body", [{"json": {"code": "rest_no_route", "message": "No route", "data": {"status": 404}}}, {"body": "<html>"}]
)
def test_check_connection_says_no_api_when_root_is_404(connector, body):
    responses.get(f"{API}/system_status", status=404, **body)
    check = connector.check_connection()
    assert not check.ok
    assert check.message.startswith("No WooCommerce REST API at this URL")


@responses.activate
def test_fetch_order_raises_bad_response_when_body_is_not_json(connector):
    responses.get(f"{API}/orders/727", body="<html>Just a moment...</html>", content_type="text/html")
    with pytest.raises(BadResponseError, match="not JSON"):
        connector.fetch_order("727")


@responses.activate
def test_check_connection_is_ok_when_key_reads_and_writes(connector):
    responses.get(f"{API}/system_status", json={"environment": {"version": "9.4.1"}})
    responses.post(f"{API}/orders/batch", json={})
    check = connector.check_connection()
    assert (check.ok, check.message, check.missing_permissions) == (True, "Connected to WooCommerce 9.4.1.", ())
    assert json.loads(responses.calls[1].request.body) == {}
    assert responses.calls[1].request.headers["Authorization"] == BASIC


@responses.activate
def test_check_connection_reports_missing_write_when_key_is_read_only(connector):
    responses.get(f"{API}/system_status", json={"environment": {"version": "9.4.1"}})
    responses.post(
        f"{API}/orders/batch",
        status=401,
        json={"code": "woocommerce_rest_authentication_error", "message": "The API key provided does not have write"},
    )
    check = connector.check_connection()
    assert (check.ok, check.missing_permissions) == (False, ("write",))


@responses.activate
def test_check_connection_never_raises_when_key_is_refused(connector):
    responses.get(f"{API}/system_status", status=401, json={"code": "woocommerce_rest_cannot_view"})
    check = connector.check_connection()
    assert not check.ok and "consumer key" in check.message


def test_check_connection_refuses_plain_http_when_host_is_not_loopback():
    connector = make_connector(session=object(), base_url="http://shop.example")
    check = connector.check_connection()
    assert not check.ok and "https" in check.message


@responses.activate
def test_push_status_sends_put_and_note(connector):
    responses.put(f"{API}/orders/727", json={"id": 727, "status": "completed"})
    responses.post(f"{API}/orders/727/notes", status=201, json={"id": 281})
    result = connector.push_status("727", OrderStatus.COMPLETED, note="Printed and shipped.")
    assert result.ok
    put, note = responses.calls
    assert (put.request.method, urlsplit(put.request.url).path) == ("PUT", "/shop/wp-json/wc/v3/orders/727")
    assert json.loads(put.request.body) == {"status": "completed"}
    assert json.loads(note.request.body) == {"note": "Printed and shipped.", "customer_note": False}


@responses.activate
def test_push_stock_puts_variation_and_product_paths(connector):
    responses.put(f"{API}/products/22/variations/733", json={"id": 733})
    responses.put(f"{API}/products/93", json={"id": 93})
    result = connector.push_stock(
        [
            StockLevel(sku="TEE-GREEN", quantity=7, product_id="22", variant_id="733"),
            StockLevel(sku="MUG", quantity=0, product_id="93"),
            StockLevel(sku="UNLINKED", quantity=1),
        ]
    )
    assert [json.loads(call.request.body) for call in responses.calls] == [
        {"manage_stock": True, "stock_quantity": 7},
        {"manage_stock": True, "stock_quantity": 0},
    ]
    assert not result.ok and list(result.failures) == ["UNLINKED"]


class RaisingSession:
    """A session that fails the way `core.http.SafeSession` does."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def request(self, method, url, **kwargs):
        raise self.exc


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (http.OutboundRateLimitedError(retry_after=3.0), RateLimitedError),
        (http.OutboundUnavailableError(status_code=503), UnavailableError),
        (http.OutboundBlockedError("https://10.0.0.1/", "private address"), BadResponseError),
        (http.OutboundTLSError("bad certificate"), BadResponseError),
    ],
)
def test_session_errors_become_connector_errors_when_session_raises(raised, expected):
    connector = make_connector(session=RaisingSession(raised))
    with pytest.raises(expected) as excinfo:
        connector.fetch_order("727")
    if expected is RateLimitedError:
        assert excinfo.value.retry_after == 3.0
        assert excinfo.value.severity == "retry"


@responses.activate
def test_rate_limited_error_carries_retry_after_when_store_answers_429(connector):
    responses.get(f"{API}/orders/727", status=429, headers={"Retry-After": "3"})
    with pytest.raises(RateLimitedError) as excinfo:
        connector.fetch_order("727")
    assert excinfo.value.retry_after == 3.0
