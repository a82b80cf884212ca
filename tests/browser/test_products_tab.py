"""Acceptance test of Connect product in Chromium: a client admin filters the Products tab to unmapped variants,
finds a catalog product by typing (htmx), maps the store's Size attribute to the product's format, saves, and is
back on the filtered tab with the count of held orders. Screenshots go to artifacts/browser/.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from printconnect.core.permissions import Role
from tests.browser.test_onboarding import sign_in
from tests.catalog.mapping_helpers import catalog_product, order, poster, variant
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD, StaffFactory
from tests.factories.storefronts import make_member, make_store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Shot = Callable[[Page, str], Path]


def test_client_admin_connects_a_variant_through_the_catalog_search(page: Page, live_server: Any, shot: Shot):
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    client = ClientFactory(name="Riverside Prints Ltd")
    store = make_store(client, name="Riverside posters")
    poster(store)  # variants 101 (Size A4) and 102 (Size A3)
    catalog_product("PST-A3", name="Poster A3", print_specs={"format": "A3", "paper": "170 g silk"})
    catalog_product("CARD-1", name="Business card", print_specs={"format": "85x55"})
    order(store, "1001", ("100", "102"))
    make_member(client, Role.ADMIN, email="ada@riverside.test")

    sign_in(page, live_server.url, "ada@riverside.test", PASSWORD)
    page.goto(f"{live_server.url}/portal/stores/{store.pk}/")
    page.get_by_test_id("store-tabs").get_by_role("link", name="Products").click()
    expect(page.get_by_test_id("pill-unmapped")).to_contain_text("2")
    page.get_by_test_id("pill-unmapped").click()
    shot(page, "unmapped variants")

    page.get_by_test_id(f"connect-{variant(store, '102').pk}").click()
    expect(page.get_by_role("heading", name="Connect product")).to_be_visible()
    page.get_by_label("UID or name").fill("poster")
    results = page.get_by_test_id("catalog-results")
    expect(results.locator("[data-uid]")).to_have_count(1)  # swapped in by htmx, the business card filtered out
    shot(page, "catalog search")
    results.get_by_role("link", name="PST-A3").click()
    expect(page.get_by_test_id("chosen-product")).to_contain_text("170 g silk")
    page.get_by_label("Design file URL").fill("https://files.example.com/poster-a3.pdf")
    page.get_by_label("Size (this variant: A3)").select_option("format")
    shot(page, "filled in")
    page.get_by_test_id("save-mapping").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Connected Poster (Size: A3 · Paper: Matte) to PST-A3. 1 held order contains it; it will be re-processed."
    )
    assert "mapping=unmapped" in page.url
    expect(page.get_by_test_id("pill-mapped")).to_contain_text("1")
    shot(page, "back on the tab")
    saved = variant(store, "102")
    assert (saved.catalog_product.uid, saved.attribute_specs) == ("PST-A3", {"Size": "format"})


def test_staff_connect_a_variant_by_typing_its_uid(page: Page, live_server: Any, shot: Shot):
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    client = ClientFactory(name="Riverside Prints Ltd")
    store = make_store(client, name="Riverside posters")
    poster(store)
    catalog_product("PST-A4", name="Poster A4", print_specs={"format": "A4"})
    StaffFactory(email="sam@shop.test")

    sign_in(page, live_server.url, "sam@shop.test", PASSWORD)
    page.goto(f"{live_server.url}/staff/clients/{client.pk}/stores/")
    page.get_by_role("link", name="Products and mapping").click()
    expect(page.get_by_test_id("pill-unmapped")).to_contain_text("2")
    page.get_by_test_id(f"connect-{variant(store, '101').pk}").click()
    page.get_by_label("Product UID").fill("PST-A5")
    page.get_by_test_id("save-mapping").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("There is no active catalog product with UID 'PST-A5'")
    shot(page, "unknown uid")
    page.get_by_label("Product UID").fill("pst-a4")
    page.get_by_label("Print spec 1").fill("paper")
    page.get_by_label("Value 1").fill("350 g silk")
    page.get_by_label("Value 1").press("Enter")  # Enter saves, it does not add a row
    expect(page.get_by_role("status")).to_contain_text("Connected Poster (Size: A4 · Paper: Matte) to PST-A4.")
    expect(page.get_by_test_id("products-table")).to_contain_text("Overrides: paper: 350 g silk")
    shot(page, "staff products tab")
