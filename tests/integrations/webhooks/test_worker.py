"""Retries of webhook processing through the configured broker and a real worker: a 429 while fetching the order
re-queues the task (honouring Retry-After), and a delivery still failing after the last retry is marked failed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker

from printconnect.celery import app
from printconnect.integrations.models import IntegrationEvent, WebhookDelivery
from printconnect.integrations.services import webhook_delivery_record
from printconnect.integrations.tasks import webhook_delivery_process_task
from printconnect.orders.models import Order
from tests.integrations.webhooks.support import connect_shop

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def webhooks_worker() -> Iterator[None]:
    """One worker thread on the webhooks queue for this module, eager mode off meanwhile."""
    app.conf.task_always_eager = False
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("webhooks")
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=["webhooks"]):
            yield
    finally:
        app.conf.task_always_eager = True


def wait_for(delivery: WebhookDelivery, statuses: set[str], timeout: float = 30) -> WebhookDelivery:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery.refresh_from_db()
        if delivery.status in statuses:
            return delivery
        time.sleep(0.05)
    raise AssertionError(f"delivery still {delivery.status} after {timeout} s: {delivery.outcome}")


def test_a_429_while_fetching_retries_the_task_then_imports_the_order(sandbox, webhooks_worker, settings):
    settings.OUTBOUND_MAX_RETRIES = 1  # the session's own retries; then the task's retry takes over
    shop = connect_shop(sandbox, "wh-worker-429")
    order_id = shop.paid_order_id()
    body, headers = shop.request("order.created", order_id)
    delivery, _ = webhook_delivery_record(store=shop.store, headers=headers, body=body)
    shop.remote.set_faults(rate_limit={"burst": 2, "retry_after": 0})  # every request of the first attempt
    webhook_delivery_process_task.delay(delivery.pk)
    delivery = wait_for(delivery, {WebhookDelivery.Status.PROCESSED, WebhookDelivery.Status.FAILED})
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.PROCESSED, 2), delivery.outcome
    assert Order.objects.filter(store=shop.store, external_id=str(order_id)).count() == 1
    statuses = [entry["status"] for entry in shop.remote.requests() if entry["path"].endswith(f"/orders/{order_id}")]
    assert statuses == [429, 429, 200]


def test_a_delivery_still_throttled_after_the_last_retry_fails_with_an_error_event(sandbox, webhooks_worker, settings):
    settings.OUTBOUND_MAX_RETRIES = 0
    shop = connect_shop(sandbox, "wh-worker-gives-up")
    order_id = shop.paid_order_id()
    body, headers = shop.request("order.created", order_id)
    delivery, _ = webhook_delivery_record(store=shop.store, headers=headers, body=body)
    shop.remote.set_faults(rate_limit={"burst": 1000, "retry_after": 0})
    webhook_delivery_process_task.delay(delivery.pk)
    delivery = wait_for(delivery, {WebhookDelivery.Status.PROCESSED, WebhookDelivery.Status.FAILED})
    attempts = webhook_delivery_process_task.max_retries + 1
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.FAILED, attempts)
    event = IntegrationEvent.objects.get(store=shop.store, code="webhook.gave_up")
    assert event.severity == "error" and f"after {attempts} attempts" in event.message
    assert "run the feed now" in event.message
    assert not Order.objects.exists()
