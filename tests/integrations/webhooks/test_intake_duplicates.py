"""One order, whether it comes by webhook, by the import feed, or both, any number of times, through the pipeline."""

from __future__ import annotations

import pytest

from printconnect.integrations.models import Feed, FeedRun
from printconnect.integrations.services import feed_run_execute, feeds_ensure_for_store, webhook_delivery_process
from printconnect.orders.models import Order, OrderItem
from tests.integrations.webhooks.test_processing import receive

pytestmark = pytest.mark.django_db


def test_webhook_and_feed_delivery_of_one_order_give_one_order_held_for_what_is_missing(shop):
    order_id = shop.paid_order_id()
    webhook_delivery_process(delivery=receive(shop, "order.created", order_id))
    webhook_delivery_process(delivery=receive(shop, "order.updated", order_id))
    feeds_ensure_for_store(store=shop.store)
    run = feed_run_execute(feed=Feed.objects.get(store=shop.store, kind=Feed.Kind.ORDERS_IMPORT), trigger="manual")
    assert run.status == FeedRun.Status.SUCCEEDED, run.log
    [order] = Order.objects.filter(store=shop.store, external_id=str(order_id))
    lines = len(shop.remote.orders[order_id]["line_items"])
    assert OrderItem.objects.filter(order=order).count() == lines
    # The shop's products are not imported here: the order waits, saying what to fix.
    assert order.status == Order.Status.ON_HOLD and "Products tab" in order.hold_detail


def test_an_order_cancelled_in_the_store_after_import_is_cancelled_here(shop):
    order_id = shop.paid_order_id()
    webhook_delivery_process(delivery=receive(shop, "order.created", order_id))
    with shop.remote.lock:
        shop.remote.orders[order_id]["status"] = "cancelled"
    webhook_delivery_process(delivery=receive(shop, "order.updated", order_id))
    order = Order.objects.get(store=shop.store, external_id=str(order_id))
    assert order.status == Order.Status.CANCELLED and not order.holds.exists()
