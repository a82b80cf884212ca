"""fetch_orders over real HTTP: orders the caller holds unchanged are not mapped, and pages can be read ahead."""

from __future__ import annotations

import time

import pytest

from printconnect.core.http import SafeSession
from printconnect.integrations.connectors.errors import RateLimitedError
from printconnect.integrations.connectors.types import ConnectionConfig
from printconnect.integrations.connectors.woocommerce import mapper
from printconnect.integrations.connectors.woocommerce.connector import WooCommerceConnector
from printconnect.sandbox.server import SandboxServer
from printconnect.sandbox.woocommerce import seed
from printconnect.sandbox.woocommerce.app import Store


@pytest.fixture
def shop(sandbox: SandboxServer, request: pytest.FixtureRequest) -> Store:
    store = sandbox.app.create_store(f"ra-{request.node.name.replace('_', '-')}"[:50].strip("-"))
    seed.seed_store(store, products=6, orders=230, lines_per_order=2, seed=9)
    return store


def connector_for(store: Store, sandbox: SandboxServer, **session_options: object) -> WooCommerceConnector:
    config = ConnectionConfig(
        base_url=sandbox.store_url(store.slug),
        credentials={"consumer_key": store.consumer_key, "consumer_secret": store.consumer_secret},
    )
    return WooCommerceConnector(
        config, session=SafeSession(allow_private=True, sleep=lambda s: None, **session_options)
    )


def _api_pages(store: Store) -> list[str]:
    return [entry["query"].get("page") for entry in store.requests() if entry["path"].endswith("/orders")]


def test_orders_held_in_the_same_state_are_listed_unchanged_and_not_mapped(shop, sandbox):
    orders = [order for page in connector_for(shop, sandbox).fetch_orders() for order in page.items]
    held_same, held_other = orders[:150], orders[150:160]
    states = {o.id: (str(o.status), str(o.financial_status)) for o in held_same}
    states |= {
        o.id: ("cancelled", "voided") if str(o.status) != "cancelled" else ("processing", "paid") for o in held_other
    }
    asked: list[list[str]] = []

    def known(ids):
        asked.append(list(ids))
        return {i: states[i] for i in ids if i in states}

    pages = list(connector_for(shop, sandbox).fetch_orders(known=known))
    assert [len(ids) for ids in asked] == [100, 100, 30]  # once a page, with the page's ids
    assert sorted(i for page in pages for i in page.unchanged) == sorted(o.id for o in held_same)
    mapped = [order.id for page in pages for order in page.items]
    assert mapped == [o.id for o in orders[150:]]  # the held ones whose state differs are mapped like new ones


def test_order_state_from_payload_agrees_with_the_full_mapping(shop, sandbox):
    payloads = next(connector_for(shop, sandbox).client.list_orders()).items
    for payload in payloads:
        order = mapper.order_from_payload(payload)
        assert mapper.order_state_from_payload(payload) == (
            order.id, order.status, order.financial_status, order.updated_at
        )  # fmt: skip
    assert mapper.order_state_from_payload({"id": 5, "date_created_gmt": "yesterday"}) is None
    assert mapper.order_state_from_payload(["not", "an", "order"]) is None


def test_read_ahead_asks_for_the_next_page_while_the_caller_holds_this_one(shop, sandbox):
    shop.clear_requests()
    pages = connector_for(shop, sandbox).fetch_orders(read_ahead=True)
    first = next(pages)
    deadline = time.monotonic() + 5
    while _api_pages(shop) != ["1", "2"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _api_pages(shop) == ["1", "2"]
    rest = list(pages)
    assert [len(page.items) for page in (first, *rest)] == [100, 100, 30]
    assert _api_pages(shop) == ["1", "2", "3"]  # each page once; none beyond the last
    lazy = [o.id for page in connector_for(shop, sandbox).fetch_orders() for o in page.items]
    assert [o.id for page in (first, *rest) for o in page.items] == lazy


def test_a_failure_of_a_page_read_ahead_is_raised_when_the_caller_asks_for_that_page(shop, sandbox):
    shop.set_faults(rate_limit={"every": 2, "retry_after": 0})
    pages = connector_for(shop, sandbox, max_retries=0).fetch_orders(read_ahead=True)
    assert len(next(pages).items) == 100
    with pytest.raises(RateLimitedError):
        next(pages)


def test_a_walk_abandoned_midway_returns_at_once(shop, sandbox):
    pages = connector_for(shop, sandbox).fetch_orders(read_ahead=True)
    next(pages)
    started = time.monotonic()
    pages.close()
    assert time.monotonic() - started < 1


def test_with_known_the_list_carries_only_state_fields_and_full_records_come_for_the_changed_ones(shop, sandbox):
    orders = [order for page in connector_for(shop, sandbox).fetch_orders() for order in page.items]
    states = {o.id: (str(o.status), str(o.financial_status)) for o in orders[:225]}  # 5 new ones at the end
    shop.clear_requests()
    pages = list(
        connector_for(shop, sandbox).fetch_orders(known=lambda ids: {i: states[i] for i in ids if i in states})
    )
    assert [o.id for page in pages for o in page.items] == [o.id for o in orders[225:]]
    lists = [e["query"] for e in shop.requests() if e["path"].endswith("/orders") and "page" in e["query"]]
    full = [e["query"] for e in shop.requests() if e["path"].endswith("/orders") and "include" in e["query"]]
    assert len(lists) == 3 and all(q["_fields"] == ",".join(mapper.ORDER_STATE_FIELDS) for q in lists)
    assert [q["include"] for q in full] == [",".join(o.id for o in orders[225:])]  # only the page that had new ones


def test_held_only_leaves_orders_the_caller_does_not_hold_unfetched(shop, sandbox):
    orders = [order for page in connector_for(shop, sandbox).fetch_orders() for order in page.items]
    first = orders[0]
    other_state = ("cancelled", "voided") if str(first.status) != "cancelled" else ("processing", "paid")
    held = {first.id: other_state}  # one held order, in another state than the store's
    shop.clear_requests()
    pages = list(
        connector_for(shop, sandbox).fetch_orders(
            known=lambda ids: {i: held[i] for i in ids if i in held}, held_only=True
        )
    )
    assert [o.id for page in pages for o in page.items] == [orders[0].id]
    assert sum(len(page.not_held) for page in pages) == len(orders) - 1


def test_when_most_orders_are_new_the_next_pages_come_in_full_at_once(shop, sandbox):
    shop.clear_requests()
    pages = list(connector_for(shop, sandbox).fetch_orders(known=lambda ids: {}))
    assert sum(len(page.items) for page in pages) == 230
    asked = [e["query"] for e in shop.requests() if e["path"].endswith("/orders")]
    # page 1 by its states, then its records in one request; pages 2 and 3 in full, one request each
    assert [("_fields" in q, "include" in q, q.get("page")) for q in asked] == [
        (True, False, "1"),
        (False, True, None),
        (False, False, "2"),
        (False, False, "3"),
    ]


def test_the_sandbox_answers_only_the_fields_asked_for(shop, sandbox):
    response = connector_for(shop, sandbox).client.request(
        "GET", "orders", params={"_fields": "id,status,date_modified_gmt,needs_payment", "per_page": 5}
    )
    assert {frozenset(order) for order in response.json()} == {
        frozenset({"id", "status", "date_modified_gmt", "needs_payment"})
    }
