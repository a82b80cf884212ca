""" "Retry now" on an event: do again the one thing that failed, and close the event when it works."""

from __future__ import annotations

import logging

from django.db import transaction

from printconnect.core.exceptions import ApplicationError
from printconnect.core.models import User
from printconnect.integrations.connectors.errors import ConnectorError, Severity
from printconnect.integrations.models import Feed, FeedRun, IntegrationEvent
from printconnect.integrations.services.events import event_record, event_resolve
from printconnect.integrations.services.feeds import connector_for_store, order_import_one
from printconnect.integrations.tasks import event_retry_task, feed_run_task
from printconnect.orders.services import IntakeSource

logger = logging.getLogger(__name__)

# What a retry of an event re-runs: the order it names, else the feed whose run raised it.
_ORDER_IMPORT_FEEDS = (Feed.Kind.ORDERS_IMPORT, Feed.Kind.ORDERS_UPDATE, Feed.Kind.ORDERS_RETRY)


def event_retry(*, event: IntegrationEvent, actor: User) -> str:
    """Queue the retry of an open event; returns what was queued, for the person who asked."""
    if event.resolved_at is not None:
        raise ApplicationError("This event is already resolved; nothing to retry.")
    if event.object_type == "order" and event.object_id:
        transaction.on_commit(lambda: event_retry_task.delay(event.pk))
        what = f"Order {event.object_id} is fetched from the store again."
    elif event.feed_run_id is not None:
        feed_id = FeedRun.objects.filter(pk=event.feed_run_id).values_list("feed_id", flat=True).first()
        if feed_id is None:
            raise ApplicationError("The run that raised this event is gone; use Run now on the store's feed instead.")
        transaction.on_commit(lambda: feed_run_task.delay(feed_id, FeedRun.Trigger.MANUAL))
        what = "The feed that raised it runs again."
    else:
        raise ApplicationError("This event names nothing that can be retried; fix the cause, then mark it resolved.")
    logger.info("integrations.event.retry_queued", extra={"event_id": event.pk, "actor_id": actor.pk})
    return what


def event_retry_execute(*, event: IntegrationEvent) -> IntegrationEvent:
    """Fetch the order the event names and take it through the import rules again; resolve the event if it went in.

    Connector failures are recorded on the same event (its count grows) instead of being raised, except Retry-kind
    ones, which the task retries with backoff.
    """
    store = event.store
    try:
        order = connector_for_store(store).fetch_order(event.object_id)
    except ConnectorError as exc:
        event_record(
            store=store, severity=str(exc.severity), code=event.code, message=exc.message,
            object_type=event.object_type, object_id=event.object_id,
        )  # fmt: skip
        if exc.severity == Severity.RETRY:
            raise
        return IntegrationEvent.objects.get(pk=event.pk)
    outcome = order_import_one(store=store, order=order, source=IntakeSource.RETRY)
    if outcome != "skipped":
        return event_resolve(event=event, actor=None)
    return IntegrationEvent.objects.get(pk=event.pk)
