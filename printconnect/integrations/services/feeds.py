"""Feed runs: scheduling, the per-feed lock, and each feed kind's work. Connectors are called from here."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule

from printconnect.catalog.models import StoreVariant
from printconnect.catalog.selectors import (
    store_product_external_ids,
    store_products_awaiting_images,
    store_variants_stock_to_export,
    store_variants_without_stock,
)
from printconnect.catalog.services import (
    ProductData,
    ProductImageData,
    Upserted,
    VariantData,
    store_product_images_set,
    store_products_deactivate,
    store_products_upsert,
    store_variants_stock_exported,
    store_variants_stock_initialise,
)
from printconnect.core.http import safe_session_from_settings
from printconnect.integrations.connectors import registry
from printconnect.integrations.connectors.base import Connector, KnownState, known_unchanged
from printconnect.integrations.connectors.errors import ConnectorError, MappingError, RecordNotFoundError, Severity
from printconnect.integrations.connectors.types import (
    Address,
    ConnectionConfig,
    ExternalImage,
    ExternalOrder,
    ExternalProduct,
    Page,
    StockLevel,
)
from printconnect.integrations.models import Feed, FeedRun, IntegrationEvent
from printconnect.integrations.schedules import FEED_DEFAULTS, next_run_after
from printconnect.integrations.services.events import event_record, event_resolve
from printconnect.integrations.tasks import feed_run_task
from printconnect.orders.intake import AWAITING_PAYMENT
from printconnect.orders.services import (
    Ingested,
    IntakeResult,
    IntakeSource,
    OrderData,
    OrderLineData,
    order_intake,
    order_sync_states,
    orders_intake_batch,
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


def feed_run_start(*, feed: Feed, trigger: str, task_id: str = "") -> FeedRun:
    """Open a run, or record a skipped one when another run of this feed is under way (one at a time per feed).

    A running run is taken over when its heartbeat is stale, or at once when it belongs to this very task: a task
    is delivered again only after the worker running it died (acks_late), so that run has nobody left.
    """
    with transaction.atomic():
        Feed.objects.select_for_update().get(pk=feed.pk)  # the per-feed lock
        now = timezone.now()  # after the lock: a trigger that waited for it judges staleness as of now
        running = FeedRun.objects.filter(feed=feed, status=FeedRun.Status.RUNNING).first()
        own = running is not None and bool(task_id) and running.task_id == task_id
        if running is not None and not own and (running.heartbeat_at or running.started_at) > now - _stale_run_after():
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
        return FeedRun.objects.create(feed=feed, trigger=trigger, started_at=now, heartbeat_at=now, task_id=task_id)


def feed_run_execute(*, feed: Feed, trigger: str, task_id: str = "") -> FeedRun:
    """Run one feed now. Connector failures end the run with an event; they are not raised to the caller,
    except Retry-kind failures, which are re-raised after being recorded so the task can retry with backoff."""
    feed = Feed.objects.select_related("store", "store__client").get(pk=feed.pk)
    if feed.is_outbound and not feed.store.is_live:
        return _skip_in_test_mode(feed, trigger)
    run = feed_run_start(feed=feed, trigger=trigger, task_id=task_id)
    if run.status == FeedRun.Status.SKIPPED:
        return run
    handlers = {
        Feed.Kind.ORDERS_IMPORT: _orders_import,
        Feed.Kind.ORDERS_UPDATE: _orders_update,
        Feed.Kind.ORDERS_RETRY: _orders_retry,
        Feed.Kind.PRODUCTS_IMPORT: _products_import,
        Feed.Kind.PRODUCTS_UPDATE: _products_update,
        Feed.Kind.IMAGES_IMPORT: _images_import,
        Feed.Kind.STOCK_IMPORT: _stock_import,
        Feed.Kind.STOCK_EXPORT: _stock_export,
    }
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


def _skip_in_test_mode(feed: Feed, trigger: str) -> FeedRun:
    """Test mode: an outbound feed is recorded as skipped, with an Info, and the store is not called at all."""
    now = timezone.now()
    store = feed.store
    run = FeedRun.objects.create(
        feed=feed,
        trigger=trigger,
        status=FeedRun.Status.SKIPPED,
        started_at=now,
        finished_at=now,
        log=f"Skipped: {store.name} is in test mode, where outbound feeds do not write to the store. "
        "It runs once staff take the store live.",
    )
    event_record(
        store=store, severity=Severity.INFO, code="feed.test_mode",
        message=f"{feed.get_kind_display()} was skipped: {store.name} is in test mode. Go live to send it.",
        object_type="feed", object_id=feed.kind, feed_run=run,
    )  # fmt: skip
    return run


_COUNTS = ("seen", "created", "updated", "skipped", "failed")


def _finish(run: FeedRun, status: str, line: str) -> None:
    """Close the run, unless another trigger took it for abandoned meanwhile (its heartbeat looked stale): then
    its "Abandoned" mark stays and only this run's last line and counts are added, so the history stays true."""
    run.status = status
    run.finished_at = timezone.now()
    run.log = f"{run.log}\n{line}".strip()
    counts = {name: getattr(run, name) for name in _COUNTS}
    closed = FeedRun.objects.filter(pk=run.pk, status=FeedRun.Status.RUNNING).update(
        status=status, finished_at=run.finished_at, log=run.log, **counts
    )
    if not closed:
        late = f"\n{line} (this run went on after it had been taken for abandoned)"
        FeedRun.objects.filter(pk=run.pk).update(log=Concat(F("log"), Value(late)), **counts)


def _log(run: FeedRun, line: str) -> None:
    run.log = f"{run.log}\n{line}".strip()


def _since(feed: Feed, default: datetime | None) -> datetime | None:
    return feed.synced_until - SYNC_OVERLAP if feed.synced_until else default


def _page_done(feed: Feed, run: FeedRun, page: Page[Any]) -> None:
    """The page's rows are committed (one transaction each): only now may the cursor move past them."""
    feed.cursor = page.next_cursor or ""
    feed.save(update_fields=["cursor", "updated_at"])
    _heartbeat(run)


def _heartbeat(run: FeedRun) -> None:
    run.heartbeat_at = timezone.now()
    run.save(update_fields=["seen", "created", "updated", "skipped", "failed", "log", "heartbeat_at"])


def _feed_done(feed: Feed, run: FeedRun) -> None:
    """The whole walk is committed: the next run starts from the top, with what changed since this one started."""
    feed.cursor = ""
    feed.synced_until = run.started_at
    feed.save(update_fields=["cursor", "synced_until", "updated_at"])


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- orders -------------------------------------------------------------------------------------------------------


def _unchanged(state: KnownState | None, order: ExternalOrder) -> bool:
    return known_unchanged(state, str(order.status), str(order.financial_status), order.updated_at)


class _HeldStates:
    """The connector's `known` callback: the states of a page's orders held here, remembered so the feed reuses the
    same query for the orders the connector did map (one query a page, whatever its size)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.ids: set[str] = set()
        self.states: dict[str, KnownState] = {}

    def __call__(self, external_ids: Sequence[str]) -> dict[str, KnownState]:
        self.ids = set(external_ids)
        self.states = order_sync_states(store=self.store, external_ids=list(external_ids))
        return self.states

    def of(self, orders: Sequence[ExternalOrder]) -> dict[str, KnownState]:
        if not all(order.id in self.ids for order in orders):  # a connector that did not ask
            self(external_ids=[order.id for order in orders])
        return self.states


def _order_pages(
    feed: Feed, connector: Connector, held: _HeldStates, *, held_only: bool = False
) -> Iterable[Page[ExternalOrder]]:
    """The orders changed since the last run, resuming at the saved cursor; unchanged known orders stay unmapped
    (and, with held_only, orders not here are not even fetched)."""
    return connector.fetch_orders(
        updated_since=_since(feed, feed.store.activation_date),
        cursor=feed.cursor or None,
        known=held,
        read_ahead=True,  # the handlers below do not call the connector while walking the pages
        held_only=held_only,
    )


def _orders_import(*, feed: Feed, run: FeedRun, connector: Connector) -> None:
    store = feed.store
    held = _HeldStates(store)
    for page in _order_pages(feed, connector, held):
        run.seen += len(page.unchanged)
        run.skipped += len(page.unchanged)  # already here and unchanged in the store: nothing to write
        known = held.of(page.items)
        new_orders: list[OrderData] = []
        for order in page.items:
            run.seen += 1
            if _unchanged(known.get(order.id), order):
                run.skipped += 1
                continue
            if order.id in known:
                outcome = _order_intake(store, order, run).outcome
                run.updated += outcome == Ingested.UPDATED
                run.skipped += outcome != Ingested.UPDATED
            else:
                new_orders.append(order_data_from_external(order))
        _create_new_orders(store, run, new_orders)
        _record_page_errors(store, run, page, object_type="order")
        _page_done(feed, run, page)
    _feed_done(feed, run)


def _orders_update(*, feed: Feed, run: FeedRun, connector: Connector) -> None:
    """Status only, for orders already here: a new order is the import feed's to judge, so it is skipped here.

    A cancellation or refund in the store cancels the order here (the intake pipeline applies the status rule).
    """
    store = feed.store
    held = _HeldStates(store)
    for page in _order_pages(feed, connector, held, held_only=True):
        run.seen += len(page.unchanged) + len(page.not_held)
        run.skipped += len(page.unchanged) + len(page.not_held)  # unchanged, or not here (the import feed's job)
        known = held.of(page.items)
        for order in page.items:
            run.seen += 1
            state = known.get(order.id)
            if state is None or _unchanged(state, order):
                run.skipped += 1  # not here (the import feed's job), or unchanged
                continue
            outcome = _order_intake(store, order, run).outcome
            run.updated += outcome == Ingested.UPDATED
            run.skipped += outcome != Ingested.UPDATED
        _record_page_errors(store, run, page, object_type="order")
        _page_done(feed, run, page)
    _feed_done(feed, run)


RETRY_BATCH = 50


def _orders_retry(*, feed: Feed, run: FeedRun, connector: Connector) -> None:
    """Re-check the orders set aside as unpaid (their open Retry events): import those now valid, and resolve the
    event of each order that went in or is no longer waiting for payment (cancelled, say)."""
    store = feed.store
    pending = list(
        IntegrationEvent.objects.filter(
            store=store,
            severity=IntegrationEvent.Severity.RETRY,
            code=AWAITING_PAYMENT,
            object_type="order",
            resolved_at__isnull=True,
        )
        .order_by("first_seen", "pk")
        .values_list("pk", flat=True)
    )
    for batch in _chunks(pending, RETRY_BATCH):
        for event in IntegrationEvent.objects.filter(pk__in=batch, resolved_at__isnull=True).order_by("pk"):
            run.seen += 1
            try:
                order = connector.fetch_order(event.object_id)
            except MappingError as exc:
                run.failed += 1
                _record_mapping_error(store, run, exc, object_type="order", record_id=event.object_id)
                continue
            except RecordNotFoundError:
                run.skipped += 1
                event_resolve(event=event, actor=None)
                event_record(
                    store=store, severity=Severity.INFO, code="order.gone",
                    message=f"Order {event.object_id} set aside as unpaid no longer exists in the store; "
                    "printconnect stopped waiting for it.",
                    object_type="order", object_id=event.object_id, feed_run=run,
                )  # fmt: skip
                continue
            result = _order_intake(store, order, run, source=IntakeSource.RETRY, record=False)
            if result.verdict is not None and result.verdict.code == AWAITING_PAYMENT:
                run.skipped += 1  # still unpaid: the event stays open for the next retry
                continue
            if result.verdict is not None:
                _record_verdict(store, order.id, result, run)  # cancelled meanwhile, say: an Info says so
            run.created += result.outcome == Ingested.CREATED
            run.updated += result.outcome == Ingested.UPDATED
            run.skipped += result.outcome in (Ingested.UNCHANGED, Ingested.SKIPPED)
            event_resolve(event=event, actor=None)  # imported, or not waiting for payment any more
        _heartbeat(run)


def order_import_one(
    *, store: Store, order: ExternalOrder, feed_run: FeedRun | None = None, source: str = IntakeSource.WEBHOOK
) -> str:
    """One order from any source (a webhook, a single fetch) through the same pipeline as the import feed.

    Returns the outcome: created, updated or unchanged, or skipped with its event recorded (an Ingested value).
    A webhook is only a hint: the result is the same whether the order arrives this way, by a poll, or both.
    """
    return _order_intake(store, order, feed_run, source=source).outcome


def _order_intake(
    store: Store, order: ExternalOrder, run: FeedRun | None, *, source: str = IntakeSource.FEED, record: bool = True
) -> IntakeResult:
    """order_intake for one order that may be here already. Its verdict (not imported: why) becomes the store's
    event unless `record` is off; a cancellation the pipeline refuses (production started) becomes an Error."""
    known = order_sync_states(store=store, external_ids=[order.id])
    if _unchanged(known.get(order.id), order):
        return IntakeResult(Ingested.UNCHANGED)
    result = order_intake(store=store, data=order_data_from_external(order), source=source)
    if result.verdict is not None and record:
        _record_verdict(store, order.id, result, run)
    if result.outcome != Ingested.CANCEL_REFUSED:
        return result
    event_record(
        store=store,
        severity=Severity.ERROR,
        code="order.cancelled_in_production",
        message=(
            f"Order {order.number} was {order.status} in the store after its production started here, so it is not "
            "cancelled. Stop production if you still can and agree with the client what happens to it, then mark "
            "this resolved."
        ),
        object_type="order",
        object_id=order.id,
        feed_run=run,
    )
    return IntakeResult(Ingested.UPDATED, result.order)


def _create_new_orders(store: Store, run: FeedRun, new_orders: list[OrderData]) -> None:
    """A page's new orders through the pipeline in one batch (a few queries for the whole page); those a rule keeps
    out (unpaid, cancelled, other channel, before the activation date) are skipped with their event."""
    if not new_orders:
        return
    for data, result in zip(new_orders, orders_intake_batch(store=store, orders=new_orders), strict=True):
        run.created += result.outcome == Ingested.CREATED
        run.updated += result.outcome == Ingested.UPDATED
        run.skipped += result.outcome in (Ingested.SKIPPED, Ingested.UNCHANGED)
        if result.verdict is not None:
            _record_verdict(store, data.external_id, result, run)


def _record_verdict(store: Store, external_id: str, result: IntakeResult, run: FeedRun | None) -> None:
    verdict = result.verdict
    if verdict is not None:
        event_record(
            store=store, severity=verdict.severity, code=verdict.code, message=verdict.message,
            object_type="order", object_id=external_id, feed_run=run,
        )  # fmt: skip


def _record_page_errors(store: Store, run: FeedRun, page: Page[Any], *, object_type: str) -> None:
    for error in page.errors:
        run.seen += 1
        run.failed += 1
        _record_mapping_error(store, run, error, object_type=object_type)


def _record_mapping_error(
    store: Store, run: FeedRun, error: MappingError, *, object_type: str, record_id: str | None = None
) -> None:
    """An Error naming the record that could not be read; the rest of the page goes on."""
    event_record(
        store=store,
        severity=Severity.ERROR,
        code=f"{object_type}.unreadable",
        message=error.message,
        object_type=object_type,
        object_id=str(error.record_id or record_id or ""),
        feed_run=run,
    )


# --- products and images ------------------------------------------------------------------------------------------


def _products_import(*, feed: Feed, run: FeedRun, connector: Connector) -> None:
    """New products only (not here yet), with their variants; their images come from the image feed."""
    store = feed.store
    for page in connector.fetch_products(updated_since=_since(feed, None), cursor=feed.cursor or None):
        known = store_product_external_ids(store=store, external_ids=[product.id for product in page.items])
        run.seen += len(page.items)
        run.skipped += len(known)
        _products_upsert(store, run, [product for product in page.items if product.id not in known])
        _record_page_errors(store, run, page, object_type="product")
        _page_done(feed, run, page)
    _feed_done(feed, run)


def _products_update(*, feed: Feed, run: FeedRun, connector: Connector) -> None:
    """Every product here, whatever its modification date (WooCommerce does not touch a product's date when one of
    its variations changes): sku, name, weight, variants (new ones added, vanished ones marked inactive).
    Products not here yet are skipped: importing them is the product import's job."""
    store = feed.store
    for page in connector.fetch_products(updated_since=None, cursor=feed.cursor or None):
        known = store_product_external_ids(store=store, external_ids=[product.id for product in page.items])
        run.seen += len(page.items)
        run.skipped += len(page.items) - len(known)
        _products_upsert(store, run, [product for product in page.items if product.id in known])
        _record_page_errors(store, run, page, object_type="product")
        _page_done(feed, run, page)
    _feed_done(feed, run)


def _products_upsert(store: Store, run: FeedRun, products: list[ExternalProduct]) -> None:
    outcomes = store_products_upsert(store=store, products=[product_data_from_external(p) for p in products])
    for outcome in outcomes.values():
        run.created += outcome == Upserted.CREATED
        run.updated += outcome == Upserted.UPDATED
        run.skipped += outcome == Upserted.UNCHANGED


IMAGES_BATCH = 20


def _images_import(*, feed: Feed, run: FeedRun, connector: Connector) -> None:
    """Images of newly created products (never fetched: images_synced_at is empty), one product at a time."""
    store = feed.store
    pending = list(store_products_awaiting_images(store=store))
    for batch in _chunks(pending, IMAGES_BATCH):
        gone: list[str] = []
        for product in batch:
            run.seen += 1
            try:
                images = connector.fetch_product_images(product.external_id)
            except MappingError as exc:
                run.failed += 1
                _record_mapping_error(store, run, exc, object_type="product", record_id=product.external_id)
                continue
            except RecordNotFoundError:
                run.skipped += 1
                gone.append(product.external_id)
                continue
            store_product_images_set(product=product, images=[_image_data(image) for image in images])
            run.updated += 1
        if gone:
            store_products_deactivate(store=store, external_ids=gone)
            _log(run, f"No longer in the store, marked inactive: products {', '.join(gone)}.")
        _heartbeat(run)


def product_data_from_external(product: ExternalProduct) -> ProductData:
    variants = tuple(
        VariantData(
            external_id=variant.id,
            sku=variant.sku,
            attributes=dict(variant.attributes),
            price=variant.price,
            weight=variant.weight,
        )
        for variant in product.variants
    )
    if not variants:
        # A simple product (no variations) is its own one variant, whose external id is the product's id: order
        # lines and stock levels then always point at a variant. ExternalProduct carries no price or weight of its
        # own, so they are read from the platform payload's plain fields, when present.
        variants = (
            VariantData(
                external_id=product.id,
                sku=product.sku,
                price=_raw_amount(product.raw, "price"),
                weight=_raw_amount(product.raw, "weight"),
            ),
        )
    return ProductData(
        external_id=product.id,
        title=product.title,
        sku=product.sku,
        product_type=str(product.product_type),
        remote_updated_at=product.updated_at,
        variants=variants,
    )


def _raw_amount(raw: Any, key: str) -> Decimal | None:
    value = raw.get(key) if hasattr(raw, "get") else None
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _image_data(image: ExternalImage) -> ProductImageData:
    return ProductImageData(
        external_id=image.id, url=image.url, alt=image.alt, position=image.position, variant_ids=image.variant_ids
    )


# --- stock --------------------------------------------------------------------------------------------------------

STOCK_BATCH = 500
STOCK_EXPORT_BATCH = 50
STOCK_IMPORT_RETRY = timedelta(minutes=15)


def _stock_import(*, feed: Feed, run: FeedRun, connector: Connector) -> None:
    """Run once: printconnect's first stock level of every variant that has none, read from the store. Afterwards
    printconnect is the stock master and the export pushes its levels."""
    store = feed.store
    if not StoreVariant.objects.filter(store=store).exists():
        # Connecting queues every feed at once; without products there is nothing to read the stock of yet.
        feed.next_run_at = timezone.now() + STOCK_IMPORT_RETRY
        feed.save(update_fields=["next_run_at", "updated_at"])
        _log(run, "No products imported yet; the stock import runs again in 15 minutes, after the product import.")
        return
    variants = list(store_variants_without_stock(store=store))
    run.seen = len(variants)
    unique_skus = _unique_skus(variants)
    levels = connector.fetch_stock(skus=sorted({variant.sku for variant in variants if variant.sku}))
    by_record = {(level.product_id, level.variant_id or level.product_id): level.quantity for level in levels}
    by_sku = {level.sku: level.quantity for level in levels if level.sku in unique_skus}
    _heartbeat(run)
    found: dict[int, int] = {}
    for variant in variants:
        quantity = by_record.get((variant.product.external_id, variant.external_id), by_sku.get(variant.sku))
        if quantity is not None:
            found[variant.pk] = quantity
    run.skipped += len(variants) - len(found)
    pks = list(found)
    for batch in _chunks(pks, STOCK_BATCH):
        initialised = store_variants_stock_initialise(store=store, levels={pk: found[pk] for pk in batch})
        run.updated += initialised
        run.skipped += len(batch) - initialised  # given a level here meanwhile: printconnect's level stands
        _heartbeat(run)
    without_sku = sum(1 for variant in variants if not variant.sku)
    if run.skipped:
        _log(
            run,
            f"{run.skipped} variants got no stock level: {without_sku} have no SKU, the others do not manage stock "
            "in the store. Set their level in printconnect, or turn on stock management in the store and run again.",
        )


def _unique_skus(variants: Iterable[StoreVariant]) -> set[str]:
    counts: dict[str, int] = {}
    for variant in variants:
        if variant.sku:
            counts[variant.sku] = counts.get(variant.sku, 0) + 1
    return {sku for sku, count in counts.items() if count == 1}


def _stock_export(*, feed: Feed, run: FeedRun, connector: Connector) -> None:
    """Outbound, production mode only: push each variant whose printconnect level differs from what the store last
    accepted. A level the store refuses is an Error naming the SKU; the other levels still go."""
    store = feed.store
    variants = list(store_variants_stock_to_export(store=store))
    for batch in _chunks(variants, STOCK_EXPORT_BATCH):
        levels = [
            StockLevel(
                sku=variant.sku,
                quantity=variant.stock_quantity,
                product_id=variant.product.external_id,
                variant_id=None if variant.is_product_itself else variant.external_id,
            )
            for variant in batch
        ]
        result = connector.push_stock(levels)
        pushed: dict[int, int] = {}
        for variant in batch:
            run.seen += 1
            reason = result.failures.get(variant.sku)
            if reason is None:
                pushed[variant.pk] = variant.stock_quantity
                continue
            run.failed += 1
            event_record(
                store=store, severity=Severity.ERROR, code="stock.export_failed",
                message=f"The store did not take stock level {variant.stock_quantity} of SKU "
                f"{variant.sku or '(none)'} ({variant.product.title}): {reason}",
                object_type="variant", object_id=variant.external_id, feed_run=run,
            )  # fmt: skip
        run.updated += store_variants_stock_exported(store=store, quantities=pushed)
        _resolve_stock_errors(store, [variant.external_id for variant in batch if variant.pk in pushed])
        _heartbeat(run)


def _resolve_stock_errors(store: Store, variant_ids: list[str]) -> None:
    """A level the store accepted now closes the Error its earlier refusal raised."""
    if variant_ids:
        IntegrationEvent.objects.filter(
            store=store, code="stock.export_failed", object_type="variant", object_id__in=variant_ids,
            resolved_at__isnull=True,
        ).update(resolved_at=timezone.now(), resolved_by=None)  # fmt: skip


# --- conversions ----------------------------------------------------------------------------------------------------


# An Address holds plain strings: copied as a flat dict, without dataclasses.asdict's recursive deep copy (which showed
# in the profile of a feed run importing new orders).
_ADDRESS_FIELDS = tuple(field.name for field in fields(Address))


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
        shipping_address={name: getattr(address, name) for name in _ADDRESS_FIELDS} if address else {},
        shipping_method=order.shipping_method_title or order.shipping_method_code,
        fulfilment_channel=str(order.fulfilment_channel),
        updated_at=order.updated_at,
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
                product_type=str(line.product_type),
            )
            for line in order.lines
        ),
    )
