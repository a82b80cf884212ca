"""Acceptance test of the integration engine in Chromium: a store's feeds, a schedule change, Run now, the run in
Feed executions, an Error in the bell when the store refuses the key, the fix, Retry now and Mark resolved.

The store lives on the WooCommerce sandbox, reached over loopback HTTP like a real shop. Screenshots of every step
go to artifacts/browser/.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from printconnect.catalog.models import StoreVariant
from printconnect.integrations.models import Feed, FeedRun, IntegrationEvent
from printconnect.integrations.services import feed_run_execute, feeds_ensure_for_store
from printconnect.orders.models import Order
from printconnect.sandbox.server import SandboxServer
from printconnect.sandbox.woocommerce import seed
from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD, StaffFactory
from tests.factories.orders import catalog_product, shipping_method, store_defaults

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loopback_allowed")]

Shot = Callable[[Page, str], Path]


@pytest.fixture
def page(page: Page) -> Page:
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    return page


def test_staff_runs_a_feed_and_resolves_an_error(page: Page, live_server: Any, sandbox: SandboxServer, shot: Shot):
    base = live_server.url
    remote = sandbox.app.create_store("riverside", name="Riverside Prints")
    seed.seed_store(remote, products=4, orders=60, seed=7)
    client = ClientFactory(name="Riverside Prints Ltd")
    store = Store.objects.create(
        client=client,
        name="Riverside webshop",
        platform=Store.Platform.WOOCOMMERCE,
        base_url=sandbox.store_url("riverside"),
    )
    store.credentials = {"consumer_key": remote.consumer_key, "consumer_secret": remote.consumer_secret}
    store.save()
    feeds_ensure_for_store(store=store)
    # A store ready for its orders: products imported and connected, a default shipping method. Otherwise its orders
    # are held, each cause an open Error, and the bell would be lit before the failure this test provokes.
    products = Feed.objects.get(store=store, kind=Feed.Kind.PRODUCTS_IMPORT)
    feed_run_execute(feed=products, trigger=FeedRun.Trigger.MANUAL)
    StoreVariant.objects.filter(store=store).update(catalog_product=catalog_product())
    store_defaults(store, default_shipping_method=shipping_method())
    StaffFactory(email="sam@shop.test", first_name="Sam", last_name="Staff")
    messages = page.get_by_role("status")

    page.goto(f"{base}/accounts/login/")
    page.locator('input[name="login"]').fill("sam@shop.test")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()

    # --- the store's feeds ------------------------------------------------------------------------------------
    page.get_by_role("link", name=client.name).click()
    page.locator(".nav-tabs").get_by_role("link", name="Stores", exact=True).click()
    page.get_by_role("link", name="Riverside webshop").click()
    expect(page.get_by_role("heading", name="Riverside webshop", level=1)).to_be_visible()
    expect(page.get_by_test_id("store-mode")).to_have_text("Test mode")
    orders_row = page.locator('tr[data-feed="orders_import"]')
    expect(orders_row).to_contain_text("Every 15 minutes")
    expect(page.get_by_test_id("feed-table").locator("tbody tr")).to_have_count(8)
    shot(page, "store feeds in test mode")

    # --- change a schedule ------------------------------------------------------------------------------------
    page.get_by_test_id("edit-orders_import").click()
    expect(page.get_by_role("heading", name="Schedule of “Import new orders”")).to_be_visible()
    page.get_by_label("Every …").check()
    page.locator('input[name="every"]').fill("5")
    page.locator('select[name="period"]').select_option("minutes")
    shot(page, "schedule form")
    page.get_by_role("button", name="Save schedule").click()
    expect(messages).to_contain_text("“Import new orders” now runs: Every 5 minutes")
    expect(orders_row).to_contain_text("Every 5 minutes")
    feed = Feed.objects.get(store=store, kind=Feed.Kind.ORDERS_IMPORT)
    assert (feed.interval.every, feed.interval.period) == (5, "minutes")

    # --- Run now; the run finishes in Feed executions ---------------------------------------------------------
    page.get_by_test_id("run-now-orders_import").click()
    expect(page.get_by_role("heading", name="Feed executions")).to_be_visible()
    expect(messages).to_contain_text("is queued")
    row = page.get_by_test_id("run-table").locator("tbody tr").first
    expect(row).to_contain_text("Succeeded")
    expect(row).to_contain_text("Run now")
    run = FeedRun.objects.get(feed=feed)
    assert run.created == Order.objects.filter(store=store).count() > 0
    shot(page, "feed executions run succeeded")
    row.get_by_role("link").first.click()
    expect(page.get_by_test_id("run-progress")).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_test_id("run-counts")).to_contain_text(f"{run.created}")
    expect(page.get_by_test_id("run-log")).to_contain_text("Finished.")
    shot(page, "run detail")

    # --- the store refuses the key: an Error lights the bell -----------------------------------------------------
    expect(page.get_by_test_id("bell-count")).to_have_count(0)
    remote.set_faults(unauthorized=True)
    page.get_by_role("button", name="Run this feed again").click()
    expect(page.get_by_test_id("run-table").locator("tbody tr").first).to_contain_text("Failed")
    expect(page.get_by_test_id("bell-count")).to_have_text("1")
    shot(page, "bell lit after 401")
    page.get_by_test_id("bell").click()
    expect(page.get_by_role("heading", name="Errors and events")).to_be_visible()
    event = IntegrationEvent.objects.get(store=store, severity=IntegrationEvent.Severity.ERROR)
    event_row = page.locator(f'tr[data-event="{event.pk}"]')
    expect(event_row).to_contain_text("Riverside webshop")
    expect(event_row.get_by_role("link", name="Where to fix it")).to_be_visible()
    shot(page, "errors list")

    # --- the shop owner restores the key; staff retry, then resolve ---------------------------------------------
    remote.set_faults(unauthorized=False)
    event_row.get_by_role("button", name="Retry now").click()
    expect(messages).to_contain_text("Retry queued")
    assert FeedRun.objects.filter(feed=feed).first().status == FeedRun.Status.SUCCEEDED
    page.locator(f'tr[data-event="{event.pk}"]').get_by_role("button", name="Mark resolved").click()
    expect(messages).to_contain_text("Marked resolved")
    expect(page.locator(f'tr[data-event="{event.pk}"]')).to_have_count(0)
    expect(page.get_by_test_id("bell-count")).to_have_count(0)
    event.refresh_from_db()
    assert event.resolved_at is not None and event.resolved_by.email == "sam@shop.test"
    shot(page, "error resolved bell clear")
