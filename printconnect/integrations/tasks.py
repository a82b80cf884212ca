from datetime import UTC, datetime

from celery import shared_task
from celery.utils.log import get_task_logger
from django.conf import settings

from printconnect.core.deliveries import task_delivery_record
from printconnect.integrations.connectors.errors import ConnectorError

logger = get_task_logger(__name__)


@shared_task(
    bind=True,
    name="integrations.feed_run",
    queue="feeds",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=8,
)
def feed_run_task(self, feed_id: int, trigger: str) -> None:
    from printconnect.integrations.models import Feed, FeedRun
    from printconnect.integrations.services import feed_run_execute
    from printconnect.integrations.services.lost_workers import feed_run_give_up

    feed = Feed.objects.filter(pk=feed_id).first()
    if feed is None or (trigger == "schedule" and not feed.enabled):
        return  # deleted, or switched off after it was queued; "Run now" runs a switched-off feed all the same
    deliveries = task_delivery_record(task_id=self.request.id, retries=self.request.retries)
    if deliveries.lost >= settings.TASK_MAX_REDELIVERIES:
        logger.error(
            "integrations.feed_run.gave_up: task %s of feed %s lost its worker %s times; not running it again",
            self.request.id, feed_id, deliveries.lost,
        )  # fmt: skip
        since = datetime.fromtimestamp(deliveries.first_at, tz=UTC)
        feed_run_give_up(feed=feed, since=since, lost=deliveries.lost, task_id=self.request.id or "")
        return
    if deliveries.attempt > 1:
        logger.warning(
            "integrations.feed_run.redelivered: task %s of feed %s is back after its worker died (%s lost)",
            self.request.id, feed_id, deliveries.lost,
        )  # fmt: skip
    try:
        run = feed_run_execute(feed=feed, trigger=trigger, task_id=self.request.id or "")
    except ConnectorError as exc:  # only Retry-kind failures reach here; they were recorded as events
        countdown = getattr(exc, "retry_after", None) or min(2**self.request.retries * 30, 3600)
        raise self.retry(exc=exc, countdown=min(countdown, settings.TASK_RETRY_COUNTDOWN_MAX)) from exc
    if run.status == FeedRun.Status.SKIPPED and deliveries.attempt > 1:
        # Skipped although this task's own dead run is taken over at once: another trigger's run is under way,
        # or the dead run was opened before its task id was known. Come back once that run's heartbeat could be
        # stale and take it over from its cursor.
        raise self.retry(countdown=settings.FEED_RUN_STALE_AFTER_SECONDS + 1)


@shared_task(name="integrations.feeds_dispatch", queue="feeds", ignore_result=True)
def feeds_dispatch_task() -> int:
    from printconnect.integrations.services import feeds_dispatch

    return feeds_dispatch()


@shared_task(bind=True, name="integrations.event_retry", queue="feeds", acks_late=True, max_retries=5)
def event_retry_task(self, event_id: int) -> None:
    from printconnect.integrations.models import IntegrationEvent
    from printconnect.integrations.services.retries import event_retry_execute

    event = IntegrationEvent.objects.select_related("store").filter(pk=event_id, resolved_at__isnull=True).first()
    if event is None:
        return  # resolved meanwhile
    try:
        event_retry_execute(event=event)
    except ConnectorError as exc:  # Retry-kind only
        countdown = getattr(exc, "retry_after", None) or min(2**self.request.retries * 30, 3600)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(
    bind=True,
    name="integrations.webhook_process",
    queue="webhooks",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=8,
)
def webhook_delivery_process_task(self, delivery_id: int) -> None:
    from printconnect.integrations.models import WebhookDelivery
    from printconnect.integrations.services import webhook_delivery_fail, webhook_delivery_process

    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        return  # deleted meanwhile (the store was removed)
    deliveries = task_delivery_record(task_id=self.request.id, retries=self.request.retries)
    if deliveries.lost >= settings.TASK_MAX_REDELIVERIES:
        logger.error(
            "integrations.webhook_process.gave_up: task %s of delivery %s lost its worker %s times",
            self.request.id, delivery_id, deliveries.lost,
        )  # fmt: skip
        webhook_delivery_fail(delivery=delivery, reason=f"Its processing stopped {deliveries.lost} workers.")
        return
    try:
        webhook_delivery_process(delivery=delivery)
    except ConnectorError as exc:  # Retry-kind only: 429, 5xx, timeouts
        if self.request.retries >= self.max_retries:
            webhook_delivery_fail(delivery=delivery, reason=exc.message)
            return
        retry_after = getattr(exc, "retry_after", None)  # the store's Retry-After wins over our backoff
        countdown = retry_after if retry_after is not None else min(2**self.request.retries * 15, 1800)
        raise self.retry(exc=exc, countdown=min(countdown, settings.TASK_RETRY_COUNTDOWN_MAX)) from exc


@shared_task(name="integrations.webhook_deliveries_queue", queue="webhooks", ignore_result=True)
def webhook_deliveries_queue_task() -> int:
    """Kicked by the webhook endpoint (at most once a second per web process) and swept by beat every 30 s."""
    from printconnect.integrations.services import webhook_deliveries_queue

    return webhook_deliveries_queue()


@shared_task(
    bind=True,
    name="integrations.outbox_dispatch",
    queue="postbacks",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def outbox_dispatch_task(self) -> int:
    """Kicked after commits that wrote outbox rows and swept by beat every 10 s; any number may run at once (each
    claims its own deliveries). A dispatch that used its time budget with work left queues the next one."""
    from printconnect.integrations.services.outbox import outbox_dispatch

    result = outbox_dispatch()
    if result.more:
        outbox_dispatch_task.apply_async()
    return result.delivered
