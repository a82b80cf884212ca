"""Integration events: Info / Retry / Error, one open row per recurring problem."""

from __future__ import annotations

import hashlib
import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from printconnect.core.models import User
from printconnect.integrations.models import FeedRun, IntegrationEvent
from printconnect.storefronts.models import Store

logger = logging.getLogger(__name__)


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
    fingerprint = hashlib.sha256(f"{store.pk}|{code}|{object_type}|{object_id}".encode()).hexdigest()
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
