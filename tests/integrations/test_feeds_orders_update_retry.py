"""The "update orders" and "retry set-aside orders" feeds against the WooCommerce sandbox over real HTTP."""

from __future__ import annotations

import pytest

from printconnect.integrations.models import Feed, FeedRun, IntegrationEvent
from printconnect.orders.models import Order, OrderHold, OrderSourceChange
from printconnect.sandbox.woocommerce import seed
from tests.integrations.sandbox_shop import api_calls, connect_shop, run_feed, slug_for, touch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_allowed")]
K = Feed.Kind
AWAITING = "order.awaiting_payment"


@pytest.fixture
def shop(sandbox, request):
    """A store whose orders were imported once: paid ones are here, unpaid ones set aside with Retry events."""
    remote, store = connect_shop(sandbox, slug_for(request.node.name), products=6, orders=120, seed_no=3)
    run = run_feed(store, K.ORDERS_IMPORT)
    assert run.status == FeedRun.Status.SUCCEEDED, run.log
    return remote, store


def _set_status(remote, order_id: int, status: str, *, paid: bool = False) -> None:
    record = remote.orders[order_id]
    record["status"] = status
    if paid:
        record["date_paid"] = record["date_paid_gmt"] = seed._now()
    touch(record)


def _awaiting(store) -> dict[str, IntegrationEvent]:
    events = IntegrationEvent.objects.filter(store=store, code=AWAITING, resolved_at__isnull=True)
    return {event.object_id: event for event in events}


# --- update orders -----------------------------------------------------------------------------------------------


def test_orders_update_cancels_orders_cancelled_or_refunded_in_the_store(shop):
    remote, store = shop
    cancelled, refunded, untouched = Order.objects.filter(store=store).order_by("pk")[:3]
    _set_status(remote, int(cancelled.external_id), "cancelled")
    _set_status(remote, int(refunded.external_id), "refunded")

    run = run_feed(store, K.ORDERS_UPDATE)
    assert run.status == FeedRun.Status.SUCCEEDED, run.log
    assert run.updated == 2
    for order, store_status in ((cancelled, "cancelled"), (refunded, "refunded")):
        order.refresh_from_db()
        assert (order.status, order.store_status) == (Order.Status.CANCELLED, store_status)
    untouched.refresh_from_db()
    assert untouched.status == Order.Status.ON_HOLD  # its products are not connected yet: held, not cancelled

    again = run_feed(store, K.ORDERS_UPDATE)
    assert again.updated == 0  # the same changes seen again write nothing


def test_orders_update_flags_an_edit_of_items_or_address_for_a_person_and_never_applies_it(shop):
    remote, store = shop
    order = Order.objects.filter(store=store).first()
    record = remote.orders[int(order.external_id)]
    record["shipping"] = {**record["shipping"], "city": "Elsewhere", "address_1": "New street 1"}
    record["line_items"][0]["quantity"] = 99
    _set_status(remote, int(order.external_id), "completed")
    items_before = list(order.items.values_list("external_id", "quantity"))

    assert run_feed(store, K.ORDERS_UPDATE).updated == 1
    order.refresh_from_db()
    assert order.store_status == "completed"
    assert order.shipping_address["city"] != "Elsewhere"
    assert list(order.items.values_list("external_id", "quantity")) == items_before
    change = OrderSourceChange.objects.get(order=order, status=OrderSourceChange.Status.PENDING)
    whats = [row["what"] for row in change.differences]
    assert "Shipping address" in whats and any(what.endswith(": quantity") for what in whats)
    assert OrderHold.objects.filter(order=order, reason=Order.HoldReason.CHANGED_AT_SOURCE).exists()


def test_orders_update_reads_again_an_order_edited_in_the_store_without_a_status_change(shop):
    remote, store = shop
    order = Order.objects.filter(store=store).first()
    record = remote.orders[int(order.external_id)]
    record["line_items"][0]["quantity"] += 2
    touch(record)  # the store's change time moves on, its status does not

    run = run_feed(store, K.ORDERS_UPDATE)
    assert run.status == FeedRun.Status.SUCCEEDED, run.log
    assert run.updated == 1
    (change,) = OrderSourceChange.objects.filter(order=order)
    assert change.differences[0]["what"].endswith(": quantity")
    # Read again with nothing new: the same change, nothing written.
    assert run_feed(store, K.ORDERS_UPDATE).updated == 0
    assert OrderSourceChange.objects.filter(order=order).count() == 1


def test_orders_update_skips_orders_that_are_not_here_yet(shop):
    remote, store = shop
    [new] = seed.add_orders(remote, 1, status="processing")
    run = run_feed(store, K.ORDERS_UPDATE)
    assert run.created == 0 and run.skipped >= 1
    assert not Order.objects.filter(store=store, external_id=str(new["id"])).exists()
    feed = Feed.objects.get(store=store, kind=K.ORDERS_UPDATE)
    assert feed.cursor == "" and feed.synced_until == run.started_at


def test_orders_update_records_an_unreadable_order_as_an_error_and_updates_the_rest(shop):
    remote, store = shop
    # The sandbox breaks the middle order of the next page; changed in the store, it has to be read in full.
    bad_id = sorted(remote.orders)[50]
    other = Order.objects.filter(store=store).exclude(external_id=str(bad_id)).first()
    _set_status(remote, bad_id, "cancelled")
    _set_status(remote, int(other.external_id), "cancelled")
    remote.set_faults(malformed="non_numeric_total")
    run = run_feed(store, K.ORDERS_UPDATE)
    assert remote.faults.last_malformed_id == bad_id
    assert run.status == FeedRun.Status.PARTIAL and run.failed == 1
    event = IntegrationEvent.objects.exclude(code__startswith="order.held.").get(store=store, severity="error")
    assert (event.code, event.object_id) == ("order.unreadable", str(bad_id)) and str(bad_id) in event.message
    other.refresh_from_db()
    assert other.status == Order.Status.CANCELLED


# --- retry set-aside orders --------------------------------------------------------------------------------------


def test_orders_retry_imports_set_aside_orders_once_paid_and_resolves_their_events(shop):
    remote, store = shop
    waiting = _awaiting(store)
    assert len(waiting) >= 3
    paid_id, cancelled_id, *still_waiting = sorted(waiting, key=int)
    _set_status(remote, int(paid_id), "processing", paid=True)
    _set_status(remote, int(cancelled_id), "cancelled")

    remote.clear_requests()
    run = run_feed(store, K.ORDERS_RETRY)
    assert run.status == FeedRun.Status.SUCCEEDED, run.log
    assert (run.seen, run.created, run.skipped) == (len(waiting), 1, len(waiting) - 1)
    assert sorted(api_calls(remote)) == sorted(f"/wp-json/wc/v3/orders/{oid}" for oid in waiting)
    # Imported (held: the shop's products are not connected to the catalog in this test).
    assert Order.objects.get(store=store, external_id=paid_id).status == Order.Status.ON_HOLD
    assert not Order.objects.filter(store=store, external_id=cancelled_id).exists()
    for object_id in (paid_id, cancelled_id):
        event = IntegrationEvent.objects.get(pk=waiting[object_id].pk)
        assert event.resolved_at is not None and event.resolved_by is None
    assert set(_awaiting(store)) == set(still_waiting)  # still unpaid: still set aside, nothing imported
    assert IntegrationEvent.objects.filter(store=store, code="order.not_open", object_id=cancelled_id).exists()

    again = run_feed(store, K.ORDERS_RETRY)
    assert (again.seen, again.created) == (len(still_waiting), 0)


def test_orders_retry_reports_an_unreadable_order_and_keeps_it_set_aside(shop):
    remote, store = shop
    waiting = _awaiting(store)
    broken_id = min(waiting, key=int)
    remote.orders[int(broken_id)]["currency"] = "Euros"
    run = run_feed(store, K.ORDERS_RETRY)
    assert run.status == FeedRun.Status.PARTIAL and run.failed == 1
    error = IntegrationEvent.objects.exclude(code__startswith="order.held.").get(store=store, severity="error")
    assert (error.code, error.object_id) == ("order.unreadable", broken_id) and "currency" in error.message
    assert broken_id in _awaiting(store)


def test_orders_retry_stops_waiting_for_an_order_deleted_in_the_store(shop):
    remote, store = shop
    waiting = _awaiting(store)
    gone_id = min(waiting, key=int)
    del remote.orders[int(gone_id)]
    run = run_feed(store, K.ORDERS_RETRY)
    assert run.status == FeedRun.Status.SUCCEEDED and run.skipped == len(waiting)
    assert gone_id not in _awaiting(store)
    assert IntegrationEvent.objects.get(store=store, code="order.gone").severity == "info"


def test_orders_retry_with_nothing_set_aside_asks_the_store_nothing(sandbox, request):
    remote, store = connect_shop(sandbox, slug_for(request.node.name), products=3)
    remote.clear_requests()
    run = run_feed(store, K.ORDERS_RETRY)
    assert (run.status, run.seen) == (FeedRun.Status.SUCCEEDED, 0)
    assert api_calls(remote) == []
