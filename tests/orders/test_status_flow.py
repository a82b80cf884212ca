"""The production flow: only the allowed moves, each with its history entry and its outbox row."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from printconnect.core.exceptions import ApplicationError
from printconnect.orders import workflow
from printconnect.orders.models import Order, OrderStatusChange, OutboxEvent
from printconnect.orders.services import OrderData, OrderLineData, order_intake, order_status_change
from tests.factories.clients import ClientFactory
from tests.factories.core import StaffFactory
from tests.factories.orders import shipping_method, store_defaults
from tests.factories.storefronts import make_store

S = Order.Status


def _data(**overrides) -> OrderData:
    values = {
        "external_id": "1001",
        "number": "1001",
        "store_status": "processing",
        "financial_status": "paid",
        "placed_at": datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        "currency": "EUR",
        "total": Decimal("24.95"),
        # A stock line with the default rule (fulfil from stock) and a default shipping method: received at once.
        "lines": (OrderLineData(external_id="1", quantity=2, sku="POS-A3", product_type="stock"),),
    }
    return OrderData(**{**values, **overrides})


@pytest.fixture
def order(db) -> Order:
    store = make_store(ClientFactory())
    store_defaults(store, default_shipping_method=shipping_method())
    return order_intake(store=store, data=_data()).order


def test_every_status_has_a_row_and_nothing_leaves_the_final_ones():
    assert set(workflow.TRANSITIONS) == set(S.values)
    assert workflow.next_statuses(S.DELIVERED) == [] and workflow.next_statuses(S.CANCELLED) == []
    assert workflow.next_statuses(S.RECEIVED) == [S.ON_HOLD, S.IN_PRODUCTION, S.CANCELLED]
    # Cancelling stops before the parcel leaves.
    assert not workflow.transition_allowed(S.SHIPPED, S.CANCELLED)


def test_the_whole_flow_writes_one_history_entry_and_one_outbox_row_per_move(order):
    staff = StaffFactory()
    for status in (S.IN_PRODUCTION, S.PRINTED, S.SHIPPED, S.DELIVERED):
        order_status_change(order=order, to_status=status, source="staff", actor=staff, note=f"to {status}")
    order.refresh_from_db()
    assert order.status == S.DELIVERED
    history = list(order.status_changes.values_list("from_status", "to_status", "actor", "note"))
    assert history == [
        (S.RECEIVED, S.IN_PRODUCTION, staff.pk, "to in_production"),
        (S.IN_PRODUCTION, S.PRINTED, staff.pk, "to printed"),
        (S.PRINTED, S.SHIPPED, staff.pk, "to shipped"),
        (S.SHIPPED, S.DELIVERED, staff.pk, "to delivered"),
    ]
    events = list(OutboxEvent.objects.filter(order=order).values_list("kind", "source", "payload"))
    assert [payload["status"] for _kind, _source, payload in events] == [
        S.IN_PRODUCTION,
        S.PRINTED,
        S.SHIPPED,
        S.DELIVERED,
    ]
    assert {(kind, source) for kind, source, _ in events} == {("order.status_changed", "staff")}
    assert events[0][2]["order_number"] == "1001" and events[0][2]["from_status"] == S.RECEIVED


def test_a_move_the_flow_does_not_allow_is_refused_with_the_options_and_changes_nothing(order):
    with pytest.raises(ApplicationError) as refused:
        order_status_change(order=order, to_status=S.SHIPPED, source="staff")
    assert "cannot be moved to shipped; it can go to: on hold, in production, cancelled" in refused.value.message
    with pytest.raises(ApplicationError, match="already received"):
        order_status_change(order=order, to_status=S.RECEIVED, source="staff")
    with pytest.raises(ApplicationError, match="is not an order status"):
        order_status_change(order=order, to_status="lost", source="staff")
    order.refresh_from_db()
    assert order.status == S.RECEIVED
    assert not OrderStatusChange.objects.exists() and not OutboxEvent.objects.exists()


def test_a_status_change_rolled_back_leaves_no_outbox_row(order):
    with pytest.raises(RuntimeError), transaction.atomic():
        order_status_change(order=order, to_status=S.IN_PRODUCTION, source="api")
        raise RuntimeError("the caller failed after the change")
    order.refresh_from_db()
    assert order.status == S.RECEIVED and not OutboxEvent.objects.exists()


def test_a_cancellation_in_the_store_is_recorded_as_coming_from_the_store(order):
    order_intake(store=order.store, data=_data(store_status="cancelled"))
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    change = order.status_changes.get()
    assert (change.from_status, change.to_status, change.source, change.note) == (
        S.RECEIVED,
        S.CANCELLED,
        "store",
        "cancelled in the store",
    )
    assert OutboxEvent.objects.get(order=order).source == "store"
    # The same state again is no change: no second entry.
    order_intake(store=order.store, data=_data(store_status="cancelled"))
    assert order.status_changes.count() == 1
