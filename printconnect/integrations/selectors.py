"""Reads for the integration pages, scoped to what the user may see (staff: everything; client users: the stores
their role shows them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Max, QuerySet
from django.utils import timezone

from printconnect.core.models import User
from printconnect.integrations.models import (
    DeliveryAttempt,
    Feed,
    FeedRun,
    IntegrationEvent,
    OutboxDelivery,
    PostbackSubscription,
)
from printconnect.storefronts.models import Store
from printconnect.storefronts.selectors import stores_for_user


def feeds_for_store(*, store: Store) -> list[Feed]:
    """The store's feeds in the design's order, each with its latest run as `last_run` (two queries)."""
    feeds = list(Feed.objects.filter(store=store).select_related("interval", "crontab"))
    order = list(Feed.Kind.values)
    feeds.sort(key=lambda feed: order.index(feed.kind))
    latest_ids = FeedRun.objects.filter(feed__in=feeds).values("feed_id").annotate(last=Max("pk")).values("last")
    last_runs = {run.feed_id: run for run in FeedRun.objects.filter(pk__in=latest_ids)}
    for feed in feeds:
        feed.last_run = last_runs.get(feed.pk)
    return feeds


@dataclass(frozen=True)
class RunFilters:
    client_id: int | None = None
    store_id: int | None = None
    store_name: str = ""
    feed_kind: str = ""
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    feed_id: int | None = None


def feed_runs_list(*, user: User, filters: RunFilters) -> QuerySet[FeedRun]:
    qs = FeedRun.objects.select_related("feed", "feed__store", "feed__store__client")
    if not user.is_staff:
        qs = qs.filter(feed__store__in=stores_for_user(user=user))
    if filters.client_id:
        qs = qs.filter(feed__store__client_id=filters.client_id)
    if filters.store_id:
        qs = qs.filter(feed__store_id=filters.store_id)
    if filters.store_name:
        qs = qs.filter(feed__store__name__icontains=filters.store_name)
    if filters.feed_id:
        qs = qs.filter(feed_id=filters.feed_id)
    if filters.feed_kind:
        qs = qs.filter(feed__kind=filters.feed_kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    zone = timezone.get_current_timezone()
    if filters.date_from:
        qs = qs.filter(started_at__gte=datetime.combine(filters.date_from, time.min, tzinfo=zone))
    if filters.date_to:
        qs = qs.filter(started_at__lte=datetime.combine(filters.date_to, time.max, tzinfo=zone))
    return qs.order_by("-started_at", "-pk")


def events_for_user(
    *,
    user: User,
    severity: str = IntegrationEvent.Severity.ERROR,
    open_only: bool = True,
    store: Store | None = None,
    client_id: int | None = None,
) -> QuerySet[IntegrationEvent]:
    qs = IntegrationEvent.objects.select_related("store", "store__client", "feed_run", "feed_run__feed", "resolved_by")
    if not user.is_staff:
        qs = qs.filter(store__in=stores_for_user(user=user))
    if severity:
        qs = qs.filter(severity=severity)
    if open_only:
        qs = qs.filter(resolved_at__isnull=True)
    if store is not None:
        qs = qs.filter(store=store)
    if client_id:
        qs = qs.filter(store__client_id=client_id)
    return qs.order_by("-last_seen", "-pk")


def open_error_count(*, user: User) -> int:
    """The bell's number: unresolved Errors the user can see."""
    qs = IntegrationEvent.objects.filter(severity=IntegrationEvent.Severity.ERROR, resolved_at__isnull=True)
    if not user.is_staff:
        qs = qs.filter(store__in=stores_for_user(user=user).values("pk"))
    return qs.count()


# --- postbacks and outbound deliveries ------------------------------------------------------------------------------


def postback_subscriptions_for_client(*, client: Any) -> QuerySet[PostbackSubscription]:
    return PostbackSubscription.objects.filter(client=client).select_related("store").order_by("pk")


def outbox_deliveries_list(
    *, subscription: PostbackSubscription | None = None, store: Store | None = None, limit: int = 100
) -> list[OutboxDelivery]:
    """The latest deliveries of one subscription (or of one store's own updates), each with its attempts."""
    qs = OutboxDelivery.objects.select_related("event", "order")
    if subscription is not None:
        qs = qs.filter(subscription=subscription)
    if store is not None:
        qs = qs.filter(store=store, target=OutboxDelivery.Target.STORE)
    deliveries = list(qs.order_by("-pk")[:limit])
    attempts: dict[int, list[DeliveryAttempt]] = {}
    for attempt in DeliveryAttempt.objects.filter(delivery__in=deliveries).order_by("-at", "-pk"):
        attempts.setdefault(attempt.delivery_id, []).append(attempt)
    for delivery in deliveries:
        delivery.attempt_rows = attempts.get(delivery.pk, [])
    return deliveries
