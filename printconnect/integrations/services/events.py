"""Integration events: Info / Retry / Error, one open row per recurring problem."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from printconnect.core.models import User
from printconnect.integrations.models import FeedRun, IntegrationEvent
from printconnect.storefronts.models import Store

logger = logging.getLogger(__name__)


def event_fingerprint(*, store: Store, code: str, object_type: str, object_id: str) -> str:
    """What makes two events the same problem: the store, the code and the object."""
    return hashlib.sha256(f"{store.pk}|{code}|{object_type}|{object_id}".encode()).hexdigest()


@dataclass(frozen=True)
class EventData:
    code: str
    message: str
    object_type: str = ""
    object_id: str = ""


def events_record_many(*, store: Store, severity: str, events: Sequence[EventData]) -> int:
    """event_record for many problems of one store at once (e.g. every cause holding a feed page's orders), in three
    queries whatever their number: the open ones get their new message, count and last_seen in one UPDATE, the
    others are created together. Returns how many were new."""
    by_fingerprint = {
        event_fingerprint(store=store, code=e.code, object_type=e.object_type, object_id=e.object_id): e for e in events
    }
    if not by_fingerprint:
        return 0
    now = timezone.now()
    open_ones = set(
        IntegrationEvent.objects.filter(fingerprint__in=list(by_fingerprint), resolved_at__isnull=True).values_list(
            "fingerprint", flat=True
        )
    )
    if open_ones:
        IntegrationEvent.objects.filter(fingerprint__in=list(open_ones), resolved_at__isnull=True).update(
            count=F("count") + 1,
            last_seen=now,
            severity=severity,
            message=Case(*(When(fingerprint=fp, then=Value(by_fingerprint[fp].message)) for fp in open_ones)),
        )
    new = [
        IntegrationEvent(
            store=store,
            severity=severity,
            code=e.code,
            message=e.message,
            object_type=e.object_type,
            object_id=e.object_id,
            fingerprint=fp,
            first_seen=now,
            last_seen=now,
        )
        for fp, e in by_fingerprint.items()
        if fp not in open_ones
    ]
    if new:
        # A concurrent intake may have opened one a moment ago: its row stands (the next page updates its count).
        IntegrationEvent.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def event_record(
    *,
    store: Store,
    severity: str,
    code: str,
    message: str,
    object_type: str = "",
    object_id: str = "",
    feed_run: FeedRun | None = None,
) -> IntegrationEvent:
    """Record a problem once: the same open problem again raises its count and last_seen instead of a new row."""
    fingerprint = event_fingerprint(store=store, code=code, object_type=object_type, object_id=object_id)
    now = timezone.now()
    updated = IntegrationEvent.objects.filter(fingerprint=fingerprint, resolved_at__isnull=True).update(
        count=F("count") + 1, last_seen=now, message=message, severity=severity, feed_run=feed_run
    )
    if not updated:
        try:
            with transaction.atomic():
                return IntegrationEvent.objects.create(
                    store=store,
                    feed_run=feed_run,
                    severity=severity,
                    code=code,
                    message=message,
                    object_type=object_type,
                    object_id=object_id,
                    fingerprint=fingerprint,
                    first_seen=now,
                    last_seen=now,
                )
        except IntegrityError:  # recorded by a concurrent run a moment ago
            return event_record(
                store=store, severity=severity, code=code, message=message,
                object_type=object_type, object_id=object_id, feed_run=feed_run,
            )  # fmt: skip
    return IntegrationEvent.objects.get(fingerprint=fingerprint, resolved_at__isnull=True)


@transaction.atomic
def event_resolve(*, event: IntegrationEvent, actor: User | None) -> IntegrationEvent:
    """Close an event: the person fixed the cause (or the system saw it fixed). A recurrence opens a new one."""
    event = IntegrationEvent.objects.select_for_update().get(pk=event.pk)
    if event.resolved_at is not None:
        return event  # resolved a moment ago, by someone else or by a retry
    event.resolved_at = timezone.now()
    event.resolved_by = actor
    event.save(update_fields=["resolved_at", "resolved_by"])
    logger.info(
        "integrations.event.resolved",
        extra={"event_id": event.pk, "store_id": event.store_id, "actor_id": actor.pk if actor else None},
    )
    return event
