"""Orders changed in the store after import (DESIGN section 6): when a store edits an order's lines, address,
customer or shipping method after printconnect imported it, the order is flagged "changed at source" with the
difference shown. Before production it is held until a person accepts the store's version or keeps the order as
imported; once production has started it is not held (printing cannot be undone) and an Error says so instead.

The comparison is between the order as it is here (as imported, or as last accepted) and what the store sends now,
so a store that undoes its edit releases the order again, and the same edit delivered twice is one change.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from printconnect.core.exceptions import ApplicationError
from printconnect.orders.intake import HoldCause
from printconnect.orders.models import Order, OrderHold, OrderItem, OrderSourceChange, OrderStatusChange, PrintFile
from printconnect.orders.signals import order_changed_at_source

if TYPE_CHECKING:
    from printconnect.orders.services import OrderData

logger = logging.getLogger(__name__)

CHANGED = Order.HoldReason.CHANGED_AT_SOURCE
Status = OrderSourceChange.Status
# Edits here are decided by a person; after these the order's fate is sealed and a store edit changes nothing.
_IGNORED_STATUSES = frozenset({Order.Status.SHIPPED, Order.Status.DELIVERED, Order.Status.CANCELLED})
_BEFORE_PRODUCTION = frozenset({Order.Status.ON_HOLD, Order.Status.RECEIVED})
# What a line's difference is judged on. Titles and file URLs are left out: stores rename products and sign file
# URLs afresh on every read, neither of which changes what is to be printed.
_LINE_FIELDS = ("quantity", "sku", "external_product_id", "external_variant_id", "attributes")


# --- what an order is, compared (pure) -------------------------------------------------------------------------------


def _address(address: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k): str(v).strip() for k, v in (address or {}).items() if v not in (None, "") and str(v).strip()}


def snapshot_from_data(data: OrderData) -> dict[str, Any]:
    """What the store says the order is now, in the shape the order's rows are compared in (and saved with a
    change, so accepting it needs nothing else)."""
    return {
        "customer_name": data.customer_name[:200],
        "customer_email": data.customer_email.strip(),
        "shipping_method": data.shipping_method[:200],
        "shipping_address": _address(data.shipping_address),
        "lines": {
            line.external_id: {
                "quantity": line.quantity,
                "sku": line.sku[:200],
                "title": line.title[:500],
                "external_product_id": line.external_product_id,
                "external_variant_id": line.external_variant_id,
                "attributes": {str(k): str(v) for k, v in line.attributes.items()},
                "print_file_urls": list(line.print_file_urls),
                "product_type": line.product_type[:10],
            }
            for line in data.lines
        },
    }


def snapshot_from_order(order: Order, items: list[OrderItem]) -> dict[str, Any]:
    return {
        "customer_name": order.customer_name,
        "customer_email": order.customer_email,
        "shipping_method": order.shipping_method,
        "shipping_address": _address(order.shipping_address),
        "lines": {
            item.external_id: {
                "quantity": item.quantity,
                "sku": item.sku,
                "title": item.title,
                "external_product_id": item.external_product_id,
                "external_variant_id": item.external_variant_id,
                "attributes": {str(k): str(v) for k, v in (item.attributes or {}).items()},
                "print_file_urls": list(item.print_file_urls or []),
                "product_type": item.store_product_type,
            }
            for item in items
        },
    }


def _line_label(line: Mapping[str, Any]) -> str:
    title, sku = line.get("title") or "", line.get("sku") or ""
    return f"{title} (SKU {sku})" if title and sku else title or (f"SKU {sku}" if sku else "a line")


def _options(attributes: Mapping[str, str]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(attributes.items())) or "none"


def _address_text(address: Mapping[str, str]) -> str:
    return ", ".join(address.values()) or "none"


def differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, str]]:
    """What differs, for people: one row per difference, {"what", "was", "now"}; empty when nothing that matters
    to production or shipping changed."""
    rows: list[dict[str, str]] = []

    def row(what: str, was: Any, now: Any) -> None:
        rows.append({"what": what, "was": str(was), "now": str(now)})

    if before["customer_name"] != after["customer_name"]:
        row("Customer name", before["customer_name"] or "none", after["customer_name"] or "none")
    if before["customer_email"].lower() != after["customer_email"].lower():
        row("Customer email", before["customer_email"] or "none", after["customer_email"] or "none")
    if before["shipping_address"] != after["shipping_address"]:
        row("Shipping address", _address_text(before["shipping_address"]), _address_text(after["shipping_address"]))
    if before["shipping_method"] != after["shipping_method"]:
        row("Shipping method", before["shipping_method"] or "none", after["shipping_method"] or "none")
    was_lines, now_lines = before["lines"], after["lines"]
    for line_id, was in was_lines.items():
        now = now_lines.get(line_id)
        label = _line_label(was)
        if now is None:
            row(f"Line {label}", f"{was['quantity']} x", "removed")
            continue
        if was["quantity"] != now["quantity"]:
            row(f"Line {label}: quantity", was["quantity"], now["quantity"])
        if (was["sku"], was["external_product_id"], was["external_variant_id"]) != (
            now["sku"],
            now["external_product_id"],
            now["external_variant_id"],
        ):
            row(f"Line {label}: product", label, _line_label(now))
        if was["attributes"] != now["attributes"]:
            row(f"Line {label}: options", _options(was["attributes"]), _options(now["attributes"]))
    for line_id, now in now_lines.items():
        if line_id not in was_lines:
            row(f"Line {_line_label(now)}", "not in the order", f"added, {now['quantity']} x")
    return rows


def _comparable(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    lines = {key: {f: line[f] for f in _LINE_FIELDS} for key, line in snapshot["lines"].items()}
    return {**snapshot, "customer_email": snapshot["customer_email"].lower(), "lines": lines}


def hold_cause(order: Order, change: OrderSourceChange) -> HoldCause:
    what = "; ".join(f"{d['what']}: {d['was']} -> {d['now']}" for d in change.differences[:3])
    more = f" and {len(change.differences) - 3} more" if len(change.differences) > 3 else ""
    return HoldCause(
        CHANGED,
        order.external_id,
        f"Order {order.number} was changed in the store after it was imported ({what}{more})",
        "Compare the versions on the order page, then accept the store's changes or keep the order as imported.",
    )


def pending_change(order: Order) -> OrderSourceChange | None:
    return order.source_changes.filter(status=Status.PENDING).order_by("-pk").first()


# --- detected by the intake pipeline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Detected:
    change: OrderSourceChange | None
    # Something was written: a new change, or an earlier one dropped (the same change again writes nothing).
    written: bool = False
    # The order must go through mapping and shipping again (its hold for the change was added or dropped).
    reprocess: bool = False


def source_change_detect(*, order: Order, data: OrderData, now: datetime) -> Detected:
    """Compare what the store sends for an order already here with the order's rows; called by the pipeline inside
    its transaction, with the order locked. A new difference becomes a pending change (holding the order before
    production, an Error after); the same difference again changes nothing; no difference any more (the store undid
    its edit) drops the pending change."""
    if order.status in _IGNORED_STATUSES:
        return Detected(None)
    items = list(order.items.all())
    after = snapshot_from_data(data)
    rows = differences(snapshot_from_order(order, items), after)
    pending = pending_change(order)
    if pending is not None and rows and _comparable(pending.proposed) == _comparable(after):
        return Detected(pending)
    if pending is not None:
        pending.status, pending.decided_at = Status.SUPERSEDED, now
        pending.save(update_fields=["status", "decided_at", "updated_at"])
    if not rows:
        return Detected(None, written=pending is not None, reprocess=pending is not None and _drop_hold(order))
    started = order.status not in _BEFORE_PRODUCTION
    change = OrderSourceChange.objects.create(
        order=order, differences=rows, proposed=after, detected_at=now, production_started=started
    )
    logger.info("orders.changed_at_source", extra={"order_id": order.pk, "differences": len(rows)})
    if started:
        order_changed_at_source.send(sender=Order, order=order, change=change)
        return Detected(change, written=True)
    if order.status == Order.Status.RECEIVED:
        _hold(order, change, now)
    OrderHold.objects.get_or_create(order=order, store_id=order.store_id, reason=CHANGED, key=order.external_id)
    return Detected(change, written=True, reprocess=True)


def _hold(order: Order, change: OrderSourceChange, now: datetime) -> None:
    from printconnect.orders import services  # services imports this module

    cause = hold_cause(order, change)
    before = order.status
    order.status, order.hold_reason, order.hold_detail = Order.Status.ON_HOLD, CHANGED, cause.detail
    order.save(update_fields=["status", "hold_reason", "hold_detail", "updated_at"])
    services.status_change_record(
        order, before, source=OrderStatusChange.Source.PIPELINE, at=now, note=f"Held: {cause.problem}."
    )


def _drop_hold(order: Order) -> bool:
    """Drop the order's hold for a change (the store's Error for it follows); True when the order is on hold, so it
    is checked again."""
    from printconnect.orders import services

    if OrderHold.objects.filter(order=order, reason=CHANGED).delete()[0]:
        services.holds_announce(order.store, [HoldCause(CHANGED, order.external_id, "", "")])
    return order.status == Order.Status.ON_HOLD


# --- decided by a person ------------------------------------------------------------------------------------------


def _decide(change: OrderSourceChange, status: str, actor: Any) -> Order:
    order = Order.objects.select_for_update().get(pk=change.order_id)
    change = OrderSourceChange.objects.select_for_update().get(pk=change.pk)
    if change.status != Status.PENDING:
        raise ApplicationError(
            f"This change of order {order.number} was already dealt with ({change.get_status_display().lower()})."
        )
    change.status, change.decided_by, change.decided_at = status, actor, timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    return order


def source_change_keep(*, change: OrderSourceChange, actor: Any) -> Order:
    """Keep the order as imported: the store's edit is not applied; a hold for it is released (the order goes on
    if nothing else holds it)."""
    from printconnect.orders import services

    with transaction.atomic():
        order = _decide(change, Status.KEPT, actor)
        if _drop_hold(order):
            services.orders_reprocess(store=order.store, order_ids=[order.pk], actor=actor)
    order.refresh_from_db()
    return order


def source_change_accept(*, change: OrderSourceChange, actor: Any) -> Order:
    """Apply the store's version to the order (customer, address, shipping method, lines) and check it again
    through mapping and shipping. Only before production: a printed order cannot follow an edit."""
    from printconnect.orders import services

    with transaction.atomic():
        order = _decide(change, Status.ACCEPTED, actor)
        if order.status not in _BEFORE_PRODUCTION:
            raise ApplicationError(
                f"Order {order.number} is {order.get_status_display().lower()}: its production has started, so the "
                "store's changes cannot be applied any more. Agree with the client what to do, then choose "
                "“Keep as imported”."
            )
        _apply(order, change.proposed)
        now = timezone.now()
        if order.status == Order.Status.RECEIVED:  # released by hand meanwhile: it is checked again all the same
            before = order.status
            order.status = Order.Status.ON_HOLD
            order.save(update_fields=["status", "updated_at"])
            services.status_change_record(
                order, before, source=OrderStatusChange.Source.PIPELINE, at=now, note="Checking the store's changes."
            )
        _drop_hold(order)
        services.orders_reprocess(store=order.store, order_ids=[order.pk], actor=actor)
    order.refresh_from_db()
    return order


def _apply(order: Order, proposed: Mapping[str, Any]) -> None:
    order.customer_name, order.customer_email = proposed["customer_name"], proposed["customer_email"]
    order.shipping_method, order.shipping_address = proposed["shipping_method"], proposed["shipping_address"]
    order.save(update_fields=["customer_name", "customer_email", "shipping_method", "shipping_address", "updated_at"])
    items = {item.external_id: item for item in order.items.all()}
    lines = proposed["lines"]
    gone = [item for key, item in items.items() if key not in lines]
    shipped = [item for item in gone if item.shipment_items.exists()]
    if shipped:
        raise ApplicationError(
            f"The store removed {_line_label({'title': shipped[0].title, 'sku': shipped[0].sku})} from order "
            f"{order.number}, but it has been shipped already: keep the order as imported instead."
        )
    OrderItem.objects.filter(pk__in=[item.pk for item in gone]).delete()
    remapped: list[int] = []
    for key, line in lines.items():
        fields = {
            "quantity": line["quantity"],
            "sku": line["sku"],
            "title": line["title"],
            "external_product_id": line["external_product_id"],
            "external_variant_id": line["external_variant_id"],
            "attributes": line["attributes"],
            "print_file_urls": line["print_file_urls"],
            "store_product_type": line["product_type"],
        }
        item = items.get(key)
        if item is None:
            OrderItem.objects.create(order=order, external_id=key, **fields)
            continue
        product_changed = any(getattr(item, f) != fields[f] for f in ("sku", "external_variant_id", "attributes")) or (
            item.external_product_id != fields["external_product_id"]
        )
        for name, value in fields.items():
            setattr(item, name, value)
        if product_changed:
            # Mapped again by the re-check; the old product's print files are not this line's any more.
            item.store_variant, item.catalog_product, item.kind = None, None, OrderItem.Kind.UNMAPPED
            item.design_file_url, item.print_specs = "", {}
            remapped.append(item.pk)
        item.save()
    _print_files_drop(remapped)


def _print_files_drop(item_ids: list[int]) -> None:
    files = list(PrintFile.objects.filter(item_id__in=item_ids))
    stored = [row.file.name for row in files if row.file]
    PrintFile.objects.filter(pk__in=[row.pk for row in files]).delete()
    if stored:
        storage = PrintFile._meta.get_field("file").storage
        transaction.on_commit(lambda: [storage.delete(name) for name in stored])
