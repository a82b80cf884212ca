"""Shipments: partial, several tracking numbers, carrier by rule / default / none (an Error), refusals."""

from __future__ import annotations

import pytest

from printconnect.catalog.models import Carrier
from printconnect.core.exceptions import ApplicationError
from printconnect.integrations.models import IntegrationEvent
from printconnect.orders.models import CarrierRule, Order, OutboxEvent, StoreOrderSettings
from printconnect.orders.services import order_status_change
from printconnect.orders.shipments import shipment_create
from tests.factories.clients import ClientFactory
from tests.factories.storefronts import make_store
from tests.outbox.conftest import make_order

pytestmark = pytest.mark.django_db
S = Order.Status


@pytest.fixture
def carriers(db) -> dict[str, Carrier]:
    return {
        "ups": Carrier.objects.create(
            code="ups", name="UPS", tracking_url_template="https://ups.example/t?n={tracking}"
        ),
        "postnl": Carrier.objects.create(
            code="postnl", name="PostNL", tracking_url_template="https://postnl.example/{tracking}"
        ),
    }


@pytest.fixture
def store(db):
    return make_store(ClientFactory())


def printed(order: Order) -> Order:
    for status in (S.IN_PRODUCTION, S.PRINTED):
        order_status_change(order=order, to_status=status, source="staff")
    return order


def test_partial_shipments_with_several_tracking_numbers_ship_the_order_with_the_last_parcel_when_rules_match(
    store, carriers
):
    CarrierRule.objects.create(store=store, position=2, pattern=r"^3S", carrier=carriers["postnl"])
    CarrierRule.objects.create(store=store, position=1, pattern=r"^1Z", carrier=carriers["ups"])
    order = printed(make_order(store, lines=(("1", 3), ("2", 1))))
    first, second = order.items.order_by("pk")

    parcel1 = shipment_create(order=order, tracking_number="1Z999AA1", items={first: 2}, source="staff")
    assert (parcel1.carrier, parcel1.tracking_url) == (carriers["ups"], "https://ups.example/t?n=1Z999AA1")
    order.refresh_from_db()
    assert order.status == S.PRINTED  # one item and a half still here

    parcel2 = shipment_create(order=order, tracking_number="3SABC", source="api")  # all that is left
    assert parcel2.carrier == carriers["postnl"]
    assert {(i.item_id, i.quantity) for i in parcel2.items.all()} == {(first.pk, 1), (second.pk, 1)}
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    kinds = list(OutboxEvent.objects.filter(order=order).values_list("kind", "source"))
    assert kinds[-3:] == [
        (OutboxEvent.Kind.SHIPMENT_CREATED, "staff"),
        (OutboxEvent.Kind.SHIPMENT_CREATED, "api"),
        (OutboxEvent.Kind.STATUS_CHANGED, "api"),
    ]
    payload = OutboxEvent.objects.filter(order=order, kind=OutboxEvent.Kind.SHIPMENT_CREATED).first().payload
    assert payload["carrier"] == {"code": "ups", "name": "UPS"} and payload["items"][0]["quantity"] == 2
    assert not IntegrationEvent.objects.exists()


def test_the_default_carrier_is_used_when_no_rule_matches(store, carriers):
    CarrierRule.objects.create(store=store, pattern=r"^1Z", carrier=carriers["ups"])
    StoreOrderSettings.objects.create(store=store, default_carrier=carriers["postnl"])
    shipment = shipment_create(order=printed(make_order(store)), tracking_number="JJD000123", source="staff")
    assert shipment.carrier == carriers["postnl"]
    assert shipment.tracking_url == "https://postnl.example/JJD000123"


def test_a_shipment_without_carrier_is_kept_with_an_error_saying_what_to_set_up_when_nothing_matches(store):
    order = printed(make_order(store))
    shipment = shipment_create(order=order, tracking_number="XX123", source="staff")
    assert shipment.carrier is None and shipment.tracking_url == ""
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    error = IntegrationEvent.objects.get(code="shipment.untracked")
    assert error.severity == IntegrationEvent.Severity.ERROR and error.object_id == order.number
    assert "XX123" in error.message and "default carrier" in error.message


@pytest.mark.parametrize(
    ("status", "message"),
    [(S.CANCELLED, "it is cancelled"), (S.ON_HOLD, "it is on hold")],
)
def test_a_cancelled_or_held_order_cannot_be_shipped_and_nothing_changes(store, status, message):
    order = make_order(store)
    order_status_change(order=order, to_status=status, source="staff")
    with pytest.raises(ApplicationError, match=message):
        shipment_create(order=order, tracking_number="1Z1", source="staff")
    assert not order.shipments.exists()


def test_shipping_more_than_ordered_is_refused_with_the_numbers_and_nothing_changes(store):
    order = printed(make_order(store, lines=(("1", 2),)))
    item = order.items.get()
    shipment_create(order=order, tracking_number="A1", items={item.pk: 1}, source="staff")
    events = OutboxEvent.objects.count()
    with pytest.raises(ApplicationError, match="2 ordered and 1 already shipped, so at most 1"):
        shipment_create(order=order, tracking_number="A2", items={item.pk: 2}, source="staff")
    assert order.shipments.count() == 1 and OutboxEvent.objects.count() == events
    shipment_create(order=order, tracking_number="A3", source="staff")
    with pytest.raises(ApplicationError, match="already shipped; there is nothing left"):
        shipment_create(order=order, tracking_number="A4", source="staff")


def test_the_last_parcel_of_an_order_not_yet_printed_is_refused_but_a_partial_one_is_kept(store):
    order = make_order(store, lines=(("1", 2),))
    item = order.items.get()
    shipment_create(order=order, tracking_number="P1", items={item.pk: 1}, source="staff")
    with pytest.raises(ApplicationError, match="cannot be moved to shipped"):
        shipment_create(order=order, tracking_number="P2", source="staff")
    assert order.shipments.count() == 1


def test_an_item_of_another_order_and_an_empty_tracking_number_are_refused(store):
    order, other = printed(make_order(store)), make_order(store)
    with pytest.raises(ApplicationError, match="is not a line of order"):
        shipment_create(order=order, tracking_number="Z1", items={other.items.get().pk: 1}, source="staff")
    with pytest.raises(ApplicationError, match="tracking number"):
        shipment_create(order=order, tracking_number="  ", source="staff")
