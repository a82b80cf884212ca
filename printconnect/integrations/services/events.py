"""Integration events: Info / Retry / Error, one open row per recurring problem."""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from printconnect.integrations.models import FeedRun, IntegrationEvent
from printconnect.storefronts.models import Store


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
