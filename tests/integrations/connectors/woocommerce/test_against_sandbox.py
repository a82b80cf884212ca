"""The WooCommerce connector against the sandbox over real HTTP on loopback: paging, faults, writes, webhooks."""

from __future__ import annotations

import pytest

from printconnect.core.http import SafeSession
from printconnect.integrations.connectors.errors import AuthRejectedError, RateLimitedError
from printconnect.integrations.connectors.types import ConnectionConfig, OrderStatus
from printconnect.integrations.connectors.woocommerce.connector import WooCommerceConnector
from printconnect.sandbox.server import SandboxServer
from printconnect.sandbox.woocommerce import seed
from printconnect.sandbox.woocommerce.app import Store


@pytest.fixture
def shop(sandbox: SandboxServer, request: pytest.FixtureRequest) -> Store:
    slug = request.node.name.replace("_", "-")[:40].strip("-")
    store = sandbox.app.create_store(slug, name=slug)
    seed.seed_store(store, products=6, orders=230, lines_per_order=3, seed=7)
    return store


def connector_for(store: Store, sandbox: SandboxServer, **session_options: object) -> WooCommerceConnector:
    config = ConnectionConfig(
        base_url=sandbox.store_url(store.slug),
        credentials={"consumer_key": store.consumer_key, "consumer_secret": store.consumer_secret},
        options={},
    )
    session = SafeSession(allow_private=True, sleep=lambda seconds: None, **session_options)
    return WooCommerceConnector(config, session=session)


def test_connection_check_passes_with_good_keys_and_names_the_problem_with_bad_ones(shop, sandbox):
    assert connector_for(shop, sandbox).check_connection().ok
    bad = WooCommerceConnector(
        ConnectionConfig(
            base_url=sandbox.store_url(shop.slug),
            credentials={"consumer_key": shop.consumer_key, "consumer_secret": "cs_wrong"},
            options={},
        ),
        session=SafeSession(allow_private=True, sleep=lambda s: None),
    )
    check = bad.check_connection()
    assert not check.ok and "consumer key" in check.message


def test_fetch_orders_walks_every_page_with_resumable_cursors(shop, sandbox):
    pages = list(connector_for(shop, sandbox).fetch_orders())
    orders = [order for page in pages for order in page.items]
    assert len(orders) == 230 and len({o.id for o in orders}) == 230
    assert [page.next_cursor for page in pages] == ["2", "3", None]
    expected_lines = {str(order_id): len(record["line_items"]) for order_id, record in shop.orders.items()}
    assert {o.id: len(o.lines) for o in orders} == expected_lines
    resumed = list(connector_for(shop, sandbox).fetch_orders(cursor="3"))
    assert [o.id for o in resumed[0].items] == [o.id for o in pages[2].items]


def test_a_malformed_order_is_reported_and_the_rest_of_the_page_imports(shop, sandbox):
    shop.set_faults(malformed=True)
    pages = list(connector_for(shop, sandbox).fetch_orders())
    errors = [error for page in pages for error in page.errors]
    assert len(errors) == 1
    assert str(shop.faults.last_malformed_id) in str(errors[0].record_id)
    assert sum(len(page.items) for page in pages) == 229


def test_a_429_storm_is_retried_then_reported_with_retry_after(shop, sandbox):
    shop.set_faults(rate_limit={"burst": 2, "retry_after": 1})
    pages = list(connector_for(shop, sandbox).fetch_orders())
    assert sum(len(page.items) for page in pages) == 230
    shop.set_faults(rate_limit={"burst": 50, "retry_after": 3})
    with pytest.raises(RateLimitedError) as excinfo:
        list(connector_for(shop, sandbox, max_retries=2).fetch_orders())
    assert excinfo.value.retry_after == 3


def test_a_5xx_burst_is_retried(shop, sandbox):
    shop.set_faults(error_burst=2)
    assert sum(len(page.items) for page in connector_for(shop, sandbox).fetch_orders()) == 230


def test_revoked_keys_are_an_auth_error(shop, sandbox):
    shop.set_faults(unauthorized=True)
    with pytest.raises(AuthRejectedError):
        list(connector_for(shop, sandbox).fetch_orders())


def test_status_push_changes_the_order_in_the_store(shop, sandbox):
    connector = connector_for(shop, sandbox)
    order = next(iter(connector.fetch_orders())).items[0]
    result = connector.push_status(order.id, OrderStatus.COMPLETED, note="Printed and shipped")
    assert result.ok
    assert connector.fetch_order(order.id).status == OrderStatus.COMPLETED


def test_no_credential_reaches_the_sandbox_request_log(shop, sandbox):
    list(connector_for(shop, sandbox).fetch_orders())
    logged = repr(shop.requests())
    assert shop.consumer_secret not in logged and shop.consumer_key not in logged
