"""Feed runs: scheduling, the per-feed lock, and each feed kind's work. Connectors are called from here."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule

from printconnect.core.http import safe_session_from_settings
from printconnect.integrations.connectors import registry
from printconnect.integrations.connectors.base import Connector
from printconnect.integrations.connectors.errors import ConnectorError, MappingError, Severity
from printconnect.integrations.connectors.types import (
    ConnectionConfig,
    ExternalOrder,
    FinancialStatus,
    FulfilmentChannel,
    OrderStatus,
)
from printconnect.integrations.models import Feed, FeedRun
from printconnect.integrations.schedules import FEED_DEFAULTS, next_run_after
from printconnect.integrations.services.events import event_record
from printconnect.integrations.tasks import feed_run_task
from printconnect.orders.services import (
    Ingested,
    OrderData,
    OrderLineData,
    order_ingest,
    order_sync_states,
    orders_create_batch,
)
from printconnect.storefronts.models import Store

logger = logging.getLogger(__name__)

# Records changed a little before the last run are fetched again: clocks differ, and duplicates are harmless.
SYNC_OVERLAP = timedelta(minutes=5)


def _stale_run_after() -> timedelta:
    """A running run whose heartbeat (moved after every page) is older than this lost its worker; the next trigger
    takes over and the cursor keeps its place. Read when needed, so settings overrides apply."""
    return timedelta(seconds=settings.FEED_RUN_STALE_AFTER_SECONDS)


def connector_for_store(store: Store) -> Connector:
    connector_class = registry.get(store.platform)
    config = ConnectionConfig(base_url=store.base_url, credentials=store.credentials, options={})
    return connector_class(config, session=safe_session_from_settings())


# --- the feeds of a store ----------------------------------------------------------------------------------------


@transaction.atomic
def feeds_ensure_for_store(*, store: Store) -> list[Feed]:
    """Give the store every feed its connector can serve, with the default schedules; the first runs are due now.

    Safe to call again (e.g. on reconnecting): existing feeds keep their schedule, switch and position.
    """
    if not registry.has(store.platform):
        return []  # a manual store: orders come by hand or CSV, no feeds
    capabilities = registry.get(store.platform).capabilities
    now = timezone.now()
    existing = {feed.kind: feed for feed in Feed.objects.filter(store=store)}
    for kind, (capability, every) in FEED_DEFAULTS.items():
        if kind in existing or capability not in capabilities:
            continue
        interval = None
        if every is not None:
            interval, _ = IntervalSchedule.objects.get_or_create(every=every[0], period=every[1])
        existing[kind] = Feed.objects.create(store=store, kind=kind, interval=interval, next_run_at=now)
    return sorted(existing.values(), key=lambda feed: list(Feed.Kind.values).index(feed.kind))


# --- scheduling ------------------------------------------------------------------------------------------------------

DISPATCH_BATCH = 500


def feeds_dispatch(*, now: datetime | None = None) -> int:
    """Enqueue every enabled feed that is due, once: one beat entry calls this instead of one beat entry per feed
    (django-celery-beat slows down with thousands of periodic tasks). Each batch moves its feeds' next_run_at
    forward in the same transaction that queues them, so a second dispatcher never picks them up again."""
    now = now or timezone.now()
    dispatched = 0
    skip_locked = connection.features.has_select_for_update_skip_locked
    while True:
        with transaction.atomic():
            due = (
                Feed.objects.select_for_update(skip_locked=skip_locked, of=("self",))
                .filter(enabled=True, next_run_at__lte=now)
                .select_related("interval", "crontab")
                .order_by("next_run_at", "pk")[:DISPATCH_BATCH]
            )
            batch = list(due)
            if not batch:
                return dispatched
            for feed in batch:
                feed.next_run_at = next_run_after(feed, now)
            Feed.objects.bulk_update(batch, ["next_run_at"])
            ids = [feed.pk for feed in batch]
            transaction.on_commit(
                lambda ids=ids: [feed_run_task.apply_async((pk, FeedRun.Trigger.SCHEDULE)) for pk in ids]
            )
        dispatched += len(batch)


# --- feed runs ------------------------------------------------------------------------------------------------------


def feed_run_start(*, feed: Feed, trigger: str) -> FeedRun:
    """Open a run, or record a skipped one when another run of this feed is under way (one at a time per feed)."""
    now = timezone.now()
    with transaction.atomic():
        Feed.objects.select_for_update().get(pk=feed.pk)  # the per-feed lock
        running = FeedRun.objects.filter(feed=feed, status=FeedRun.Status.RUNNING).first()
        if running is not None and (running.heartbeat_at or running.started_at) > now - _stale_run_after():
            return FeedRun.objects.create(
                feed=feed,
                trigger=trigger,
                status=FeedRun.Status.SKIPPED,
                started_at=now,
                finished_at=now,
                log=f"Skipped: run #{running.pk} of this feed is still running.",
            )
        if running is not None:
            running.status = FeedRun.Status.FAILED
            running.finished_at = now
            running.log += "\nAbandoned: its worker stopped; the next run resumed from the saved cursor."
            running.save(update_fields=["status", "finished_at", "log"])
        return FeedRun.objects.create(feed=feed, trigger=trigger, started_at=now, heartbeat_at=now)


def feed_run_execute(*, feed: Feed, trigger: str) -> FeedRun:
    """Run one feed now. Connector failures end the run with an event; they are not raised to the caller,
    except Retry-kind failures, which are re-raised after being recorded so the task can retry with backoff."""
    feed = Feed.objects.select_related("store", "store__client").get(pk=feed.pk)
    run = feed_run_start(feed=feed, trigger=trigger)
    if run.status == FeedRun.Status.SKIPPED:
        return run
    handlers = {Feed.Kind.ORDERS_IMPORT: _orders_import}
    handler = handlers.get(feed.kind)
    try:
        if handler is None:
            raise NotImplementedError(f"The {feed.get_kind_display()} feed is not available yet.")
        handler(feed=feed, run=run, connector=connector_for_store(feed.store))
    except ConnectorError as exc:
        _finish(run, FeedRun.Status.FAILED, exc.message)
        event_record(
            store=feed.store, severity=str(exc.severity), code=f"feed.{type(exc).__name__}",
            message=exc.message, feed_run=run,
        )  # fmt: skip
        if exc.severity == Severity.RETRY:
            raise
        return run
    except Exception as exc:
        _finish(run, FeedRun.Status.FAILED, f"Unexpected failure: {type(exc).__name__}: {exc}")
        raise
    _finish(run, FeedRun.Status.PARTIAL if run.failed else FeedRun.Status.SUCCEEDED, "Finished.")
    return run


def _finish(run: FeedRun, status: str, line: str) -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.log = f"{run.log}\n{line}".strip()
    run.save()


def _orders_import(*, feed: Feed, run: FeedRun, connector: Connector) -> None:
    store = feed.store
    started = run.started_at
    since = feed.synced_until - SYNC_OVERLAP if feed.synced_until else store.activation_date
    pages = connector.fetch_orders(updated_since=since, cursor=feed.cursor or None)
    for page in pages:
        known = order_sync_states(store=store, external_ids=[order.id for order in page.items])
        new_orders: list[OrderData] = []
        for order in page.items:
            run.seen += 1
            if known.get(order.id) == (str(order.status), str(order.financial_status)):
                run.skipped += 1  # already here and unchanged in the store: nothing to write
                continue
            verdict = _order_verdict(store, order, known=order.id in known)
            if verdict is not None:
                run.skipped += 1
                severity, code, message = verdict
                event_record(
                    store=store, severity=severity, code=code, message=message,
                    object_type="order", object_id=order.id, feed_run=run,
                )  # fmt: skip
            elif order.id in known:
                _, outcome = order_ingest(store=store, data=order_data_from_external(order))
                run.updated += outcome == Ingested.UPDATED
            else:
                new_orders.append(order_data_from_external(order))
        _create_new_orders(store, run, new_orders)
        for error in page.errors:
            run.seen += 1
            run.failed += 1
            _record_mapping_error(store, run, error)
        # The page's orders are committed (one transaction each); only now may the cursor move past them.
        feed.cursor = page.next_cursor or ""
        feed.save(update_fields=["cursor", "updated_at"])
        run.heartbeat_at = timezone.now()
        run.save(update_fields=["seen", "created", "updated", "skipped", "failed", "heartbeat_at"])
    feed.cursor = ""
    feed.synced_until = started
    feed.save(update_fields=["cursor", "synced_until", "updated_at"])


def order_import_one(*, store: Store, order: ExternalOrder, feed_run: FeedRun | None = None) -> str:
    """One order from any source (a webhook, a single fetch) through the same rules as the import feed.

    Returns the outcome: created, updated or unchanged (an Ingested value), or "skipped" with its event recorded.
    A webhook is only a hint: the result is the same whether the order arrives this way, by a poll, or both.
    """
    known = order_sync_states(store=store, external_ids=[order.id])
    if known.get(order.id) == (str(order.status), str(order.financial_status)):
        return Ingested.UNCHANGED
    verdict = _order_verdict(store, order, known=order.id in known)
    if verdict is not None:
        severity, code, message = verdict
        event_record(
            store=store, severity=severity, code=code, message=message,
            object_type="order", object_id=order.id, feed_run=feed_run,
        )  # fmt: skip
        return "skipped"
    _, outcome = order_ingest(store=store, data=order_data_from_external(order))
    return outcome


def _create_new_orders(store: Store, run: FeedRun, new_orders: list[OrderData]) -> None:
    """A page's new orders in one batch; if another run got one in first, each is ingested on its own instead."""
    if not new_orders:
        return
    try:
        run.created += len(orders_create_batch(store=store, orders=new_orders))
    except IntegrityError:
        for data in new_orders:
            _, outcome = order_ingest(store=store, data=data)
            run.created += outcome == Ingested.CREATED
            run.updated += outcome == Ingested.UPDATED


def _order_verdict(store: Store, order: ExternalOrder, *, known: bool) -> tuple[str, str, str] | None:
    """Why a new order is not imported (severity, code, message), or None to import it. Known orders always sync
    their status, so a cancellation in the store reaches an order that is already here."""
    if known:
        return None
    if order.fulfilment_channel != FulfilmentChannel.MERCHANT:
        return Severity.INFO, "order.other_channel", f"Order {order.number} is fulfilled by the marketplace; skipped."
    if order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED, OrderStatus.FAILED):
        return Severity.INFO, "order.not_open", f"Order {order.number} is {order.status} in the store; not imported."
    if store.activation_date and order.placed_at < store.activation_date:
        return (
            Severity.INFO,
            "order.before_activation",
            f"Order {order.number} was placed before the store's activation date; not imported.",
        )
    if order.financial_status not in (FinancialStatus.PAID, FinancialStatus.PARTIALLY_REFUNDED):
        return (
            Severity.RETRY,
            "order.awaiting_payment",
            f"Order {order.number} is not paid yet; it is set aside and imported once paid.",
        )
    return None


def _record_mapping_error(store: Store, run: FeedRun, error: MappingError) -> None:
    event_record(
        store=store,
        severity=Severity.ERROR,
        code="order.unreadable",
        message=error.message,
        object_type="order",
        object_id=str(error.record_id or ""),
        feed_run=run,
    )


def order_data_from_external(order: ExternalOrder) -> OrderData:
    address = order.shipping_address
    return OrderData(
        external_id=order.id,
        number=order.number,
        store_status=str(order.status),
        financial_status=str(order.financial_status),
        placed_at=order.placed_at,
        currency=order.currency,
        total=order.total,
        customer_name=order.customer_name,
        customer_email=order.customer_email,
        shipping_address=asdict(address) if address else {},
        shipping_method=order.shipping_method_title or order.shipping_method_code,
        lines=tuple(
            OrderLineData(
                external_id=line.id,
                quantity=line.quantity,
                title=line.title,
                sku=line.sku,
                external_product_id=line.product_id or "",
                external_variant_id=line.variant_id or "",
                attributes=dict(line.attributes),
                print_file_urls=tuple(line.print_file_urls),
            )
            for line in order.lines
        ),
    )
