"""The integrations app's answers to signals of the apps below it (which may not import integrations): held orders
become the store's Errors, committed outbox events kick the dispatcher, untracked shipments raise an Error."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from printconnect.integrations.models import Feed, IntegrationEvent
from printconnect.integrations.services.events import EventData, event_record, events_record_many
from printconnect.orders.intake import HoldCause
from printconnect.orders.models import Order, OrderSourceChange, OutboxEvent, Shipment
from printconnect.orders.selectors import hold_cause_counts
from printconnect.orders.signals import order_changed_at_source, order_holds_changed, shipment_untracked
from printconnect.storefronts.signals import store_activation_date_changed

# What each hold reason's Error is about (IntegrationEvent.object_type); the cause's key is its object id.
HOLD_OBJECT_TYPES = {
    Order.HoldReason.UNMAPPED_PRODUCT: "variant",
    Order.HoldReason.NON_PRINTABLE_LINE: "variant",
    Order.HoldReason.UNKNOWN_SHIPPING_METHOD: "shipping_method",
}
_OBJECT_ID_MAX = IntegrationEvent._meta.get_field("object_id").max_length


_HELD_COUNT = re.compile(r": \d+ orders? held\. ")


def _orders_held(count: int) -> str:
    return f"{count} order{'s' if count != 1 else ''} held."


def hold_event_code(reason: str) -> str:
    return f"order.held.{reason}"


def _object_id(key: str) -> str:
    """A shipping method name can be longer than an event's object id: a long one is named by its digest."""
    return key if len(key) <= _OBJECT_ID_MAX else hashlib.sha256(key.encode()).hexdigest()[:_OBJECT_ID_MAX]


@receiver(order_holds_changed, dispatch_uid="integrations.hold_events_sync")
def hold_events_sync(sender: Any, *, store: Any, causes: list[HoldCause], **kwargs: Any) -> None:
    """One Error per cause that holds orders, saying how many and where to fix it; resolved once it holds none."""
    counts = hold_cause_counts(store=store, causes=[(cause.reason, cause.key) for cause in causes])
    held: list[EventData] = []
    recount: list[tuple[str, str, str, int]] = []
    fixed: dict[str, set[str]] = {}
    for cause in causes:
        code, object_type = hold_event_code(cause.reason), HOLD_OBJECT_TYPES.get(cause.reason, "order")
        orders = counts.get((cause.reason, cause.key), 0)
        if orders and cause.problem:
            message = f"{cause.problem}: {_orders_held(orders)} {cause.fix}"
            held.append(EventData(code=code, message=message, object_type=object_type, object_id=_object_id(cause.key)))
        elif orders:
            recount.append((code, object_type, _object_id(cause.key), orders))
        else:
            fixed.setdefault(code, set()).add(_object_id(cause.key))
    events_record_many(store=store, severity=IntegrationEvent.Severity.ERROR, events=held)
    for code, object_type, object_id, orders in recount:
        # A release left the cause holding other orders: the same words, the new count.
        for event in IntegrationEvent.objects.filter(
            store=store, code=code, object_type=object_type, object_id=object_id, resolved_at__isnull=True
        ):
            event.message = _HELD_COUNT.sub(f": {_orders_held(orders)} ", event.message, count=1)
            event.save(update_fields=["message"])
    now = timezone.now()
    for code, object_ids in fixed.items():
        # Fixed: nothing is held for it any more. resolved_by stays empty: printconnect saw it fixed.
        IntegrationEvent.objects.filter(
            store=store, code=code, object_id__in=object_ids, resolved_at__isnull=True
        ).update(resolved_at=now)


@receiver(store_activation_date_changed, dispatch_uid="integrations.backfill_on_earlier_activation")
def backfill_on_earlier_activation(sender: Any, *, store: Any, before: Any, after: Any, **kwargs: Any) -> None:
    """Moved back (or cleared): the next order import walks the store's orders again from the new date, instead of
    only those changed since its last run, so the older orders come in. Duplicates are harmless (deduplicated)."""
    if before is not None and (after is None or after < before):
        Feed.objects.filter(store=store, kind=Feed.Kind.ORDERS_IMPORT).update(
            cursor="", synced_until=None, next_run_at=timezone.now()
        )


@receiver(post_save, sender=OutboxEvent, dispatch_uid="integrations.outbox_event_kick")
def outbox_event_saved(sender: Any, instance: OutboxEvent, created: bool, **kwargs: Any) -> None:
    # Sent from inside the change's transaction: dispatch once it is committed (never for a rolled-back change).
    # Losing this kick (broker down, process killed right after the commit) only delays delivery until the sweep.
    if created:
        from printconnect.integrations.services.outbox import outbox_kick

        transaction.on_commit(outbox_kick)


@receiver(shipment_untracked, dispatch_uid="integrations.shipment_untracked_error")
def shipment_untracked_error(sender: Any, *, shipment: Shipment, **kwargs: Any) -> None:
    order = shipment.order
    event_record(
        store=order.store,
        severity=IntegrationEvent.Severity.ERROR,
        code="shipment.untracked",
        message=(
            f"Order {order.number}: no carrier for tracking number {shipment.tracking_number}. Neither a carrier rule "
            "of the store matches it nor is a default carrier set, so the tracking is not sent to the store. "
            "Add a carrier rule or a default carrier in the store's Shipping settings."
        ),
        object_type="order",
        object_id=order.number,
    )


@receiver(order_changed_at_source, dispatch_uid="integrations.changed_after_production_started")
def changed_after_production_started(sender: Any, *, order: Order, change: OrderSourceChange, **kwargs: Any) -> None:
    what = "; ".join(f"{row['what']}: {row['was']} -> {row['now']}" for row in change.differences[:3])
    event_record(
        store=order.store,
        severity=IntegrationEvent.Severity.ERROR,
        code="order.changed_in_production",
        message=(
            f"Order {order.number} was changed in the store after its production started here ({what}). It is not "
            "held and the change is not applied. Compare the versions on the order page, agree with the client what "
            "happens, then choose “Keep as imported” there and mark this resolved."
        ),
        object_type="order",
        object_id=order.number,
    )
