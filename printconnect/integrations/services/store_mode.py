"""Test mode and production ("going live"): only inbound feeds run until staff have checked the store works."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from printconnect.core.exceptions import ApplicationError
from printconnect.core.models import User
from printconnect.integrations.connectors import registry
from printconnect.integrations.models import Feed, FeedRun, IntegrationEvent
from printconnect.integrations.services.events import event_record
from printconnect.integrations.services.feeds import connector_for_store
from printconnect.storefronts.models import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GoLiveCheck:
    label: str
    ok: bool
    detail: str


def store_go_live_checks(*, store: Store, check_credentials: bool) -> list[GoLiveCheck]:
    """What must hold before a store goes live. The credential check talks to the store, so pages showing the list
    before anyone asks pass check_credentials=False and say it is checked on "Go live"."""
    checks: list[GoLiveCheck] = []
    if check_credentials:
        if not registry.has(store.platform):
            checks.append(GoLiveCheck("Credentials valid", False, "This store has no connector to check."))
        else:
            result = connector_for_store(store).check_connection()
            checks.append(GoLiveCheck("Credentials valid", result.ok, result.message))
    else:
        checks.append(GoLiveCheck("Credentials valid", True, "Checked with the store when you press Go live."))
    imported = (
        FeedRun.objects.filter(
            feed__store=store,
            feed__kind=Feed.Kind.ORDERS_IMPORT,
            status__in=[FeedRun.Status.SUCCEEDED, FeedRun.Status.PARTIAL],
        )
        .order_by("-started_at")
        .first()
    )
    checks.append(
        GoLiveCheck(
            "A successful order import",
            imported is not None,
            f"Last on {imported.started_at:%d %b %Y %H:%M} UTC." if imported else "Run “Import new orders” once.",
        )
    )
    errors = IntegrationEvent.objects.filter(
        store=store, severity=IntegrationEvent.Severity.ERROR, resolved_at__isnull=True
    ).count()
    checks.append(
        GoLiveCheck(
            "No unresolved errors",
            errors == 0,
            "None open." if errors == 0 else f"{errors} open; fix them and mark them resolved first.",
        )
    )
    return checks


def store_go_live(*, store: Store, actor: User) -> Store:
    """Switch to production after the checks pass; outbound feeds (stock, shipments, statuses) start running."""
    if store.is_live:
        raise ApplicationError(f"{store.name} is already live.")
    blockers = [check for check in store_go_live_checks(store=store, check_credentials=True) if not check.ok]
    if blockers:
        raise ApplicationError(
            "Not live yet: " + " ".join(f"{check.label}: {check.detail}" for check in blockers).rstrip(".") + "."
        )
    with transaction.atomic():
        store = Store.objects.select_for_update().get(pk=store.pk)
        store.mode = Store.Mode.PRODUCTION
        store.save(update_fields=["mode", "updated_at"])
        now = timezone.now()
        # Outbound feeds were recorded as skipped until now; their first live run is due at once.
        Feed.objects.filter(store=store, kind__in=Feed.OUTBOUND_KINDS, enabled=True).update(next_run_at=now)
        _record_mode_change(store, actor, f"{store.name} went live: outbound feeds now write to the store.")
    return store


def store_test_mode(*, store: Store, actor: User, reason: str = "") -> Store:
    """Back to test mode: outbound feeds stop writing to the store (recorded as skipped) until it goes live again."""
    if not store.is_live:
        raise ApplicationError(f"{store.name} is already in test mode.")
    with transaction.atomic():
        store = Store.objects.select_for_update().get(pk=store.pk)
        store.mode = Store.Mode.TEST
        store.save(update_fields=["mode", "updated_at"])
        note = f" Reason: {reason.strip()}" if reason.strip() else ""
        _record_mode_change(store, actor, f"{store.name} is back in test mode: outbound feeds are skipped.{note}")
    return store


def _record_mode_change(store: Store, actor: User, message: str) -> None:
    """Kept as an Info event (the store's history shows who switched and when) and in the log."""
    moment = timezone.now()
    event_record(
        store=store, severity=IntegrationEvent.Severity.INFO, code="store.mode_changed",
        message=f"{message} By {actor.display_name}.", object_type="store", object_id=f"{store.pk}@{moment:%s%f}",
    )  # fmt: skip
    logger.info("integrations.store.mode_changed", extra={"store_id": store.pk, "mode": store.mode, "actor": actor.pk})
