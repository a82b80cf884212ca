"""An order the store changed after import, in Chromium: an Order manager of the client sees the order held with
the difference (here / in the store now), accepts the store's changes, and sees the order released with the new
quantity and the decision in its history. Screenshots go to artifacts/browser/.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from printconnect.core.permissions import Role
from printconnect.orders.services import order_intake
from tests.browser.test_onboarding import sign_in
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD
from tests.factories.orders import line, order_data, received_order
from tests.factories.storefronts import make_member, make_store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Shot = Callable[[Page, str], Path]


def test_order_manager_accepts_the_changes_a_store_made_after_import(page: Page, live_server: Any, shot: Shot):
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    client = ClientFactory(name="Riverside Prints Ltd")
    store = make_store(client, name="Riverside posters")
    address = {"name": "Jo Field", "address1": "1 Mill Lane", "city": "Leeds", "postcode": "LS1 4AP", "country": "GB"}
    order = received_order(store, ("501", 1), external_id="2001", number="#2001", shipping_address=address)
    edited = line("501-0", product="501", sku="SKU-501", quantity=3)
    moved = {**address, "address1": "9 River Street"}
    order_intake(store=store, data=order_data("2001", edited, number="#2001", shipping_address=moved))
    make_member(client, Role.ORDER_MANAGER, email="olu@riverside.test", stores=[store])

    sign_in(page, live_server.url, "olu@riverside.test", PASSWORD)
    page.goto(f"{live_server.url}/portal/orders/{order.pk}/")
    expect(page.get_by_test_id("order-holds")).to_contain_text("Changed in the store after import")
    card = page.get_by_test_id("source-change")
    expect(card).to_contain_text("1 Mill Lane")
    expect(card).to_contain_text("9 River Street")
    expect(card.get_by_role("row", name="quantity")).to_contain_text("3")
    shot(page, "held with the difference")

    card.get_by_role("button", name="Accept the store's changes").click()
    expect(page.get_by_role("status")).to_contain_text("now follows the store's changes; it is received")
    expect(page.get_by_test_id("order-items")).to_contain_text("3")
    expect(page.get_by_test_id("order-address")).to_contain_text("9 River Street")
    expect(page.get_by_test_id("source-change-history")).to_contain_text("Earlier changes in the store (1)")
    shot(page, "accepted")
