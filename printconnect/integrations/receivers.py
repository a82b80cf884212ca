"""The integrations app's answers to signals of the apps below it: held orders become the store's Errors."""

from __future__ import annotations

import hashlib
from typing import Any

from django.dispatch import receiver
from django.utils import timezone

from printconnect.integrations.models import IntegrationEvent
from printconnect.integrations.services.events import event_record
from printconnect.orders.models import Order
from printconnect.orders.selectors import hold_causes_summary
from printconnect.orders.signals import order_holds_changed

# What each hold reason's Error is about (IntegrationEvent.object_type); the cause's key is its object id.
HOLD_OBJECT_TYPES = {
    Order.HoldReason.UNMAPPED_PRODUCT: "variant",
    Order.HoldReason.NON_PRINTABLE_LINE: "variant",
    Order.HoldReason.UNKNOWN_SHIPPING_METHOD: "shipping_method",
}
_OBJECT_ID_MAX = IntegrationEvent._meta.get_field("object_id").max_length


def hold_event_code(reason: str) -> str:
    return f"order.held.{reason}"


def _object_id(key: str) -> str:
    """A shipping method name can be longer than an event's object id: a long one is named by its digest."""
    return key if len(key) <= _OBJECT_ID_MAX else hashlib.sha256(key.encode()).hexdigest()[:_OBJECT_ID_MAX]


@receiver(order_holds_changed, dispatch_uid="integrations.hold_events_sync")
def hold_events_sync(sender: Any, *, store: Any, causes: list[tuple[str, str]], **kwargs: Any) -> None:
    """One Error per cause that holds orders, saying how many and where to fix it; resolved once it holds none."""
    summary = hold_causes_summary(store=store, causes=causes)
    gone: list[tuple[str, str, str]] = []
    for reason, key in causes:
        code, object_type = hold_event_code(reason), HOLD_OBJECT_TYPES.get(reason, "order")
        held = summary.get((reason, key))
        if held is None:
            gone.append((code, object_type, _object_id(key)))
            continue
        orders = f"{held.orders} order{'s' if held.orders != 1 else ''}"
        event_record(
            store=store, severity=IntegrationEvent.Severity.ERROR, code=code,
            message=f"{held.problem}: {orders} held. {held.fix}",
            object_type=object_type, object_id=_object_id(key),
        )  # fmt: skip
    now = timezone.now()
    for code, object_type, object_id in gone:
        # Fixed: nothing is held for it any more. resolved_by stays empty: printconnect saw it fixed.
        IntegrationEvent.objects.filter(
            store=store, code=code, object_type=object_type, object_id=object_id, resolved_at__isnull=True
        ).update(resolved_at=now)
