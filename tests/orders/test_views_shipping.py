"""A store's Shipping settings page (portal and staff console), its held orders and "Re-process"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from printconnect.catalog.services import carrier_create
from printconnect.core.permissions import Role
from printconnect.integrations.models import Feed
from printconnect.integrations.services import feeds_ensure_for_store
from printconnect.orders.models import CarrierRule, Order, StoreShippingMethod
from printconnect.orders.services import order_intake
from printconnect.storefronts.models import Store
from printconnect.storefronts.services import store_create_connected
from tests.factories.clients import ClientFactory
from tests.factories.core import StaffFactory
from tests.factories.orders import order_data, shipping_method
from tests.factories.storefronts import make_member, make_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return make_store(ClientFactory())


def _admin(client, store, role=Role.ADMIN):
    client.force_login(make_member(store.client, role, stores=[store]))
    return client


def _held(store, number="1001", method="DHL Express"):
    return order_intake(store=store, data=order_data(number, shipping_method=method)).order


def test_the_page_lists_seen_methods_highlights_unmapped_ones_with_their_held_orders(client, store):
    _held(store, "1"), _held(store, "2")
    _held(store, "3", "Pickup")
    page = _admin(client, store).get(reverse("portal:store_shipping", args=[store.pk])).content.decode()
    assert "DHL Express" in page and "Pickup" in page
    assert "2 orders held for it" in page and "1 order held for it" in page
    assert 'data-testid="unmapped-count">2 unmapped' in page
    assert 'data-testid="held-total">3<' in page and "Re-process" in page


def test_saving_a_mapping_releases_the_held_orders_and_says_how_many(client, store):
    order = _held(store)
    seen = StoreShippingMethod.objects.get(store=store)
    express = shipping_method("Express")
    url = reverse("portal:store_shipping", args=[store.pk])
    response = _admin(client, store).post(url, {"action": "methods", f"method_{seen.pk}": express.pk}, follow=True)
    assert "Shipping methods saved. 1 held order released." in response.content.decode()
    order.refresh_from_db()
    assert (order.status, order.psp_shipping_method) == (Order.Status.RECEIVED, express)


def test_a_bad_carrier_pattern_names_its_row_and_saves_nothing(client, store):
    dhl = carrier_create(code="DHL", name="DHL")
    url = reverse("portal:store_shipping", args=[store.pk])
    data = {
        "action": "carriers",
        "pattern_0": r"^JJD\d+$",
        "carrier_0": dhl.pk,
        "pattern_1": "1Z(",
        "carrier_1": dhl.pk,
    }
    response = _admin(client, store).post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Carrier rule 2: “1Z(” is not a valid regular expression" in page
    assert not CarrierRule.objects.exists()


def test_carrier_rules_in_order_then_the_default_and_the_tracking_number_test(client, store):
    ups, dhl = carrier_create(code="UPS", name="UPS"), carrier_create(code="DHL", name="DHL")
    url = reverse("portal:store_shipping", args=[store.pk])
    data = {"action": "carriers", "pattern_0": r"^1Z[0-9A-Z]{16}$", "carrier_0": ups.pk, "default_carrier": dhl.pk}
    _admin(client, store).post(url, data)
    assert list(CarrierRule.objects.values_list("position", "pattern", "carrier")) == [(1, r"^1Z[0-9A-Z]{16}$", ups.pk)]
    matched = client.get(url, {"tracking": "1Z999AA10123456784"}).content.decode()
    assert "<strong>UPS</strong>: rule 1" in matched
    fallback = client.get(url, {"tracking": "JJD000390007"}).content.decode()
    assert "<strong>DHL</strong>: no rule matches JJD000390007, so the default carrier is used" in fallback


def test_read_only_users_see_the_settings_without_forms_and_the_activation_date_read_only(client, store):
    _held(store)
    page = _admin(client, store, Role.READ_ONLY).get(reverse("portal:store_shipping", args=[store.pk])).content.decode()
    assert "Save shipping methods" not in page and ">Re-process</button>" not in page
    assert "Only your print shop can change this date" in page and 'name="activation_date"' not in page


def test_portal_users_cannot_set_the_activation_date(client, store):
    url = reverse("portal:store_shipping", args=[store.pk])
    response = _admin(client, store).post(url, {"action": "activation", "activation_date": "2020-01-01T00:00"})
    assert response.status_code == 403
    store.refresh_from_db()
    assert store.activation_date is None


def test_staff_move_the_activation_date_back_and_the_next_import_backfills(client):
    staff = StaffFactory()
    store = store_create_connected(
        client=ClientFactory(), name="Shop", platform=Store.Platform.WOOCOMMERCE, base_url="https://shop.example",
        credentials={"consumer_key": "ck", "consumer_secret": "cs"}, actor=staff,
        activation_date=datetime(2026, 11, 1, tzinfo=UTC),
    )  # fmt: skip
    feeds_ensure_for_store(store=store)
    feed = Feed.objects.get(store=store, kind=Feed.Kind.ORDERS_IMPORT)
    Feed.objects.filter(pk=feed.pk).update(synced_until=datetime(2026, 11, 30, tzinfo=UTC), cursor="page-3")
    client.force_login(staff)
    url = reverse("staff_orders:store_shipping", args=[store.pk])
    page = client.get(url).content.decode()
    assert 'name="activation_date"' in page and "the next run of the store's order import backfills" in page
    response = client.post(url, {"action": "activation", "activation_date": "2026-10-01T00:00"}, follow=True)
    assert "Activation date saved" in response.content.decode()
    store.refresh_from_db()
    feed.refresh_from_db()
    assert store.activation_date == datetime(2026, 10, 1, tzinfo=UTC)
    assert (feed.synced_until, feed.cursor) == (None, "")  # the next run starts from the activation date
    # Moving it forward is no backfill: the import goes on from where it was.
    Feed.objects.filter(pk=feed.pk).update(synced_until=datetime(2026, 11, 30, tzinfo=UTC))
    client.post(url, {"action": "activation", "activation_date": "2026-11-15T00:00"})
    feed.refresh_from_db()
    assert feed.synced_until == datetime(2026, 11, 30, tzinfo=UTC)


def test_reprocess_in_the_portal_releases_a_fixed_order(client, store):
    order = _held(store)
    seen = StoreShippingMethod.objects.get(store=store)
    StoreShippingMethod.objects.filter(pk=seen.pk).update(shipping_method=shipping_method())  # fixed, not yet re-run
    url = reverse("portal:order_reprocess", args=[order.pk])
    next_url = reverse("portal:store_held_orders", args=[store.pk])
    response = _admin(client, store, Role.ORDER_MANAGER).post(url, {"next": next_url}, follow=True)
    assert response.redirect_chain[-1][0] == next_url
    assert f"Order {order.number} was released" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.RECEIVED
    assert order.status_changes.get().actor is not None


def test_staff_reprocess_says_what_still_holds_the_order(client, store):
    order = _held(store)
    client.force_login(StaffFactory())
    response = client.post(reverse("staff_orders:order_reprocess", args=[order.pk]), follow=True)
    assert "is still held" in response.content.decode() and "DHL Express" in response.content.decode()


def test_the_staff_store_page_has_the_activation_date_field(client, store):
    client.force_login(StaffFactory())
    page = client.get(reverse("integration:store", args=[store.pk])).content.decode()
    assert 'name="activation_date"' in page and "backfills them" in page
    assert reverse("staff_orders:store_shipping", args=[store.pk]) in page
