"""Processing a stored delivery in its task: each topic's outcome, failures that need a person, redelivery."""

from __future__ import annotations

import pytest

from printconnect.integrations.models import Feed, FeedRun, IntegrationEvent, WebhookDelivery
from printconnect.integrations.services import webhook_delivery_process, webhook_delivery_record
from printconnect.integrations.tasks import webhook_delivery_process_task
from printconnect.orders.models import Order

pytestmark = pytest.mark.django_db


def receive(shop, topic="order.created", resource_id=None, *, ping=False, body=None, headers=None):
    """Store a delivery as the endpoint would after verifying it."""
    made_body, made_headers = shop.request(topic, resource_id, ping=ping)
    delivery, created = webhook_delivery_record(
        store=shop.store, headers=headers or made_headers, body=body if body is not None else made_body
    )
    assert created
    return delivery


def refreshed(delivery):
    return WebhookDelivery.objects.get(pk=delivery.pk)


def test_an_order_deleted_in_the_store_is_an_error_event_saying_what_to_do_when_it_was_imported(shop):
    order_id = shop.paid_order_id()
    webhook_delivery_process_task.delay(receive(shop, "order.created", order_id).pk)
    deleted = receive(shop, "order.deleted", order_id)
    with shop.remote.lock:
        del shop.remote.orders[order_id]
    webhook_delivery_process_task.delay(deleted.pk)
    deleted = refreshed(deleted)
    assert deleted.status == WebhookDelivery.Status.PROCESSED
    event = IntegrationEvent.objects.get(store=shop.store, code="order.deleted_in_store")
    assert (event.severity, event.object_type, event.object_id) == ("error", "order", str(order_id))
    number = Order.objects.get(store=shop.store, external_id=str(order_id)).number
    assert f"Order {number} was deleted in the store" in event.message and "cancel it here" in event.message
    assert deleted.outcome == event.message


def test_an_order_deleted_before_it_was_imported_is_ignored_without_a_new_order(shop):
    order_id = shop.paid_order_id()
    delivery = receive(shop, "order.deleted", order_id)
    with shop.remote.lock:
        del shop.remote.orders[order_id]
    delivery = webhook_delivery_process(delivery=delivery)
    assert delivery.status == WebhookDelivery.Status.IGNORED and "never imported" in delivery.outcome
    assert not Order.objects.exists()
    assert not IntegrationEvent.objects.filter(severity="error").exists()


def test_an_order_moved_to_the_trash_is_not_imported_by_its_deleted_webhook(shop):
    order_id = shop.paid_order_id()
    delivery = receive(shop, "order.deleted", order_id)
    with shop.remote.lock:
        shop.remote.orders[order_id]["status"] = "trash"  # WooCommerce sends order.deleted on trash too
    delivery = webhook_delivery_process(delivery=delivery)
    assert delivery.status == WebhookDelivery.Status.IGNORED, delivery.outcome
    assert not Order.objects.exists()


def test_product_updated_queues_one_run_of_the_products_update_feed_for_a_burst(shop, published_tasks, run_on_commit):
    feed = Feed.objects.create(store=shop.store, kind=Feed.Kind.PRODUCTS_UPDATE)
    with shop.remote.lock:
        product_ids = sorted(shop.remote.products)[:3]
    deliveries = [receive(shop, "product.updated", pid) for pid in product_ids]  # a bulk edit in the shop
    with run_on_commit():
        for delivery in deliveries:
            webhook_delivery_process_task.apply(args=(delivery.pk,))
    assert published_tasks == [("integrations.feed_run", (feed.pk, FeedRun.Trigger.WEBHOOK), "feeds")]
    first, *others = (refreshed(delivery) for delivery in deliveries)
    assert first.status == WebhookDelivery.Status.PROCESSED and "Update products feed is queued" in first.outcome
    assert all(o.status == WebhookDelivery.Status.PROCESSED and "will include it" in o.outcome for o in others)


def test_product_updated_is_ignored_with_a_clear_outcome_when_the_store_has_no_products_feed(shop, published_tasks):
    delivery = webhook_delivery_process(delivery=receive(shop, "product.updated"))
    assert delivery.status == WebhookDelivery.Status.IGNORED
    assert "no Update products feed" in delivery.outcome
    assert published_tasks == []


def test_an_unsupported_topic_is_ignored_with_an_info_event(shop):
    body, headers = shop.request("order.created", shop.paid_order_id())
    delivery = receive(shop, body=body, headers={**headers, "X-WC-Webhook-Topic": "customer.created"})
    delivery = webhook_delivery_process(delivery=delivery)
    assert delivery.status == WebhookDelivery.Status.IGNORED and "customer.created" in delivery.outcome
    event = IntegrationEvent.objects.get(store=shop.store, code="webhook.unsupported_topic")
    assert event.severity == "info"
    assert not Order.objects.exists()


def test_a_signed_body_that_cannot_be_read_fails_with_an_error_event(shop):
    _, headers = shop.request("order.created", shop.paid_order_id())
    delivery = receive(shop, body=b'{"no": "id"}', headers={**headers, "X-WC-Webhook-Delivery-ID": "other"})
    delivery = webhook_delivery_process(delivery=delivery)
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert IntegrationEvent.objects.get(store=shop.store, code="webhook.unreadable").severity == "error"


def test_revoked_keys_fail_the_delivery_with_an_error_event_and_no_retry(shop):
    delivery = receive(shop, "order.created", shop.paid_order_id())
    shop.remote.set_faults(unauthorized=True)
    webhook_delivery_process_task.delay(delivery.pk)
    delivery = refreshed(delivery)
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.FAILED, 1)
    assert IntegrationEvent.objects.get(store=shop.store, code="webhook.AuthRejectedError").severity == "error"


def test_a_redelivered_task_does_nothing_once_the_delivery_is_processed(shop):
    order_id = shop.paid_order_id()
    delivery = receive(shop, "order.created", order_id)
    webhook_delivery_process_task.delay(delivery.pk)
    webhook_delivery_process_task.delay(delivery.pk)  # acks_late: a worker lost after the work, before the ack
    assert refreshed(delivery).attempts == 1
    assert shop.order_fetches(order_id) == 1


def test_a_delivery_whose_processing_keeps_killing_workers_fails_after_the_redelivery_cap(shop, settings):
    import uuid

    from printconnect.core.deliveries import task_delivery_record

    order_id = shop.paid_order_id()
    delivery = receive(shop, "order.created", order_id)
    task_id = str(uuid.uuid4())
    for _ in range(settings.TASK_MAX_REDELIVERIES):  # deliveries whose worker died before acknowledging them
        task_delivery_record(task_id=task_id, retries=0)
    webhook_delivery_process_task.apply(args=(delivery.pk,), task_id=task_id)
    delivery = refreshed(delivery)
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert f"stopped {settings.TASK_MAX_REDELIVERIES} workers" in delivery.outcome
    assert IntegrationEvent.objects.get(store=shop.store, code="webhook.gave_up").severity == "error"
    assert shop.order_fetches(order_id) == 0 and not Order.objects.exists()
