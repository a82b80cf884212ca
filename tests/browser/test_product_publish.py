"""Acceptance test of Add product in Chromium: a client admin opens a WooCommerce store's Products tab, clicks Add
product, picks a catalog product, types options and sees the preview follow as they type (htmx), publishes, and
finds the new variants connected on the Products tab; the product is in the (sandbox) store. Screenshots go to
artifacts/browser/.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from printconnect.catalog.models import StoreVariant
from printconnect.core.permissions import Role
from printconnect.sandbox.server import SandboxServer
from tests.catalog.mapping_helpers import catalog_product
from tests.factories.core import PASSWORD
from tests.factories.storefronts import make_member
from tests.integrations.sandbox_shop import connect_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loopback_allowed")]

Shot = Callable[[Page, str], Path]


def test_client_admin_publishes_a_product_to_a_woocommerce_store(
    page: Page, live_server: Any, sandbox: SandboxServer, shot: Shot
):
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    remote, store = connect_shop(sandbox, "publish-browser", products=0)
    catalog_product("PST-A4", name="Poster, 170 g silk")
    make_member(store.client, Role.ADMIN, email="ada@riverside.test")

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator('input[name="login"]').fill("ada@riverside.test")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/portal/stores/{store.pk}/products/")
    page.get_by_test_id("add-product").click()
    expect(page.get_by_role("heading", name=f"Add product to {store.name}")).to_be_visible()
    expect(page.get_by_test_id("publish-warning")).to_contain_text("creates a real product")

    page.get_by_label("Catalog product").select_option(label="PST-A4 · Poster, 170 g silk")
    page.get_by_label("Title").fill("Festival poster")
    page.get_by_label("SKU prefix").fill("FEST")
    page.get_by_label("Price").fill("14.90")
    page.get_by_label("Option 1 name").fill("Size")
    page.get_by_label("Values of option 1").fill("A4, A3, A2")
    page.get_by_label("Option 2 name").fill("Paper")
    page.get_by_label("Values of option 2").fill("Matte, Silk")
    summary = page.get_by_test_id("publish-summary")
    expect(summary).to_have_text(f"Creates a product with 6 variants in {store.name} and connects them to PST-A4.")
    expect(page.get_by_test_id("publish-preview")).to_contain_text("FEST-A2-SILK")
    shot(page, "preview follows the form")

    page.get_by_test_id("publish").click()
    expect(page.get_by_role("status")).to_contain_text("Published “Festival poster”")
    shot(page, "products tab after publishing")
    variants = StoreVariant.objects.filter(store=store)
    assert variants.count() == 6 and set(variants.values_list("catalog_product__uid", flat=True)) == {"PST-A4"}
    assert [p["name"] for p in remote.products.values()] == ["Festival poster"]
    assert len(remote.variations[next(iter(remote.products))]) == 6
