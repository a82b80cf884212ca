"""Shipments: parcels of an order, several per order (partial shipments, several tracking numbers)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from printconnect.catalog.models import Carrier
from printconnect.core.exceptions import ApplicationError
from printconnect.orders import workflow
from printconnect.orders.models import (
    Order,
    OrderItem,
    OutboxEvent,
    Shipment,
    ShipmentItem,
)
from printconnect.orders.services import carrier_for_tracking_number, order_status_change
from printconnect.orders.signals import shipment_untracked

# Orders that may not get a parcel: nothing is produced for them (yet), or they are over.
_NOT_SHIPPABLE = {
    Order.Status.ON_HOLD: "it is on hold; release it first",
    Order.Status.CANCELLED: "it is cancelled",
    Order.Status.DELIVERED: "it is already delivered",
}


def _shippable_items(order: Order) -> list[OrderItem]:
    # Ignored lines (the store's rule for non-printable lines) are neither printed nor sent.
    return list(order.items.exclude(kind=OrderItem.Kind.IGNORED).order_by("pk"))


def _shipped_quantities(order: Order) -> dict[int, int]:
    rows = ShipmentItem.objects.filter(shipment__order=order).values("item_id").annotate(total=Sum("quantity"))
    return {row["item_id"]: row["total"] for row in rows}


def _wanted(
    order: Order, items: Mapping[Any, int] | None, remaining: dict[int, int], by_pk: dict[int, OrderItem]
) -> dict[int, int]:
    if items is None:
        wanted = {pk: qty for pk, qty in remaining.items() if qty > 0}
        if not wanted:
            raise ApplicationError(f"Every item of order {order.number} is already shipped; there is nothing left.")
        return wanted
    wanted: dict[int, int] = {}
    for key, quantity in items.items():
        pk = key.pk if isinstance(key, OrderItem) else int(key)
        item = by_pk.get(pk)
        if item is None:
            raise ApplicationError(f"Item {pk} is not a line of order {order.number} that is shipped.", field="items")
        if not isinstance(quantity, int) or quantity < 0:
            raise ApplicationError(f"Enter a whole number of at least 0 for {item}.", field="items")
        if quantity > remaining[pk]:
            shipped = item.quantity - remaining[pk]
            raise ApplicationError(
                f"Order {order.number}: {item.title or item.sku} has {item.quantity} ordered and {shipped} already "
                f"shipped, so at most {remaining[pk]} can go in this parcel, not {quantity}.",
                field="items",
            )
        if quantity:
            wanted[pk] = wanted.get(pk, 0) + quantity
    if not wanted:
        raise ApplicationError("Put at least one item in the parcel.", field="items")
    return wanted


def shipment_create(
    *,
    order: Order,
    tracking_number: str,
    tracking_url: str = "",
    items: Mapping[Any, int] | None = None,
    carrier: Carrier | None = None,
    shipped_at: datetime | None = None,
    source: str,
    actor: Any = None,
) -> Shipment:
    """Record a parcel of the order: `items` maps order items (or their ids) to quantities; None ships all that is
    left. The tracking URL is the one given, else the carrier's link for the number. The carrier is the one given,
    else the store's carrier rules, else its default carrier; with none the shipment is kept but its tracking cannot
    be pushed (an Error says so). Writes the order.shipment_created outbox
    row in the same transaction, and moves the order to shipped when its last item leaves."""
    tracking_number = (tracking_number or "").strip()
    if not tracking_number:
        raise ApplicationError("Enter the parcel's tracking number.", field="tracking_number")
    if len(tracking_number) > Shipment._meta.get_field("tracking_number").max_length:
        raise ApplicationError("That tracking number is too long (100 characters at most).", field="tracking_number")
    shipped_at = shipped_at or timezone.now()
    if timezone.is_naive(shipped_at):
        raise ApplicationError("The shipping time needs a time zone.", field="shipped_at")
    with transaction.atomic():
        locked = Order.objects.select_for_update().select_related("store").get(pk=order.pk)
        if locked.status in _NOT_SHIPPABLE:
            raise ApplicationError(f"Order {locked.number} cannot be shipped: {_NOT_SHIPPABLE[locked.status]}.")
        shippable = _shippable_items(locked)
        if not shippable:
            raise ApplicationError(f"Order {locked.number} has no item to ship.")
        by_pk = {item.pk: item for item in shippable}
        shipped = _shipped_quantities(locked)
        remaining = {item.pk: item.quantity - shipped.get(item.pk, 0) for item in shippable}
        wanted = _wanted(locked, items, remaining, by_pk)
        completes = all(remaining[pk] - wanted.get(pk, 0) == 0 for pk in remaining)
        moves = completes and locked.status != Order.Status.SHIPPED
        if moves and not workflow.transition_allowed(locked.status, Order.Status.SHIPPED):
            raise ApplicationError(
                f"This parcel holds the last items of order {locked.number}, which would then be shipped, but "
                f"{workflow.transition_refusal(locked.status, Order.Status.SHIPPED)} Move it on first, or ship "
                "only part of it."
            )
        carrier = carrier or carrier_for_tracking_number(store=locked.store, tracking_number=tracking_number)[0]
        shipment = Shipment.objects.create(
            order=locked,
            carrier=carrier,
            tracking_number=tracking_number,
            tracking_url=(tracking_url or "").strip() or (carrier.tracking_url(tracking_number) if carrier else ""),
            shipped_at=shipped_at,
            source=source,
            created_by=actor,
        )
        ShipmentItem.objects.bulk_create(
            [ShipmentItem(shipment=shipment, item_id=pk, quantity=qty) for pk, qty in wanted.items()]
        )
        OutboxEvent.objects.create(
            order=locked,
            kind=OutboxEvent.Kind.SHIPMENT_CREATED,
            source=source,
            created_at=timezone.now(),
            payload=_shipment_payload(locked, shipment, carrier, wanted, by_pk),
        )
        if carrier is None:
            shipment_untracked.send(sender=Shipment, shipment=shipment)
        if moves:
            order_status_change(
                order=locked, to_status=Order.Status.SHIPPED, source=source, actor=actor,
                note=f"Last parcel: {tracking_number}",
            )  # fmt: skip
    order.status, order.updated_at = locked.status, locked.updated_at
    return shipment


def _shipment_payload(
    order: Order, shipment: Shipment, carrier: Carrier | None, wanted: dict[int, int], by_pk: dict[int, OrderItem]
) -> dict[str, Any]:
    return {
        "order_id": order.pk,
        "order_number": order.number,
        "external_id": order.external_id,
        "store_id": order.store_id,
        "shipment_id": shipment.pk,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "carrier": {"code": carrier.code, "name": carrier.name} if carrier else None,
        "shipped_at": shipment.shipped_at.isoformat(),
        "items": [
            {
                "item_id": pk,
                "external_id": by_pk[pk].external_id,
                "sku": by_pk[pk].sku,
                "title": by_pk[pk].title,
                "quantity": qty,
            }
            for pk, qty in sorted(wanted.items())
        ],
    }
