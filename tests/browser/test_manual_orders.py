"""Acceptance tests of a manual store's orders in Chromium: (a) an Order manager places an order of two lines (a
catalog UID with an uploaded file and a connected store product) through the form and sees it on its page; (b) an
Admin imports an orders CSV with one bad row, sees the row error in the preview, uploads the corrected file, imports
it and finds the orders. Screenshots go to artifacts/browser/."""

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
from tests.factories.orders import catalog_product, shipping_method, store_product, variant_map
from tests.factories.storefronts import make_member, make_store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Shot = Callable[[Page, str], Path]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def _sign_in(page: Page, live_server: Any, email: str) -> None:
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_order_manager_places_a_manual_order_of_two_lines(page: Page, live_server: Any, shot: Shot, tmp_path: Path):
    client = ClientFactory(name="Riverside Prints Ltd")
    store = make_store(client, name="Counter sales")
    catalog_product("STICKER-50", specs={})
    (mug,) = store_product(store, "m1", title="Mug", sku="MUG-WHITE").values()
    variant_map(mug, catalog_product("MUG-CAT"))
    method = shipping_method("Standard parcel")
    make_member(client, Role.ORDER_MANAGER, email="olga@riverside.test")
    art = tmp_path / "sticker.png"
    art.write_bytes(PNG)

    _sign_in(page, live_server, "olga@riverside.test")
    page.goto(f"{live_server.url}/portal/orders/")
    page.get_by_test_id("place-order").click()
    expect(page.get_by_role("heading", name="Place an order in Counter sales")).to_be_visible()
    page.get_by_role("button", name="Add line").click()  # JavaScript adds a fourth row
    assert page.locator("[data-line]").count() == 4
    shot(page, "empty form")

    page.locator("#id_lines-0-catalog_uid").fill("STICKER-50")
    page.locator("#id_lines-0-quantity").fill("3")
    page.locator("#id_lines-0-upload").set_input_files(str(art))
    page.locator("#id_lines-1-variant").select_option(label="Mug · MUG-WHITE → MUG-CAT")
    page.locator("#id_lines-1-quantity").fill("2")
    page.locator("#id_ship_name").fill("Ada Lovelace")
    page.locator("#id_ship_line1").fill("12 Analytical Street")
    page.locator("#id_ship_city").fill("London")
    # First without a country: the form says so and nothing is created.
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("This field is required.").first).to_be_visible()
    assert not Order.objects.exists()
    shot(page, "missing country")

    page.locator("#id_lines-0-upload").set_input_files(str(art))  # a file input is empty again after the round trip
    page.locator("#id_ship_country").select_option("GB")
    page.locator("#id_shipping_method").select_option(str(method.pk))
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Order M-000001 was placed: it is received")).to_be_visible()
    items = page.get_by_test_id("order-items")
    expect(items).to_contain_text("STICKER-50")
    expect(items).to_contain_text("MUG-WHITE")
    shot(page, "order page")
    order = Order.objects.get(store=store)
    assert order.status == Order.Status.RECEIVED and order.items.count() == 2


HEADER = (
    "order_number,customer_name,ship_name,address1,city,postcode,country,shipping_method,product_uid,quantity,"
    "design_file_url"
)
GOOD = [
    "W-1,Ada,Ada Lovelace,12 Analytical St,London,N1,GB,Standard parcel,POSTER-A3,2,https://files.example/a.pdf",
    "W-1,Ada,Ada Lovelace,12 Analytical St,London,N1,GB,Standard parcel,POSTER-A3,1,https://files.example/b.pdf",
    "W-2,Bob,Bob Byte,1 Main St,Berlin,10115,DE,Standard parcel,POSTER-A3,4,https://files.example/c.pdf",
]


def test_admin_imports_orders_csv_with_one_bad_row(page: Page, live_server: Any, shot: Shot, tmp_path: Path):
    client = ClientFactory(name="Riverside Prints Ltd")
    store = make_store(client, name="Wholesale")
    catalog_product("POSTER-A3")
    shipping_method("Standard parcel")
    make_member(client, Role.ADMIN, email="ada@riverside.test")
    bad = tmp_path / "orders.csv"
    bad.write_text("\r\n".join([HEADER, GOOD[0], GOOD[1], GOOD[2].replace(",DE,", ",Germany,")]), encoding="utf-8")

    _sign_in(page, live_server, "ada@riverside.test")
    page.goto(f"{live_server.url}/portal/stores/{store.pk}/")
    page.get_by_test_id("import-orders").click()
    expect(page.get_by_role("heading", name="Import orders into Wholesale")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_test_id("template-download").click()
    assert Path(download_info.value.path()).read_bytes().startswith(b"\xef\xbb\xbforder_number,")
    shot(page, "import page")

    page.locator("#id_file").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_contain_text("“Germany” is not a country code")
    expect(errors).to_contain_text("4")
    expect(page.get_by_test_id("import-status")).to_have_text("Has errors, nothing imported")
    assert page.get_by_test_id("import-confirm").count() == 0  # all or nothing: no import while a row is wrong
    shot(page, "preview with row error")
    assert not Order.objects.exists()

    fixed = tmp_path / "orders-fixed.csv"
    fixed.write_text("\r\n".join([HEADER, *GOOD]), encoding="utf-8")
    page.get_by_role("link", name="upload it again").click()
    page.locator("#id_file").set_input_files(str(fixed))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_test_id("import-preview")).to_contain_text("W-2")
    shot(page, "preview fixed")
    page.get_by_test_id("import-confirm").click()
    expect(page.get_by_text("2 orders imported from orders-fixed.csv.")).to_be_visible()
    shot(page, "imported")
    page.get_by_role("link", name="See them in the order list").click()
    expect(page.get_by_test_id("order-table")).to_contain_text("W-1")
    expect(page.get_by_test_id("order-table")).to_contain_text("W-2")
    shot(page, "order list")
    assert Order.objects.filter(store=store).count() == 2
