"""Actions on orders. Callers pass plain data (OrderData), so orders never depends on connectors."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from printconnect.core.exceptions import ApplicationError
from printconnect.orders import workflow
from printconnect.orders.models import Order, OrderItem, OrderStatusChange, OutboxEvent
from printconnect.storefronts.models import Store

logger = logging.getLogger(__name__)

# Store statuses after which production must not start (canonical names of the connectors' OrderStatus).
STORE_CANCELLED_STATUSES = frozenset({"cancelled", "refunded"})
_FINAL_STATUSES = frozenset({Order.Status.SHIPPED, Order.Status.DELIVERED, Order.Status.CANCELLED})
# Once printing has started a store's cancellation cannot simply stop it: a person decides (DESIGN section 6).
_PRODUCTION_STARTED = frozenset({Order.Status.IN_PRODUCTION, Order.Status.PRINTED})


@dataclass(frozen=True)
class OrderLineData:
    external_id: str
    quantity: int
    title: str = ""
    sku: str = ""
    external_product_id: str = ""
    external_variant_id: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    print_file_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderData:
    external_id: str
    number: str
    store_status: str
    financial_status: str
    placed_at: datetime
    currency: str
    total: Decimal
    lines: tuple[OrderLineData, ...]
    customer_name: str = ""
    customer_email: str = ""
    shipping_address: dict[str, Any] = field(default_factory=dict)
    shipping_method: str = ""


class Ingested:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    # The store cancelled or refunded an order whose production has started: status synced, order not cancelled.
    CANCEL_REFUSED = "cancel_refused"


def _apply_store_status(order: Order, data: OrderData) -> str:
    """Status only: items and address never change after import. A cancellation in the store cancels here,
    unless production has started (CANCEL_REFUSED: the caller raises an Error for a person)."""
    changed = order.store_status != data.store_status or order.financial_status != data.financial_status
    order.store_status, order.financial_status = data.store_status, data.financial_status
    if data.store_status in STORE_CANCELLED_STATUSES and order.status in _PRODUCTION_STARTED:
        return Ingested.CANCEL_REFUSED if changed else Ingested.UNCHANGED
    if data.store_status in STORE_CANCELLED_STATUSES and order.status not in _FINAL_STATUSES:
        order.status = Order.Status.CANCELLED
        changed = True
    return Ingested.UPDATED if changed else Ingested.UNCHANGED


def order_ingest(*, store: Store, data: OrderData) -> tuple[Order, str]:
    """Create the order once per (store, external id), or update its store status. One transaction."""
    try:
        return _order_ingest_once(store=store, data=data)
    except IntegrityError:
        # Another worker created it between our read and our insert: it exists now, so this is an update.
        # Once only: a second IntegrityError is a real fault (e.g. duplicate line ids) and propagates.
        return _order_ingest_once(store=store, data=data)


def _order_ingest_once(*, store: Store, data: OrderData) -> tuple[Order, str]:
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(store=store, external_id=data.external_id).first()
        if order is not None:
            before = order.status
            outcome = _apply_store_status(order, data)
            order.synced_at = now
            order.save(update_fields=["store_status", "financial_status", "status", "synced_at", "updated_at"])
            if order.status != before:
                _status_change_record(
                    order,
                    before,
                    source=OrderStatusChange.Source.STORE,
                    note=f"{data.store_status} in the store",
                    at=now,
                )
            return order, outcome
        order = _order_row(store, data, now)
        order.save()
        OrderItem.objects.bulk_create(_item_rows(order, data))
        return order, Ingested.CREATED


def orders_create_batch(*, store: Store, orders: list[OrderData]) -> list[Order]:
    """New orders (e.g. one feed page) inserted together in one transaction.

    Raises IntegrityError, changing nothing, when one of them is already here (a concurrent run); callers then
    fall back to order_ingest one by one, which is idempotent.
    """
    now = timezone.now()
    with transaction.atomic():
        created = Order.objects.bulk_create([_order_row(store, data, now) for data in orders])
        OrderItem.objects.bulk_create(
            [item for order, data in zip(created, orders, strict=True) for item in _item_rows(order, data)]
        )
    return created


def _order_row(store: Store, data: OrderData, now: datetime) -> Order:
    cancelled = data.store_status in STORE_CANCELLED_STATUSES
    return Order(
        store=store,
        client_id=store.client_id,
        external_id=data.external_id,
        number=data.number,
        store_status=data.store_status,
        financial_status=data.financial_status,
        status=Order.Status.CANCELLED if cancelled else Order.Status.RECEIVED,
        placed_at=data.placed_at,
        currency=data.currency,
        total=data.total,
        customer_name=data.customer_name[:200],
        customer_email=data.customer_email,
        shipping_address=data.shipping_address,
        shipping_method=data.shipping_method[:200],
        synced_at=now,
    )


def _item_rows(order: Order, data: OrderData) -> list[OrderItem]:
    return [
        OrderItem(
            order=order,
            external_id=line.external_id,
            sku=line.sku[:200],
            title=line.title[:500],
            quantity=line.quantity,
            external_product_id=line.external_product_id,
            external_variant_id=line.external_variant_id,
            attributes=dict(line.attributes),
            print_file_urls=list(line.print_file_urls),
        )
        for line in data.lines
    ]


def order_sync_states(*, store: Store, external_ids: list[str]) -> dict[str, tuple[str, str]]:
    """external id -> (store status, financial status) of the orders already here, in one query."""
    # No ORDER BY: with Order's default ordering SQLite walks the store's (store, placed_at) index, every order of the
    # store for every page; unordered, it looks the ids up in the (store, external_id) unique index.
    rows = (
        Order.objects.filter(store=store, external_id__in=external_ids)
        .order_by()
        .values_list("external_id", "store_status", "financial_status")
    )
    return {external_id: (status, financial) for external_id, status, financial in rows}


def order_status_change(
    *, order: Order, to_status: str, source: str, actor: Any = None, note: str = ""
) -> OrderStatusChange:
    """Move an order to another status, if the production flow allows it (orders.workflow), with its history entry
    and its outbox row in the same transaction."""
    if to_status not in Order.Status.values:
        raise ApplicationError(f"{to_status!r} is not an order status.", field="status")
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status == to_status:
            raise ApplicationError(f"Order {locked.number} is already {locked.get_status_display().lower()}.")
        if not workflow.transition_allowed(locked.status, to_status):
            raise ApplicationError(f"Order {locked.number}: {workflow.transition_refusal(locked.status, to_status)}")
        before, now = locked.status, timezone.now()
        locked.status = to_status
        locked.save(update_fields=["status", "updated_at"])
        change = _status_change_record(locked, before, source=source, actor=actor, note=note.strip(), at=now)
    order.status, order.updated_at = locked.status, locked.updated_at
    return change


def _status_change_record(
    order: Order, before: str, *, source: str, at: datetime, actor: Any = None, note: str = ""
) -> OrderStatusChange:
    change = OrderStatusChange.objects.create(
        order=order, from_status=before, to_status=order.status, source=source, actor=actor, note=note, at=at
    )
    OutboxEvent.objects.create(
        order=order,
        kind=OutboxEvent.Kind.STATUS_CHANGED,
        source=source,
        created_at=at,
        payload={
            "order_id": order.pk,
            "order_number": order.number,
            "external_id": order.external_id,
            "store_id": order.store_id,
            "from_status": before,
            "status": order.status,
            "changed_at": at.isoformat(),
            "note": note,
        },
    )
    return change
