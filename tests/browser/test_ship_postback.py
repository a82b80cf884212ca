"""Acceptance test of shipping with a postback in Chromium: a client Admin moves a received order to in production
and printed, adds a shipment with a tracking number on the order page (which ships it), the outbox is dispatched
(what the beat does every 10 s), and Settings > Postbacks > log shows the shipment postback delivered with status
200. The receiver is a real HTTP server on loopback that checks the signature. Screenshots go to artifacts/browser/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from printconnect.core.permissions import Role
from printconnect.integrations.models import OutboxDelivery
from printconnect.integrations.services.outbox import postback_subscription_create
from printconnect.integrations.tasks import outbox_dispatch_task
from printconnect.orders.models import Order
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD
from tests.factories.orders import received_order, store_defaults
from tests.factories.storefronts import make_member, make_store
from tests.outbox.receiver import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Shot = Callable[[Page, str], Path]


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the receiver is on loopback
    server = Receiver().start()
    yield server
    server.stop()


def test_shipping_an_order_delivers_its_postback_and_the_log_shows_it(
    page: Page, live_server: Any, shot: Shot, receiver: Receiver
):
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    client = ClientFactory(name="Riverside Prints Ltd")
    store = make_store(client, name="Riverside posters")
    order = received_order(store, ("501", 2), external_id="5001", number="5001")
    store_defaults(store, default_carrier=order.psp_shipping_method.carrier)
    subscription, secret = postback_subscription_create(
        client=client, url=receiver.url, events=["order.status_changed", "order.shipment_created"], name="ERP"
    )
    receiver.secrets = [secret]
    make_member(client, Role.ADMIN, email="ada@riverside.test")

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator('input[name="login"]').fill("ada@riverside.test")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/portal/orders/{order.pk}/")
    for status, label in (("in_production", "In production"), ("printed", "Printed")):
        page.get_by_test_id("status-form").get_by_label("Move to").select_option(status)
        page.get_by_role("button", name="Change status").click()
        expect(page.locator(".alert-success")).to_contain_text(f"is now {label.lower()}")
    shot(page, "printed")

    page.get_by_test_id("shipment-form").get_by_label("Tracking number").fill("JD014600006281230")
    page.get_by_role("button", name="Add shipment").click()
    expect(page.locator(".alert-success")).to_contain_text("Shipment JD014600006281230 added")
    expect(page.get_by_role("heading", name="Order 5001")).to_contain_text("Shipped")
    expect(page.get_by_test_id("order-shipments")).to_contain_text("JD014600006281230")
    shot(page, "shipped")
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED

    outbox_dispatch_task.apply()  # what the beat runs every 10 s (eager here)
    shipment_postback = OutboxDelivery.objects.get(subscription=subscription, event__kind="order.shipment_created")
    assert shipment_postback.status == OutboxDelivery.Status.DELIVERED
    shipped = [r for r in receiver.receipts if r.kind == "order.shipment_created"]
    assert len(shipped) == 1 and shipped[0].signed_ok[secret]
    assert shipped[0].body["data"]["tracking_number"] == "JD014600006281230"

    page.goto(f"{live_server.url}/portal/settings/postbacks/")
    page.get_by_role("link", name="Delivery log").first.click()
    rows = page.get_by_test_id("postback-delivery")
    shipment_row = rows.filter(has_text="Shipment created")
    expect(shipment_row).to_have_attribute("data-status", "delivered")
    expect(shipment_row).to_contain_text("JD014600006281230")
    expect(shipment_row).to_contain_text("· 200 ·")
    expect(rows.filter(has_text="shipped")).to_contain_text("Delivered")
    shot(page, "postback log")
