"""The outbox dispatcher: order events (orders.OutboxEvent) delivered to postback subscriptions and to the store.

How nothing is lost and nothing is sent twice (DESIGN section 5, issue 5):

- The orders app writes an OutboxEvent in the same transaction as the change; that row is the truth. A rolled-back
  change has no row, so nothing is ever sent for it.
- Fan-out gives every event one OutboxDelivery per destination (unique on event + destination, so two dispatchers
  fanning out at once make one row). Every event gets a store row, skipped when the store must not hear of it, so
  "events without a store row" are exactly the events not fanned out yet. The sweep (beat, every 10 s) and the
  after-commit kick both fan out and send: a broker or worker that died after the commit only delays delivery.
- A dispatcher claims deliveries before sending (one UPDATE that only succeeds on unclaimed rows), so two workers
  never send the same delivery. A worker killed after sending but before recording the result leaves its claim to
  expire (OUTBOX_CLAIM_SECONDS); the delivery is then sent again with the same Idempotency-Key (the event id), which
  is how receivers drop that rare duplicate. "Redeliver" sends again on purpose, under the same key.
- Per order and destination, a delivery waits while an earlier one of that order is still open (pending or
  retrying), so a receiver sees an order's events in the order they happened. One that gave up no longer blocks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from printconnect.clients.models import Client
from printconnect.core.exceptions import ApplicationError
from printconnect.core.http import OutboundError, SafeSession, address_block_reason, safe_session_from_settings
from printconnect.integrations.connectors import registry
from printconnect.integrations.connectors.base import Capability, Connector
from printconnect.integrations.connectors.errors import (
    AuthRejectedError,
    ConnectorError,
    RateLimitedError,
    UnavailableError,
)
from printconnect.integrations.connectors.types import OrderStatus, ShipmentNotice
from printconnect.integrations.models import (
    DeliveryAttempt,
    IntegrationEvent,
    OutboxDelivery,
    OutboxFanout,
    PostbackSubscription,
)
from printconnect.integrations.services.events import event_record
from printconnect.orders.models import Order, OrderStatusChange, OutboxEvent
from printconnect.storefronts.models import Store

logger = logging.getLogger(__name__)

D = OutboxDelivery.Status
STORE_DESTINATION = "store"
EVENT_KINDS = tuple(kind for kind, _ in PostbackSubscription.EVENT_CHOICES)
SIGNATURE_HEADER = "X-Printconnect-Signature"
TIMESTAMP_HEADER = "X-Printconnect-Timestamp"
EVENT_ID_HEADER = "X-Printconnect-Event-Id"
EVENT_HEADER = "X-Printconnect-Event"
IDEMPOTENCY_HEADER = "Idempotency-Key"

# Our statuses the store has a status for; the others (received, in production, printed) change nothing there.
STORE_STATUS_FOR = {Order.Status.SHIPPED: OrderStatus.COMPLETED, Order.Status.CANCELLED: OrderStatus.CANCELLED}


# --- signing (the format receivers verify; documented in the README) ---------------------------------------------


def postback_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """hex HMAC-SHA256 of "<timestamp>.<body>" with the subscription's secret."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def postback_signature_header(*, secrets_: Sequence[str], timestamp: int, body: bytes) -> str:
    """`v1=<hex>` per secret, comma-separated: the current secret first, the previous one during a rotation."""
    return ",".join(f"v1={postback_signature(secret=s, timestamp=timestamp, body=body)}" for s in secrets_ if s)


def postback_verify(
    *, secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300, now: float | None = None
) -> bool:
    """What a receiver does (an example in Python): recompute the signature over the raw body and compare in constant
    time with each `v1=` value; refuse timestamps more than `tolerance` seconds away (replays)."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        timestamp = int(lower[TIMESTAMP_HEADER.lower()])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = postback_signature(secret=secret, timestamp=timestamp, body=body)
    given = [
        part.strip()[3:]
        for part in lower.get(SIGNATURE_HEADER.lower(), "").split(",")
        if part.strip().startswith("v1=")
    ]
    return any(hmac.compare_digest(expected, value) for value in given)


def postback_body(event: OutboxEvent) -> bytes:
    """The same bytes on every attempt of an event (the signature covers them with a fresh timestamp)."""
    order = event.order
    document = {
        "id": str(event.pk),
        "type": event.kind,
        "created_at": event.created_at.isoformat(),
        "source": event.source,
        "test": bool(order.is_test),
        "client_id": order.client_id,
        "store": {"id": order.store_id, "name": order.store.name},
        "data": event.payload,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True, default=str).encode()


def new_secret() -> str:
    return "pcsec_" + secrets.token_urlsafe(32)


# --- subscriptions ---------------------------------------------------------------------------------------------------


def postback_url_clean(url: str) -> str:
    """https only, except loopback http while developing or testing; never an address the outbound guard refuses."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise ApplicationError(
            "That is not a URL; enter e.g. https://erp.example.com/printconnect.", field="url"
        ) from None
    if parts.scheme not in ("http", "https") or not host:
        raise ApplicationError("Enter a full URL starting with https://.", field="url")
    if parts.username or parts.password:
        raise ApplicationError(
            "Leave user name and password out of the URL; postbacks are signed instead.", field="url"
        )
    allow_local = bool(settings.DEBUG or settings.OUTBOUND_ALLOW_PRIVATE)
    loopback = _is_loopback(host)
    if parts.scheme != "https" and not (loopback and allow_local):
        raise ApplicationError(
            "Postbacks go to https URLs only, so nobody can read or change them on the way.", field="url"
        )
    if loopback and not allow_local:
        raise ApplicationError(
            "Postbacks cannot go to this server itself (localhost); enter a public address.", field="url"
        )
    ip = _literal_ip(host)
    if ip is not None and not allow_local and (reason := address_block_reason(ip)):
        raise ApplicationError(f"Postbacks cannot go to {host}: {reason}. Enter a public address.", field="url")
    return url


def _literal_ip(host: str) -> Any:
    import ipaddress

    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _is_loopback(host: str) -> bool:
    ip = _literal_ip(host)
    return host in ("localhost", "localhost.localdomain") or (ip is not None and ip.is_loopback)


def _events_clean(events: Iterable[str]) -> list[str]:
    chosen = [kind for kind in EVENT_KINDS if kind in set(events)]
    if not chosen:
        raise ApplicationError("Choose at least one event to send.", field="events")
    return chosen


def _store_clean(client: Client, store: Store | None) -> Store | None:
    if store is not None and store.client_id != client.pk:
        raise ApplicationError("That store belongs to another client.", field="store")
    return store


def postback_subscription_create(
    *, client: Client, url: str, events: Iterable[str], store: Store | None = None, name: str = "", actor: Any = None
) -> tuple[PostbackSubscription, str]:
    """A new subscription and its secret, returned once: only its encrypted form is kept."""
    secret = new_secret()
    subscription = PostbackSubscription.objects.create(
        client=client,
        store=_store_clean(client, store),
        name=name.strip()[:100],
        url=postback_url_clean(url),
        events=_events_clean(events),
        secret=secret,
    )
    logger.info(
        "integrations.postback.created",
        extra={"subscription_id": subscription.pk, "actor_id": getattr(actor, "pk", None)},
    )
    return subscription, secret


@transaction.atomic
def postback_subscription_update(
    *,
    subscription: PostbackSubscription,
    url: str,
    events: Iterable[str],
    store: Store | None,
    name: str = "",
    active: bool = True,
    actor: Any = None,
) -> PostbackSubscription:
    url, chosen = postback_url_clean(url), _events_clean(events)
    subscription.store = _store_clean(subscription.client, store)
    subscription.url, subscription.events, subscription.name, subscription.active = (
        url,
        chosen,
        name.strip()[:100],
        active,
    )
    subscription.save(update_fields=["store", "url", "events", "name", "active", "updated_at"])
    return subscription


@transaction.atomic
def postback_subscription_rotate_secret(*, subscription: PostbackSubscription, actor: Any = None) -> str:
    """A new secret; the old one keeps signing too for POSTBACK_SECRET_GRACE_SECONDS, so the receiver can switch
    without losing a postback. Returns the new secret (shown once)."""
    locked = PostbackSubscription.objects.select_for_update().get(pk=subscription.pk)
    secret = new_secret()
    locked.previous_secret, locked.secret = locked.secret, secret
    locked.previous_secret_until = timezone.now() + timedelta(seconds=settings.POSTBACK_SECRET_GRACE_SECONDS)
    locked.save(update_fields=["secret", "previous_secret", "previous_secret_until", "updated_at"])
    subscription.secret, subscription.previous_secret = locked.secret, locked.previous_secret
    subscription.previous_secret_until = locked.previous_secret_until
    logger.info(
        "integrations.postback.rotated", extra={"subscription_id": locked.pk, "actor_id": getattr(actor, "pk", None)}
    )
    return secret


def postback_subscription_delete(*, subscription: PostbackSubscription, actor: Any = None) -> None:
    logger.info(
        "integrations.postback.deleted",
        extra={"subscription_id": subscription.pk, "actor_id": getattr(actor, "pk", None)},
    )
    subscription.delete()


def signing_secrets(subscription: PostbackSubscription, *, now: datetime | None = None) -> list[str]:
    now = now or timezone.now()
    keep_previous = (
        subscription.previous_secret and subscription.previous_secret_until and subscription.previous_secret_until > now
    )
    return [subscription.secret, subscription.previous_secret] if keep_previous else [subscription.secret]


# --- fan-out ---------------------------------------------------------------------------------------------------------


def _store_skip_reason(event: OutboxEvent, store: Store) -> str:
    """Why the store must not hear of this event, or "" when it should."""
    if not registry.has(store.platform):
        return "A manual store has no shop to update."
    capability = Capability.SHIPMENT_PUSH if event.kind == OutboxEvent.Kind.SHIPMENT_CREATED else Capability.STATUS_PUSH
    if capability not in registry.get(store.platform).capabilities:
        what = "shipments" if capability == Capability.SHIPMENT_PUSH else "status updates"
        return f"{store.get_platform_display()} cannot take {what} from us."
    if event.order.is_test:
        return "A test order never goes out to the store."
    if not store.is_live:
        return "The store is in test mode: outbound updates are recorded as skipped until it goes live."
    if event.source == OrderStatusChange.Source.STORE:
        return "The change came from the store itself."
    if event.kind == OutboxEvent.Kind.STATUS_CHANGED and event.payload.get("status") not in STORE_STATUS_FOR:
        status = dict(Order.Status.choices).get(event.payload.get("status"), event.payload.get("status"))
        return f"The store has no status for {str(status).lower()}; nothing to tell it."
    if event.kind == OutboxEvent.Kind.SHIPMENT_CREATED and not event.payload.get("carrier"):
        return "No carrier for this tracking number, so the tracking is not pushed (see the Error)."
    return ""


def _unfanned(start: int) -> Any:
    store_row = OutboxDelivery.objects.filter(event=OuterRef("pk"), destination=STORE_DESTINATION)
    return OutboxEvent.objects.filter(pk__gte=start).exclude(Exists(store_row)).order_by("pk")


def outbox_fanout(*, limit: int = 2000) -> int:
    """Give events that have none yet their deliveries; returns how many events were fanned out."""
    mark_row, _ = OutboxFanout.objects.get_or_create(pk=1)
    start = mark_row.done_below
    events = list(_unfanned(start).select_related("order", "order__store")[:limit])
    if events:
        clients = {event.order.client_id or event.order.store.client_id for event in events}
        subscriptions: dict[int, list[PostbackSubscription]] = {}
        for sub in PostbackSubscription.objects.filter(client_id__in=clients, active=True):
            subscriptions.setdefault(sub.client_id, []).append(sub)
        now = timezone.now()
        rows = []
        for event in events:
            order, store = event.order, event.order.store
            for sub in subscriptions.get(order.client_id or store.client_id, ()):
                if event.kind in sub.events and sub.store_id in (None, store.pk):
                    rows.append(_delivery(event, store, now, target=OutboxDelivery.Target.POSTBACK, subscription=sub))
            reason = _store_skip_reason(event, store)
            rows.append(_delivery(event, store, now, target=OutboxDelivery.Target.STORE, skipped=reason))
        OutboxDelivery.objects.bulk_create(rows, ignore_conflicts=True)  # another dispatcher may have done some
    _mark_advance(start, more=len(events) >= limit)
    return len(events)


def _delivery(
    event: OutboxEvent,
    store: Store,
    now: datetime,
    *,
    target: str,
    subscription: PostbackSubscription | None = None,
    skipped: str = "",
) -> OutboxDelivery:
    return OutboxDelivery(
        event=event, order_id=event.order_id, target=target, subscription=subscription, store=store,
        destination=subscription.destination if subscription else STORE_DESTINATION,
        status=D.SKIPPED if skipped else D.PENDING, note=skipped, next_attempt_at=now, created_at=now,
    )  # fmt: skip


def _mark_advance(start: int, *, more: bool) -> None:
    horizon = timezone.now() - timedelta(seconds=settings.OUTBOX_FANOUT_HORIZON_SECONDS)
    candidates = []
    if more:
        candidates += list(_unfanned(start).values_list("pk", flat=True)[:1])
    candidates += list(
        OutboxEvent.objects.filter(pk__gte=start, created_at__gt=horizon)
        .order_by("pk")
        .values_list("pk", flat=True)[:1]
    )
    if not candidates:
        last = OutboxEvent.objects.filter(pk__gte=start).order_by("-pk").values_list("pk", flat=True).first()
        candidates = [last + 1] if last is not None else []
    if candidates and min(candidates) > start:
        OutboxFanout.objects.filter(pk=1, done_below__lt=min(candidates)).update(done_below=min(candidates))


# --- claiming and sending --------------------------------------------------------------------------------------------


def _claim(*, limit: int, token: str, tried: set[int]) -> list[OutboxDelivery] | None:
    """The deliveries this dispatcher now owns; [] when others claimed them first, None when none is due.

    One statement picks and claims: UPDATE ... WHERE id IN (the due rows, FOR UPDATE SKIP LOCKED on PostgreSQL)
    RETURNING id, so two dispatchers running at once take disjoint rows instead of queueing on each other's locks.
    The UPDATE re-checks the claim too: of two dispatchers racing for a row only one changes it."""
    now = timezone.now()
    earlier_open = OutboxDelivery.objects.filter(
        order_id=OuterRef("order_id"),
        destination=OuterRef("destination"),
        pk__lt=OuterRef("pk"),
        status__in=OutboxDelivery.OPEN,
    )
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    due = OutboxDelivery.objects.filter(free, status__in=OutboxDelivery.OPEN, next_attempt_at__lte=now)
    if tried:  # each delivery at most once per dispatch run, so one that failed waits for its backoff
        due = due.exclude(pk__in=tried)
    due = due.exclude(Exists(earlier_open)).order_by("pk").values_list("pk", flat=True)
    until = now + timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)
    table, free_sql = OutboxDelivery._meta.db_table, "(claimed_until IS NULL OR claimed_until < %s)"
    open_sql = ", ".join(["%s"] * len(OutboxDelivery.OPEN))
    db_time = connection.ops.adapt_datetimefield_value
    with transaction.atomic(), connection.cursor() as cursor:
        locked = due.select_for_update(skip_locked=True) if connection.features.has_select_for_update else due
        due_sql, due_params = locked[:limit].query.sql_with_params()
        # Only the ORM's own SQL for `due` and the table name are formatted in; every value is a parameter.
        # MATERIALIZED: picked once. As a plain IN (subquery) PostgreSQL may run it again for each row it updates,
        # and each run skips the rows this statement already changed, so LIMIT would not bound the batch.
        cursor.execute(
            f"WITH picked AS MATERIALIZED ({due_sql}) "  # noqa: S608
            f"UPDATE {table} SET claim_token = %s, claimed_until = %s "
            f"WHERE id IN (SELECT pk FROM picked) AND {free_sql} AND status IN ({open_sql}) RETURNING id",
            [*due_params, token, db_time(until), db_time(now), *OutboxDelivery.OPEN],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        # Nothing claimed: none due at all, or others took every due row (skipped as locked, or won the race).
        return [] if due.exists() else None
    return list(
        OutboxDelivery.objects.filter(claim_token=token, pk__in=ids)
        .select_related("event", "event__order", "event__order__store", "subscription", "store")
        .order_by("pk")
    )


@dataclass
class _Outcome:
    delivery: OutboxDelivery
    status_code: int | None = None
    latency_ms: int = 0
    error: str = ""
    excerpt: str = ""
    ok: bool = False
    retry: bool = True  # a failure worth trying again (the receiver down, 5xx, timeouts)
    retry_after: float | None = None
    manual: bool = False


@dataclass
class DispatchResult:
    fanned_out: int = 0
    delivered: int = 0
    failed: int = 0
    gave_up: int = 0
    more: bool = False
    outcomes: list[_Outcome] = field(default_factory=list, repr=False)


class _Senders:
    """One HTTP session (kept-alive connections) and one connector per store for a dispatch run."""

    def __init__(self) -> None:
        self.session: SafeSession | None = None
        self.connectors: dict[int, Connector] = {}

    def http(self) -> SafeSession:
        if self.session is None:
            # No retries inside the session: a failed postback is retried by the outbox, with its own backoff.
            self.session = safe_session_from_settings(
                max_retries=0,
                connect_timeout=settings.POSTBACK_CONNECT_TIMEOUT,
                read_timeout=settings.POSTBACK_READ_TIMEOUT,
                max_redirects=0,
                user_agent="printconnect-postbacks/1.0",
            )
        return self.session

    def connector(self, store: Store) -> Connector:
        if store.pk not in self.connectors:
            from printconnect.integrations.services.feeds import connector_for_store

            self.connectors[store.pk] = connector_for_store(store)
        return self.connectors[store.pk]

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
        for connector in self.connectors.values():
            connector.session.close()


def _send_postback(delivery: OutboxDelivery, senders: _Senders) -> _Outcome:
    outcome = _Outcome(delivery)
    subscription = delivery.subscription
    body = postback_body(delivery.event)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        EVENT_HEADER: delivery.event.kind,
        EVENT_ID_HEADER: str(delivery.event_id),
        IDEMPOTENCY_HEADER: str(delivery.event_id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: postback_signature_header(
            secrets_=signing_secrets(subscription), timestamp=timestamp, body=body
        ),
        "X-Printconnect-Attempt": str(delivery.attempts + 1),
    }
    started = time.monotonic()
    try:
        response = senders.http().post(subscription.url, data=body, headers=headers, allow_redirects=False)
    except OutboundError as exc:
        outcome.error = str(exc)[:1000]
    else:
        outcome.status_code = response.status_code
        outcome.excerpt = response.text[:500] if response.content else ""
        outcome.ok = 200 <= response.status_code < 300
        if not outcome.ok:
            outcome.error = f"The receiver answered {response.status_code}; a postback counts as delivered on 2xx only."
        response.close()
    outcome.latency_ms = round((time.monotonic() - started) * 1000)
    return outcome


def _send_store(delivery: OutboxDelivery, senders: _Senders) -> _Outcome:
    outcome = _Outcome(delivery)
    event, store = delivery.event, delivery.store
    started = time.monotonic()
    try:
        connector = senders.connector(store)
        if event.kind == OutboxEvent.Kind.SHIPMENT_CREATED:
            data = event.payload
            result = connector.push_shipment(
                ShipmentNotice(
                    external_order_id=event.order.external_id,
                    tracking_number=data["tracking_number"],
                    carrier_name=(data.get("carrier") or {}).get("name", ""),
                    tracking_url=data.get("tracking_url", ""),
                    shipped_at=datetime.fromisoformat(data["shipped_at"]),
                    line_quantities={item["external_id"]: item["quantity"] for item in data.get("items", [])},
                )
            )
        else:
            status = STORE_STATUS_FOR[event.payload["status"]]
            result = connector.push_status(event.order.external_id, status, note=event.payload.get("note", ""))
        outcome.ok, outcome.excerpt = result.ok, result.message[:500]
        if not result.ok:
            outcome.error, outcome.retry = result.message or "The store refused the update.", False
    except (RateLimitedError, UnavailableError) as exc:
        outcome.error, outcome.retry_after = exc.message, getattr(exc, "retry_after", None)
    except AuthRejectedError as exc:  # fixed by new credentials; keep retrying until then
        outcome.error = exc.message
        event_record(
            store=store, severity=IntegrationEvent.Severity.ERROR, code="outbox.store_auth", message=exc.message,
            object_type="store", object_id=str(store.pk),
        )  # fmt: skip
    except (ConnectorError, ValueError, KeyError) as exc:
        outcome.error, outcome.retry = (getattr(exc, "message", "") or str(exc))[:1000], False
    outcome.latency_ms = round((time.monotonic() - started) * 1000)
    return outcome


def _send(delivery: OutboxDelivery, senders: _Senders) -> _Outcome:
    if delivery.target == OutboxDelivery.Target.POSTBACK:
        return _send_postback(delivery, senders)
    return _send_store(delivery, senders)


def _backoff(attempts: int) -> float:
    return min(settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.OUTBOX_RETRY_MAX_SECONDS)


_RECORDED_FIELDS = (
    "attempts",
    "claim_token",
    "claimed_until",
    "status",
    "delivered_at",
    "last_error",
    "next_attempt_at",
)


def _record(outcomes: Sequence[_Outcome], *, token: str) -> None:
    """All results of a batch in one transaction (one commit per batch, not per postback)."""
    now = timezone.now()
    give_up_before = now - timedelta(seconds=settings.OUTBOX_GIVE_UP_AFTER_SECONDS)
    gave_up: list[OutboxDelivery] = []
    with transaction.atomic():
        DeliveryAttempt.objects.bulk_create(
            [
                DeliveryAttempt(
                    delivery=o.delivery,
                    at=now,
                    status_code=o.status_code,
                    latency_ms=o.latency_ms,
                    error=o.error,
                    response_excerpt=o.excerpt,
                    manual=o.manual,
                )
                for o in outcomes
            ]
        )
        delivered: list[int] = []
        for o in outcomes:
            d = o.delivery
            d.attempts += 1
            d.claim_token, d.claimed_until = "", None
            if o.ok:
                d.status, d.delivered_at, d.last_error = D.DELIVERED, now, ""
                delivered.append(d.pk)
                continue
            if o.retry and d.event.created_at > give_up_before:
                wait = max(_backoff(d.attempts), o.retry_after or 0)
                d.status, d.next_attempt_at, d.last_error = D.RETRYING, now + timedelta(seconds=wait), o.error
            else:
                d.status, d.last_error = D.GAVE_UP, o.error
                gave_up.append(d)
            # Only while the claim is ours; a claim that expired meanwhile belongs to another dispatcher now.
            OutboxDelivery.objects.filter(pk=d.pk, claim_token=token).update(
                **{name: getattr(d, name) for name in _RECORDED_FIELDS}
            )
        if delivered:  # the usual case: the whole batch delivered, one UPDATE (same claim check)
            OutboxDelivery.objects.filter(pk__in=delivered, claim_token=token).update(
                attempts=F("attempts") + 1, claim_token="", claimed_until=None, status=D.DELIVERED, delivered_at=now,
                last_error="",
            )  # fmt: skip
        for d in gave_up:
            _gave_up_event(d)


def _gave_up_event(delivery: OutboxDelivery) -> None:
    order = delivery.event.order
    if delivery.target == OutboxDelivery.Target.POSTBACK:
        where = f"the postback to {delivery.subscription.url}"
        fix = "Check that the receiver is up and answers 2xx, then use Redeliver in the postback's delivery log."
    else:
        where = f"the update of {delivery.store}"
        fix = "Fix the cause (credentials, the order in the store), then use Redeliver on the store's deliveries."
    event_record(
        store=delivery.store, severity=IntegrationEvent.Severity.ERROR, code=f"outbox.gave_up.{delivery.target}",
        message=(
            f"Order {order.number}: {delivery.event.get_kind_display().lower()} could not be delivered to {where} "
            f"after {delivery.attempts} attempts ({delivery.last_error[:200]}). {fix}"
        ),
        object_type="order", object_id=order.number,
    )  # fmt: skip


def outbox_dispatch(*, budget_seconds: float | None = None, batch: int | None = None) -> DispatchResult:
    """Fan out new events, then claim and send due deliveries until none is due or the time budget is spent."""
    budget = settings.OUTBOX_DISPATCH_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    batch = batch or settings.OUTBOX_BATCH
    deadline = time.monotonic() + budget
    result = DispatchResult()
    senders = _Senders()
    token = uuid.uuid4().hex
    tried: set[int] = set()
    try:
        result.fanned_out += outbox_fanout()
        last_fanout = time.monotonic()
        while True:
            if time.monotonic() - last_fanout > 1.0:
                result.fanned_out += outbox_fanout()
                last_fanout = time.monotonic()
            claimed = _claim(limit=batch, token=token, tried=tried)
            if claimed == []:
                continue  # another dispatcher took these first; there may be more
            if claimed is None:
                fanned = outbox_fanout()
                result.fanned_out += fanned
                last_fanout = time.monotonic()
                if fanned:
                    continue
                break
            outcomes = [_send(delivery, senders) for delivery in claimed]
            _record(outcomes, token=token)
            tried.update(o.delivery.pk for o in outcomes if o.delivery.status != D.DELIVERED)
            for o in outcomes:
                status = o.delivery.status
                result.delivered += status == D.DELIVERED
                result.failed += status == D.RETRYING
                result.gave_up += status == D.GAVE_UP
            if time.monotonic() > deadline:
                result.more = True
                break
    finally:
        senders.close()
    return result


# --- by hand ---------------------------------------------------------------------------------------------------------


def outbox_delivery_redeliver(*, delivery: OutboxDelivery, actor: Any = None) -> OutboxDelivery:
    """Send the delivery again now, whatever its state (a person's explicit choice; same Idempotency-Key)."""
    if delivery.status == D.SKIPPED:
        raise ApplicationError(f"This delivery was skipped ({delivery.note}) and cannot be sent.")
    if delivery.target == OutboxDelivery.Target.POSTBACK and not delivery.subscription.active:
        raise ApplicationError("The postback is switched off; switch it on before redelivering.")
    token = uuid.uuid4().hex
    now = timezone.now()
    taken = OutboxDelivery.objects.filter(pk=delivery.pk).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )
    if not taken.update(claim_token=token, claimed_until=now + timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)):
        raise ApplicationError("This delivery is being sent right now; look at its log again in a moment.")
    fresh = OutboxDelivery.objects.select_related(
        "event", "event__order", "event__order__store", "subscription", "store"
    ).get(pk=delivery.pk)
    senders = _Senders()
    try:
        outcome = _send(fresh, senders)
    finally:
        senders.close()
    outcome.manual = True
    _record([outcome], token=token)
    logger.info(
        "integrations.outbox.redelivered",
        extra={"delivery_id": fresh.pk, "actor_id": getattr(actor, "pk", None), "ok": outcome.ok},
    )
    fresh.refresh_from_db()
    return fresh


# --- the after-commit kick -------------------------------------------------------------------------------------------

_kick_lock = threading.Lock()
_last_kick = 0.0


def outbox_kick() -> None:
    """After a commit that wrote an outbox row: make sure a dispatch runs soon (at most one queued per
    OUTBOX_KICK_EVERY_SECONDS per process; the task sends everything committed by then). A broker that is down
    loses nothing: the beat sweep finds the rows."""
    global _last_kick
    from printconnect.integrations.tasks import outbox_dispatch_task

    every = settings.OUTBOX_KICK_EVERY_SECONDS
    with _kick_lock:
        now = time.monotonic()
        if every and now - _last_kick < every:
            return
        _last_kick = now
    try:
        outbox_dispatch_task.apply_async(countdown=every or None)
    except KombuOperationalError:
        logger.exception("integrations.outbox.kick_failed")
