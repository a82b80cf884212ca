"""Inbound webhooks: find the store, verify, store each delivery once, then process it in a task.

A webhook is only a hint that something changed: order topics fetch the order fresh from the store and pass it
through the same rules as the import feed, so the result is the same whether an order arrives by webhook, by a
poll, or both.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from printconnect.integrations.connectors import registry
from printconnect.integrations.connectors.base import Capability, Connector
from printconnect.integrations.connectors.errors import (
    ConnectorError,
    MappingError,
    RecordNotFoundError,
    Severity,
    UnsupportedTopicError,
)
from printconnect.integrations.connectors.types import EventKind, WebhookEvent
from printconnect.integrations.connectors.woocommerce import constants as woocommerce
from printconnect.integrations.models import Feed, FeedRun, IntegrationEvent, WebhookDelivery
from printconnect.integrations.services.events import event_record
from printconnect.integrations.services.feeds import connector_for_store, order_import_one
from printconnect.integrations.tasks import feed_run_task, webhook_deliveries_queue_task, webhook_delivery_process_task
from printconnect.orders.models import Order
from printconnect.storefronts.models import Store

logger = logging.getLogger(__name__)

WEBHOOK_TOKEN_MAX_LENGTH = 64  # Store.webhook_token
PRODUCTS_RUN_DELAY = 60  # seconds a webhook-triggered Update products run waits for the rest of a bulk edit


@dataclass(frozen=True)
class _PlatformHeaders:
    signature: str
    delivery: str
    topic: str
    prefixes: tuple[str, ...]  # lower-case name prefixes of the platform's own headers


_PLATFORM_HEADERS: dict[str, _PlatformHeaders] = {
    "woocommerce": _PlatformHeaders(
        signature=woocommerce.SIGNATURE_HEADER,
        delivery=woocommerce.DELIVERY_HEADER,
        topic=woocommerce.TOPIC_HEADER,
        prefixes=("x-wc-webhook-",),
    ),
}
_ALWAYS_KEPT = frozenset({"content-type", "user-agent"})
# Never stored, whatever the platform calls them: signatures, credentials, cookies.
_NEVER_KEPT = ("signature", "hmac", "authorization", "cookie", "secret", "token", "password", "api-key")
_MAX_HEADER_VALUE = 500


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == lowered), None)
    return value


# --- receiving -------------------------------------------------------------------------------------------------------


# Every delivery names its store by URL, and one bulk edit in a shop sends hundreds a second: each web process keeps
# the store and its verifier for a while instead of reading them for every request. A signature that fails against
# an entry older than _RECHECK_AFTER is checked once more against a fresh read, so a rotated secret is picked up
# within seconds in every process (at once in the one that saved it), and a forged flood costs one query in that
# interval, not one a request.
_KNOWN_FOR = 60.0
_RECHECK_AFTER = 5.0
_KNOWN_MAX = 4096


@dataclass(frozen=True)
class _Known:
    store: Store
    connector: Connector | None
    read_at: float


_known: dict[tuple[str, str], _Known] = {}


def _read_store(platform: str, token: str) -> _Known | None:
    try:  # get(), not first(): no ORDER BY, so no join to the client for Store's default ordering
        store = Store.objects.get(webhook_token=token, platform=platform)
    except Store.DoesNotExist:
        _known.pop((platform, token), None)
        return None
    try:
        connector: Connector | None = connector_for_store(store)
    except (LookupError, ValueError):  # credentials that cannot be read: nothing will verify
        connector = None
    if len(_known) >= _KNOWN_MAX:
        _known.clear()
    entry = _known[(platform, token)] = _Known(store, connector, time.monotonic())
    return entry


@receiver([post_save, post_delete], sender=Store)
def _forget_store(sender: type[Store], instance: Store, **kwargs: object) -> None:
    for key in [key for key, entry in _known.items() if entry.store.pk == instance.pk]:
        _known.pop(key, None)


def webhook_store_for(*, platform: str, token: str) -> Store | None:
    """The store a webhook URL names, or None (the endpoint answers 404 without saying which part was wrong)."""
    if not token or len(token) > WEBHOOK_TOKEN_MAX_LENGTH or not registry.has(platform):
        return None
    if Capability.ORDERS_WEBHOOK not in registry.get(platform).capabilities:
        return None
    entry = _known.get((platform, token))
    if entry is None or time.monotonic() - entry.read_at > _KNOWN_FOR:
        entry = _read_store(platform, token)
    return entry.store if entry is not None else None


def webhook_verify(*, store: Store, headers: Mapping[str, str], body: bytes) -> bool:
    """The connector's signature check on the raw body, before anything is parsed. Never raises for bad input."""
    key = (store.platform, store.webhook_token)
    entry = _known.get(key)
    if entry is None or entry.store.pk != store.pk:
        entry = _read_store(*key)
    if entry is not None and entry.connector is not None and entry.connector.verify_webhook(headers, body):
        return True
    if entry is None or time.monotonic() - entry.read_at < _RECHECK_AFTER:
        return False
    fresh = _read_store(*key)  # the secret may have changed since the entry was read
    return bool(fresh and fresh.connector and fresh.connector.verify_webhook(headers, body))


def webhook_delivery_id(*, store: Store, headers: Mapping[str, str], body: bytes) -> str:
    """The key a delivery is stored once under.

    WooCommerce's delivery id is wp_hash(webhook id . current second), so two different deliveries of one webhook
    in the same second (a bulk edit, Action Scheduler sending a batch) share it; the body's digest tells them apart
    while a true re-delivery (same id, same body) keeps its key. Unsigned deliveries (the ping) are keyed by the body
    alone, so an unsigned request can never claim the id of a real delivery still to come. The only unsigned
    delivery that passes verification is the ping, kept once per store: a ping carries nothing to act on, and
    anyone holding the store's URL could otherwise store one row per made-up webhook id.
    """
    names = _PLATFORM_HEADERS.get(store.platform)
    signed = names is not None and _header(headers, names.signature) is not None
    if not signed:
        return "ping"
    body_digest = hashlib.sha256(body).hexdigest()
    given = (_header(headers, names.delivery) or "").strip()
    if not given:
        return f"sha256:{body_digest}"
    if len(given) > 64 or not given.isascii() or not given.isprintable():
        given = hashlib.sha256(given.encode("utf-8", "replace")).hexdigest()[:32]
    return f"{given}:{body_digest[:32]}"


def _kept_headers(platform: str, headers: Mapping[str, str]) -> dict[str, str]:
    names = _PLATFORM_HEADERS.get(platform)
    prefixes = names.prefixes if names is not None else ()
    kept: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            continue
        lowered = name.lower()
        if not (lowered in _ALWAYS_KEPT or lowered.startswith(prefixes)):
            continue  # most headers stop here, before the slower checks
        if any(word in lowered for word in _NEVER_KEPT):
            continue
        kept[name] = value[:_MAX_HEADER_VALUE]
    return kept


def webhook_delivery_record(*, store: Store, headers: Mapping[str, str], body: bytes) -> tuple[WebhookDelivery, bool]:
    """Store a verified delivery once per (store, delivery id). Returns (delivery, created); a delivery seen
    before returns the existing row and False, so the caller queues nothing."""
    delivery_id = webhook_delivery_id(store=store, headers=headers, body=body)
    names = _PLATFORM_HEADERS.get(store.platform)
    signed = names is not None and _header(headers, names.signature) is not None
    topic = (_header(headers, names.topic) or "").strip()[:100] if names is not None and signed else ""
    # Text columns hold no NUL (PostgreSQL); a body that is not UTF-8 cannot be a JSON webhook anyway.
    text = body.decode("utf-8", "replace").replace("\x00", "\ufffd")
    delivery = WebhookDelivery(
        store=store,
        platform=store.platform,
        delivery_id=delivery_id,
        topic=topic,
        received_at=timezone.now(),
        headers=_kept_headers(store.platform, headers),
        body=text,
    )
    if not _insert_once(delivery):
        return WebhookDelivery.objects.get(store=store, delivery_id=delivery_id), False
    return delivery, True


_INSERT_FIELDS = [f for f in WebhookDelivery._meta.concrete_fields if not f.primary_key]
# Only these need the database's own form of their value (aware datetimes, JSON); the rest go as they are.
_ADAPTED_FIELDS = frozenset(f.attname for f in _INSERT_FIELDS if isinstance(f, models.DateTimeField | models.JSONField))


def _insert_once(delivery: WebhookDelivery) -> bool:
    """One INSERT, the only write of a delivery; False when (store, delivery id) is taken.

    Written as SQL because this is the endpoint's hot path: the ORM's INSERT compiler cost more than the INSERT
    itself. ON CONFLICT DO NOTHING answers a duplicate without an exception or a savepoint.
    """
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in _INSERT_FIELDS)
    values = [
        field.get_db_prep_save(value, connection) if field.attname in _ADAPTED_FIELDS else value
        for field in _INSERT_FIELDS
        for value in (getattr(delivery, field.attname),)
    ]
    table, placeholders = quote(WebhookDelivery._meta.db_table), ", ".join(["%s"] * len(values))
    key, pk = f"{quote('store_id')}, {quote('delivery_id')}", quote("id")
    # Names come from the model's metadata; every value is a bound parameter.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT ({key}) DO NOTHING RETURNING {pk}"  # noqa: S608
    if connection.vendor == "postgresql" and not connection.in_atomic_block:  # never a caller's whole transaction
        # A delivery is only a hint (the import feed polls anyway), so the few a database crash could lose in the
        # instant after answering cost nothing; waiting for the WAL flush would cut the throughput by two thirds.
        # set_config(..., true) in RETURNING makes that so for this one statement's own transaction, without a
        # BEGIN/SET LOCAL/COMMIT round trip each.
        sql += ", set_config('synchronous_commit', 'off', true)"
    # A lone statement in autocommit: on SQLite the write lock is held for the INSERT alone (not from a BEGIN
    # IMMEDIATE on), so web processes storing deliveries at once rarely wait for each other.
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    delivery.pk = row[0]
    delivery._state.adding = False
    return True


# --- queueing ---------------------------------------------------------------------------------------------------------

QUEUE_BATCH = 500
_last_kick = 0.0  # per web process (time.monotonic)


def webhook_deliveries_kick() -> None:
    """After storing a delivery: make sure a queueing task runs soon, publishing at most one a second per web
    process. Publishing one task per delivery from the request halved the endpoint's throughput; now the task
    publishes the processing tasks of every delivery stored meanwhile, one second later, from a worker."""
    global _last_kick
    every = settings.WEBHOOK_QUEUE_EVERY_SECONDS
    now = time.monotonic()
    if every and now - _last_kick < every:
        return  # a queueing task is already due within `every` seconds and will see this delivery
    _last_kick = now
    try:
        webhook_deliveries_queue_task.apply_async(countdown=every or None)
    except KombuOperationalError:
        # The broker is down: the delivery is stored (pending) and the store got its 200; the beat sweep queues
        # it once the broker is back. Answering 500 would not help: WooCommerce never retries.
        logger.exception("integrations.webhook.queue_failed")


def webhook_deliveries_queue() -> int:
    """Queue a processing task for every stored delivery not queued yet; returns how many it queued."""
    queued = 0
    skip_locked = transaction.get_connection().features.has_select_for_update_skip_locked
    while True:
        now = timezone.now()
        with transaction.atomic():
            batch = list(
                WebhookDelivery.objects.select_for_update(skip_locked=skip_locked)
                .filter(queued_at__isnull=True, received_at__lte=now)
                .order_by("received_at", "pk")
                .values_list("pk", flat=True)[:QUEUE_BATCH]
            )
            if not batch:
                return queued
            # `now` marks this batch as ours: a concurrent queuer (SQLite has no row locks) claims only the rest.
            WebhookDelivery.objects.filter(pk__in=batch, queued_at__isnull=True).update(queued_at=now)
            mine = list(WebhookDelivery.objects.filter(pk__in=batch, queued_at=now).values_list("pk", flat=True))
            transaction.on_commit(lambda ids=mine: [webhook_delivery_process_task.delay(pk) for pk in ids])
        queued += len(mine)


# --- processing ------------------------------------------------------------------------------------------------------

_DONE = (WebhookDelivery.Status.PROCESSED, WebhookDelivery.Status.IGNORED)


def webhook_delivery_process(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Act on one stored delivery. Retry-kind ConnectorErrors (429, 5xx, timeouts) propagate so the task retries;
    every other outcome is recorded on the delivery (status, attempts, processed_at, a one-line outcome)."""
    delivery = WebhookDelivery.objects.select_related("store", "store__client").get(pk=delivery.pk)
    if delivery.status in _DONE:
        return delivery  # a redelivered task: the work is done
    delivery.attempts += 1
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=delivery.attempts)
    store = delivery.store
    try:
        connector = connector_for_store(store)
        event = connector.parse_webhook(delivery.headers, delivery.body.encode("utf-8"))
        if event.is_ping:
            webhook_id = event.payload.get("webhook_id", "")
            return _finish(
                delivery,
                WebhookDelivery.Status.IGNORED,
                f"Ping for webhook {webhook_id}: the webhook is saved and reaches printconnect; nothing to import.",
                topic=event.topic,
            )
        delivery.topic, delivery.external_id = event.topic, (event.external_id or "")[:64]
        kind = connector.webhook_topics.get(event.topic)
        if kind == EventKind.ORDER_CHANGED:
            return _order_changed(delivery, connector, event)
        if kind == EventKind.ORDER_DELETED:
            return _order_deleted(delivery, connector, event)
        if kind in (EventKind.PRODUCT_CHANGED, EventKind.PRODUCT_DELETED):
            return _product_changed(delivery, event)
        raise UnsupportedTopicError(f"Topic {event.topic!r} is not used by printconnect; nothing to do.")
    except UnsupportedTopicError as exc:
        event_record(
            store=store, severity=Severity.INFO, code="webhook.unsupported_topic", message=exc.message,
            object_type="webhook", object_id=delivery.topic,
        )  # fmt: skip
        return _finish(delivery, WebhookDelivery.Status.IGNORED, exc.message)
    except MappingError as exc:
        message = f"Webhook delivery {delivery.pk} from the store could not be read: {exc.message}"
        event_record(
            store=store, severity=Severity.ERROR, code="webhook.unreadable", message=message,
            object_type="webhook", object_id=str(delivery.pk),
        )  # fmt: skip
        return _finish(delivery, WebhookDelivery.Status.FAILED, message)
    except ConnectorError as exc:
        if exc.severity == Severity.RETRY:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(outcome=f"Attempt {delivery.attempts}: {exc.message}")
            raise
        _record_failure(delivery, exc.message, code=f"webhook.{type(exc).__name__}")
        return _finish(delivery, WebhookDelivery.Status.FAILED, exc.message)
    except Exception as exc:
        line = f"Unexpected failure: {type(exc).__name__}; see the worker log."
        _record_failure(delivery, line, code="webhook.unexpected")
        _finish(delivery, WebhookDelivery.Status.FAILED, line)
        raise


def webhook_delivery_fail(*, delivery: WebhookDelivery, reason: str) -> WebhookDelivery:
    """The last retry failed too: the delivery is failed, with an Error event saying what happens next."""
    delivery = WebhookDelivery.objects.select_related("store").get(pk=delivery.pk)
    if delivery.status in _DONE:
        return delivery
    message = (
        f"Webhook delivery {delivery.pk} ({delivery.topic or 'webhook'} {delivery.external_id}) failed after "
        f"{delivery.attempts} attempts: {reason} The next scheduled import picks the order up; run the feed now "
        "if it cannot wait."
    )
    _record_failure(delivery, message, code="webhook.gave_up")
    return _finish(delivery, WebhookDelivery.Status.FAILED, message)


def _record_failure(delivery: WebhookDelivery, message: str, *, code: str) -> IntegrationEvent:
    return event_record(
        store=delivery.store, severity=Severity.ERROR, code=code, message=message,
        object_type="order" if delivery.topic.startswith("order.") else "webhook",
        object_id=delivery.external_id or str(delivery.pk),
    )  # fmt: skip


def _finish(delivery: WebhookDelivery, status: str, outcome: str, *, topic: str | None = None) -> WebhookDelivery:
    delivery.status = status
    delivery.processed_at = timezone.now()
    delivery.outcome = outcome.splitlines()[0][:1000] if outcome else ""
    if topic is not None:
        delivery.topic = topic
    delivery.save(update_fields=["status", "processed_at", "outcome", "topic", "external_id", "attempts"])
    return delivery


def _order_changed(delivery: WebhookDelivery, connector: Connector, event: WebhookEvent) -> WebhookDelivery:
    try:
        order = connector.fetch_order(event.external_id or "")
    except RecordNotFoundError:
        return _order_gone(delivery, event)
    outcome = order_import_one(store=delivery.store, order=order)
    lines = {
        "created": f"Order {order.number} imported.",
        "updated": f"Order {order.number} was here already; its status was synced.",
        "unchanged": f"Order {order.number} was here already and is unchanged.",
        "skipped": f"Order {order.number} was not imported; see the store's events for why.",
    }
    return _finish(delivery, WebhookDelivery.Status.PROCESSED, lines.get(outcome, f"Order {order.number}: {outcome}."))


def _order_deleted(delivery: WebhookDelivery, connector: Connector, event: WebhookEvent) -> WebhookDelivery:
    """WooCommerce sends order.deleted on trash and on deletion. Ask the store: a trashed order still answers."""
    try:
        order = connector.fetch_order(event.external_id or "")
    except RecordNotFoundError:
        return _order_gone(delivery, event)
    if not Order.objects.filter(store=delivery.store, external_id=order.id).exists():
        return _finish(
            delivery,
            WebhookDelivery.Status.IGNORED,
            f"Order {order.number} was deleted in the store before it was imported here; nothing to do.",
        )
    order_import_one(store=delivery.store, order=order)
    return _finish(
        delivery,
        WebhookDelivery.Status.PROCESSED,
        f"Order {order.number} is still in the store ({order.status}); its status was synced.",
    )


def _order_gone(delivery: WebhookDelivery, event: WebhookEvent) -> WebhookDelivery:
    external_id = event.external_id or ""
    order = Order.objects.filter(store=delivery.store, external_id=external_id).first()
    if order is None:
        return _finish(
            delivery,
            WebhookDelivery.Status.IGNORED,
            f"Order {external_id} is not in the store any more and was never imported here; nothing to do.",
        )
    message = (
        f"Order {order.number} was deleted in the store {delivery.store.name}. printconnect keeps it: cancel it "
        "here if it must not be produced, or restore it in the store; then mark this resolved."
    )
    event_record(
        store=delivery.store, severity=Severity.ERROR, code="order.deleted_in_store", message=message,
        object_type="order", object_id=external_id,
    )  # fmt: skip
    return _finish(delivery, WebhookDelivery.Status.PROCESSED, message)


def _product_changed(delivery: WebhookDelivery, event: WebhookEvent) -> WebhookDelivery:
    feed = Feed.objects.filter(store=delivery.store, kind=Feed.Kind.PRODUCTS_UPDATE).first()
    what = f"Product {event.external_id} changed in the store"
    if feed is None:
        return _finish(
            delivery,
            WebhookDelivery.Status.IGNORED,
            f"{what}, but this store has no Update products feed; nothing queued.",
        )
    if not feed.enabled:
        return _finish(
            delivery,
            WebhookDelivery.Status.IGNORED,
            f"{what}, but its Update products feed is switched off; nothing queued. Switch it on to follow changes.",
        )
    # One bulk edit in the shop sends a webhook per product, and the run reads every product: the first webhook
    # queues a run a little later, and those arriving before it starts ride along with it.
    try:
        first = cache.add(f"webhook-products-run:{feed.pk}", 1, PRODUCTS_RUN_DELAY)
    except Exception:  # a cache that is down must not lose the change: queue a run anyway
        logger.warning("integrations.webhook.cache_unavailable", exc_info=True)
        first = True
    if not first:
        return _finish(
            delivery,
            WebhookDelivery.Status.PROCESSED,
            f"{what}: the Update products run queued by an earlier webhook will include it.",
        )
    transaction.on_commit(
        lambda: feed_run_task.apply_async((feed.pk, FeedRun.Trigger.WEBHOOK), countdown=PRODUCTS_RUN_DELAY)
    )
    return _finish(
        delivery,
        WebhookDelivery.Status.PROCESSED,
        f"{what}: a run of the Update products feed is queued, starting in {PRODUCTS_RUN_DELAY} s.",
    )
