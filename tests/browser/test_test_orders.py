"""Acceptance test of test orders in Chromium: a client Admin sends a test order from the store's page, follows the
flash to it, sees the TEST badge on the order list and on the order, and deletes it. Screenshots go to
artifacts/browser/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from printconnect.core.permissions import Role
from printconnect.orders.models import Order
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD
from tests.factories.orders import catalog_product, shipping_method, store_defaults, store_product, variant_map
from tests.factories.storefronts import make_member, make_store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Shot = Callable[[Page, str], Path]


def test_client_admin_sends_and_deletes_a_test_order(page: Page, live_server: Any, shot: Shot):
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    client = ClientFactory(name="Riverside Prints Ltd")
    store = make_store(client, name="Riverside posters")
    store_defaults(store, default_shipping_method=shipping_method("DHL Parcel"))
    (variant,) = store_product(store, "501", sku="POS-A3", title="Poster A3").values()
    variant_map(variant, catalog_product())
    make_member(client, Role.ADMIN, email="ada@riverside.test")

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator('input[name="login"]').fill("ada@riverside.test")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/portal/stores/{store.pk}/")
    page.get_by_test_id("send-test-order-link").click()
    expect(page.get_by_role("heading", name="Send test order")).to_be_visible()
    page.get_by_label("Product").select_option(label="Poster A3 · SKU POS-A3")
    page.get_by_label("Country of the test customer").select_option("DE")
    shot(page, "send test order form")
    page.get_by_test_id("send-test-order").click()

    flash = page.locator(".alert-success")
    expect(flash).to_contain_text("Test order TEST-0001 sent")
    expect(flash).to_contain_text("in Germany): received.")
    shot(page, "sent")
    order = Order.objects.get()
    assert order.is_test and order.shipping_address["country"] == "DE"

    page.get_by_test_id("test-orders-list").click()
    row = page.locator(f'tr[data-order="{order.pk}"]')
    expect(row.get_by_test_id("test-badge")).to_have_text("TEST")
    shot(page, "order list with the test badge")

    row.get_by_role("link", name="TEST-0001").click()
    expect(page.get_by_role("heading", name="Order TEST-0001")).to_contain_text("TEST")
    expect(page.get_by_test_id("order-address")).to_contain_text("country: DE")
    shot(page, "test order page")

    page.get_by_test_id("delete-test-order").click()
    expect(page.get_by_role("heading", name="Delete test order TEST-0001?")).to_be_visible()
    shot(page, "delete confirmation")
    page.get_by_test_id("confirm-delete").click()
    expect(page.locator(".alert-success")).to_contain_text("Test order TEST-0001 deleted")
    expect(page.locator(f'tr[data-order="{order.pk}"]')).to_have_count(0)
    shot(page, "deleted")
    assert not Order.objects.exists()
