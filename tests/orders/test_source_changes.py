"""Orders changed in the store after import: flagged with the difference, held before production until a person
accepts the store's version or keeps the order as imported; an Error (no hold) once production has started."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from printconnect.catalog.models import StoreVariant
from printconnect.catalog.services import variant_mappings_announce
from printconnect.core.exceptions import ApplicationError
from printconnect.integrations.connectors.base import known_unchanged
from printconnect.integrations.models import IntegrationEvent
from printconnect.orders.models import Order, OrderHold, OrderSourceChange, OrderStatusChange
from printconnect.orders.services import Ingested, order_intake, order_status_change, order_sync_states
from printconnect.orders.shipments import shipment_create
from printconnect.orders.source_changes import source_change_accept, source_change_keep
from tests.factories.clients import ClientFactory
from tests.factories.core import StaffFactory
from tests.factories.orders import line, order_data, received_order, store_product
from tests.factories.storefronts import make_store

pytestmark = pytest.mark.django_db
S, R = Order.Status, Order.HoldReason
STORE_SOURCE = OrderStatusChange.Source.STORE
EDITED = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def store():
    return make_store(ClientFactory())


@pytest.fixture
def order(store):
    return received_order(store, ("501", 1), ("502", 2), shipping_address={"city": "Berlin", "country": "DE"})


def _as_sent(order, *, quantities=None, extra_lines=(), **overrides):
    """The order as the store would send it again, with the given edits."""
    quantities = quantities or {}
    lines = tuple(
        line(
            item.external_id,
            product=item.external_product_id,
            sku=item.sku,
            quantity=quantities.get(item.external_id, item.quantity),
        )
        for item in order.items.order_by("pk")
        if quantities.get(item.external_id, item.quantity)
    )
    values = {"shipping_address": dict(order.shipping_address), "updated_at": EDITED}
    return order_data(order.external_id, *lines, *extra_lines, **{**values, **overrides})


def _changed_errors(store):
    return IntegrationEvent.objects.filter(store=store, code="order.held.changed_at_source", resolved_at__isnull=True)


def test_an_edited_quantity_holds_a_received_order_with_the_difference_and_an_error(store, order):
    result = order_intake(store=store, data=_as_sent(order, quantities={"502-1": 5}))
    assert result.outcome == Ingested.UPDATED
    order.refresh_from_db()
    assert (order.status, order.hold_reason) == (S.ON_HOLD, R.CHANGED_AT_SOURCE)
    assert "quantity: 2 -> 5" in order.hold_detail and "accept the store's changes" in order.hold_detail
    change = OrderSourceChange.objects.get(order=order)
    assert change.status == OrderSourceChange.Status.PENDING and not change.production_started
    assert change.differences == [{"what": "Line Poster (SKU SKU-502): quantity", "was": "2", "now": "5"}]
    assert order.items.get(external_id="502-1").quantity == 2  # not applied by itself
    assert order.status_changes.last().to_status == S.ON_HOLD
    (error,) = _changed_errors(store)
    assert "1 order held" in error.message and error.object_id == order.external_id
    assert order.store_updated_at == EDITED


def test_the_same_edit_delivered_twice_is_one_change_and_changes_nothing_the_second_time(store, order):
    data = _as_sent(order, quantities={"502-1": 5})
    order_intake(store=store, data=data)
    assert order_intake(store=store, data=data).outcome == Ingested.UNCHANGED
    assert OrderSourceChange.objects.filter(order=order).count() == 1
    assert order.status_changes.filter(to_status=S.ON_HOLD).count() == 1


def test_accepting_applies_the_store_version_and_releases_the_order(store, order):
    staff = StaffFactory()
    address = {"city": "Hamburg", "country": "DE"}
    order_intake(store=store, data=_as_sent(order, quantities={"501-0": 0, "502-1": 3}, shipping_address=address))
    change = OrderSourceChange.objects.get(order=order)
    assert {row["what"] for row in change.differences} == {
        "Shipping address",
        "Line Poster (SKU SKU-501)",
        "Line Poster (SKU SKU-502): quantity",
    }
    order = source_change_accept(change=change, actor=staff)
    assert order.status == S.RECEIVED, order.hold_detail
    assert order.shipping_address == address
    assert list(order.items.values_list("external_id", "quantity")) == [("502-1", 3)]
    change.refresh_from_db()
    assert (change.status, change.decided_by) == (OrderSourceChange.Status.ACCEPTED, staff)
    assert not _changed_errors(store).exists()
    assert not OrderHold.objects.filter(order=order).exists()
    # Sent again as accepted: nothing differs any more.
    assert order_intake(store=store, data=_as_sent(order)).outcome == Ingested.UNCHANGED


def test_keeping_releases_the_order_as_imported_and_the_decision_is_not_asked_twice(store, order):
    order_intake(store=store, data=_as_sent(order, quantities={"502-1": 5}))
    change = OrderSourceChange.objects.get(order=order)
    order = source_change_keep(change=change, actor=StaffFactory())
    assert order.status == S.RECEIVED
    assert order.items.get(external_id="502-1").quantity == 2
    assert not _changed_errors(store).exists()
    with pytest.raises(ApplicationError, match="already dealt with"):
        source_change_accept(change=change, actor=StaffFactory())
    # The store sends the same edited order again: it is the change already decided, shown again for a decision.
    order_intake(store=store, data=_as_sent(order, quantities={"502-1": 5}, updated_at=EDITED + timedelta(hours=1)))
    assert OrderSourceChange.objects.filter(order=order, status=OrderSourceChange.Status.PENDING).count() == 1


def test_an_edit_the_store_undoes_releases_the_order_again(store, order):
    order_intake(store=store, data=_as_sent(order, quantities={"502-1": 5}))
    result = order_intake(store=store, data=_as_sent(order))
    assert result.outcome == Ingested.UPDATED
    order.refresh_from_db()
    assert order.status == S.RECEIVED
    assert OrderSourceChange.objects.get(order=order).status == OrderSourceChange.Status.SUPERSEDED
    assert not _changed_errors(store).exists()


def test_an_edit_after_production_started_raises_an_error_and_does_not_hold(store, order):
    order_status_change(order=order, to_status=S.IN_PRODUCTION, source=OrderStatusChange.Source.STAFF)
    order_intake(store=store, data=_as_sent(order, customer_name="Someone Else"))
    order.refresh_from_db()
    assert order.status == S.IN_PRODUCTION
    change = OrderSourceChange.objects.get(order=order)
    assert change.production_started and change.differences[0]["what"] == "Customer name"
    (error,) = IntegrationEvent.objects.filter(store=store, code="order.changed_in_production")
    assert error.severity == IntegrationEvent.Severity.ERROR and "not held" in error.message
    with pytest.raises(ApplicationError, match="production has started"):
        source_change_accept(change=change, actor=StaffFactory())
    change.refresh_from_db()
    assert change.status == OrderSourceChange.Status.PENDING  # the refusal changed nothing
    assert source_change_keep(change=change, actor=StaffFactory()).status == S.IN_PRODUCTION


def test_edits_of_a_shipped_order_are_ignored(store, order):
    for status in (S.IN_PRODUCTION, S.PRINTED):
        order_status_change(order=order, to_status=status, source=OrderStatusChange.Source.STAFF)
    shipment_create(order=order, tracking_number="1Z999", actor=None, source=OrderStatusChange.Source.STAFF)
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    order_intake(store=store, data=_as_sent(order, quantities={"502-1": 9}))
    assert not OrderSourceChange.objects.filter(order=order).exists()


def test_a_status_only_notice_without_lines_is_not_a_change(store, order):
    data = replace(_as_sent(order), lines=(), store_status="completed")
    order_intake(store=store, data=data)
    assert not OrderSourceChange.objects.filter(order=order).exists()


def test_a_title_or_file_url_the_store_renews_is_not_a_change(store, order):
    data = _as_sent(order)
    lines = tuple(
        replace(ln, title="Poster (renamed)", print_file_urls=("https://cdn.example/signed?x=1",)) for ln in data.lines
    )
    assert order_intake(store=store, data=replace(data, lines=lines)).outcome == Ingested.UNCHANGED
    assert not OrderSourceChange.objects.exists()


def test_an_added_unmapped_line_stays_held_for_its_product_after_accepting(store, order):
    store_product(store, "777", sku="NEW-777")  # in the store, not connected to the catalog
    order_intake(store=store, data=_as_sent(order, extra_lines=(line("777-9", product="777", sku="NEW-777"),)))
    change = OrderSourceChange.objects.get(order=order)
    assert change.differences == [{"what": "Line Poster (SKU NEW-777)", "was": "not in the order", "now": "added, 1 x"}]
    order = source_change_accept(change=change, actor=StaffFactory())
    assert (order.status, order.hold_reason) == (S.ON_HOLD, R.UNMAPPED_PRODUCT)
    assert order.items.filter(external_id="777-9", catalog_product__isnull=True).exists()


def test_a_mapping_saved_meanwhile_does_not_release_an_order_waiting_for_a_decision(store, order):
    store_product(store, "777", sku="NEW-777")
    order_intake(store=store, data=_as_sent(order, extra_lines=(line("777-9", product="777", sku="NEW-777"),)))
    variant = StoreVariant.objects.get(store=store, external_id="777")
    variant_mappings_announce(store=store, variant_ids=[variant.pk])  # re-processes the store's held orders
    order.refresh_from_db()
    assert (order.status, order.hold_reason) == (S.ON_HOLD, R.CHANGED_AT_SOURCE)
    assert OrderHold.objects.filter(order=order, reason=R.CHANGED_AT_SOURCE).exists()


def test_feeds_read_an_order_again_when_the_store_changed_it_since_it_was_read(store, order):
    order_intake(store=store, data=_as_sent(order))  # now read with the store's change time
    (state,) = order_sync_states(store=store, external_ids=[order.external_id]).values()
    assert state == ("processing", "paid", EDITED)
    assert known_unchanged(state, "processing", "paid", EDITED)
    assert not known_unchanged(state, "processing", "paid", EDITED + timedelta(seconds=1))
    assert not known_unchanged(state, "completed", "paid", EDITED)
    # Orders read before the store's change time was kept: status alone tells, as before.
    assert known_unchanged(("processing", "paid"), "processing", "paid", EDITED)


def test_the_order_page_shows_the_difference_and_staff_accept_it(client, store, order):
    order_intake(store=store, data=_as_sent(order, quantities={"502-1": 5}))
    client.force_login(StaffFactory())
    page = client.get(f"/staff/orders/{order.pk}/").content.decode()
    assert "Changed in the store after import" in page
    assert "Line Poster (SKU SKU-502): quantity" in page and "Accept the store's changes" in page
    change = OrderSourceChange.objects.get(order=order)
    response = client.post(f"/staff/orders/changes/{change.pk}/decide/", {"decision": "accept"}, follow=True)
    assert "now follows the store&#x27;s changes; it is received" in response.content.decode()
    assert order.items.get(external_id="502-1").quantity == 5
    page = client.get(f"/staff/orders/{order.pk}/").content.decode()
    assert "Earlier changes in the store (1)" in page and "Accepted: the order follows the store" in page


def test_accepting_after_production_started_is_not_offered_and_refused_when_posted(client, store, order):
    order_status_change(order=order, to_status=S.IN_PRODUCTION, source=OrderStatusChange.Source.STAFF)
    order_intake(store=store, data=_as_sent(order, quantities={"502-1": 5}))
    client.force_login(StaffFactory())
    page = client.get(f"/staff/orders/{order.pk}/").content.decode()
    assert "Keep as imported" in page and "Accept the store" not in page
    change = OrderSourceChange.objects.get(order=order)
    response = client.post(f"/staff/orders/changes/{change.pk}/decide/", {"decision": "accept"}, follow=True)
    assert "production has started" in response.content.decode()
    assert order.items.get(external_id="502-1").quantity == 2
