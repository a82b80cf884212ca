"""Actions on orders. Callers pass plain data (OrderData), so orders never depends on connectors."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from printconnect.catalog.models import Carrier, CatalogProduct, ShippingMethod, StoreVariant
from printconnect.core.exceptions import ApplicationError
from printconnect.orders import intake, printfiles, source_changes, workflow
from printconnect.orders.intake import (
    CatalogInfo,
    HoldCause,
    OrderPlan,
    PrintFile,
    ShippingInfo,
    StoreRules,
    VariantInfo,
    Verdict,
)
from printconnect.orders.models import (
    CarrierRule,
    Order,
    OrderHold,
    OrderItem,
    OrderStatusChange,
    OutboxEvent,
    StoreOrderSettings,
    StoreShippingMethod,
)
from printconnect.orders.selectors import held_order_ids_for_causes
from printconnect.orders.signals import order_holds_changed
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
    # The store's product type for this line (normal: printed; stock): what classifies a line whose product is not
    # imported here yet.
    product_type: str = "normal"
    # A catalog product named directly by its UID (manual orders, CSV imports): no store product is looked up.
    # Such a line's external_product_id is "uid:<UID>" (its key in holds and print files).
    catalog_uid: str = ""


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
    # Who ships it: the merchant (the print shop, for this store) or a marketplace (FBA...): StoreOrderSettings'.
    fulfilment_channel: str = StoreOrderSettings.Fulfilment.MERCHANT
    # A test order ("Send test order"): the whole pipeline, never sent to the store, can be deleted.
    is_test: bool = False
    # When the store last changed it (None when the source does not say): see Order.store_updated_at.
    updated_at: datetime | None = None
    # The print shop's shipping method, when a person chose it (manual orders, CSV imports): no mapping needed.
    psp_shipping_method_id: int | None = None


class Ingested:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    # The store cancelled or refunded an order whose production has started: status synced, order not cancelled.
    CANCEL_REFUSED = "cancel_refused"
    # Not imported: a rule said so (see the result's verdict: cancelled, other channel, before activation, unpaid).
    SKIPPED = "skipped"


class IntakeSource:
    """Where an order came in; every source goes through the same pipeline (order_intake)."""

    FEED = "feed"
    WEBHOOK = "webhook"
    RETRY = "retry"  # the retry set-aside feed, or an event's Retry
    MANUAL = "manual"
    CSV = "csv"
    TEST = "test"


@dataclass(frozen=True)
class IntakeResult:
    outcome: str  # an Ingested value
    order: Order | None = None
    # Why it was not imported (outcome SKIPPED): the caller records it as the store's event.
    verdict: Verdict | None = None
    # The print files a new order needs. The print files step (a later part of issue 5) queues their downloads
    # from here, once the order is committed; nothing downloads them yet.
    print_files: tuple[PrintFile, ...] = ()


# --- reading what a batch needs (a few queries, whatever the number of lines) ----------------------------------


@dataclass(frozen=True)
class _Context:
    rules: StoreRules
    variants: dict[str, VariantInfo]
    shipping: dict[str, ShippingInfo]
    catalog: dict[str, CatalogInfo] = field(default_factory=dict)


def store_rules(*, store: Store) -> StoreRules:
    settings = StoreOrderSettings.objects.filter(store=store).first()
    if settings is None:
        return StoreRules(activation_date=store.activation_date)
    return StoreRules(
        non_printable_rule=settings.non_printable_rule,
        fulfilment=settings.fulfilment,
        default_shipping_method_id=settings.default_shipping_method_id,
        activation_date=store.activation_date,
    )


def variant_label(variant: StoreVariant) -> str:
    """How orders name a store variant: "Poster - A3, Matte" (its product's title and its option values)."""
    title = variant.product.title or variant.sku or f"product {variant.product.external_id}"
    values = [str(value) for value in (variant.attributes or {}).values() if value not in (None, "")]
    return f"{title} - {', '.join(values)}" if values and not variant.is_product_itself else title


def _variants_by_key(store: Store, keys: Iterable[str]) -> dict[str, VariantInfo]:
    wanted = sorted({key for key in keys if key})
    if not wanted:
        return {}
    rows = StoreVariant.objects.filter(store=store, external_id__in=wanted).select_related("product", "catalog_product")
    return {
        row.external_id: VariantInfo(
            pk=row.pk,
            external_id=row.external_id,
            label=variant_label(row),
            sku=row.sku,
            product_type=row.product.product_type,
            attributes=row.attributes or {},
            catalog_product_id=row.catalog_product_id,
            catalog_kind=row.catalog_product.kind if row.catalog_product else "",
            catalog_specs=row.catalog_product.print_specs if row.catalog_product else {},
            design_file_url=row.design_file_url,
            print_spec_overrides=row.print_spec_overrides or {},
            attribute_specs=row.attribute_specs or {},
        )
        for row in rows
    }


def catalog_by_uid(uids: Iterable[str]) -> dict[str, CatalogInfo]:
    """The catalog products these UIDs name (any case), by intake.catalog_key, in one query."""
    wanted = sorted({intake.catalog_key(uid) for uid in uids if uid and uid.strip()})
    if not wanted:
        return {}
    rows = CatalogProduct.objects.annotate(key=Lower("uid")).filter(key__in=wanted)
    return {
        intake.catalog_key(row.uid): CatalogInfo(
            pk=row.pk, uid=row.uid, name=row.name, kind=row.kind, specs=row.print_specs or {}, active=row.active
        )
        for row in rows
    }


def _shipping_read(store: Store, keys: set[str]) -> dict[str, ShippingInfo]:
    if not keys:
        return {}
    rows = (
        StoreShippingMethod.objects.annotate(key=Lower("name"))
        .filter(store=store, key__in=sorted(keys))
        .values_list("key", "pk", "name", "shipping_method_id")
    )
    return {key: ShippingInfo(pk=pk, name=name, shipping_method_id=method_id) for key, pk, name, method_id in rows}


def _shipping_seen(store: Store, names: Iterable[str], now: datetime) -> dict[str, ShippingInfo]:
    """The store's shipping methods these orders name, each listed (created when first seen) for the Shipping
    settings page: one query to read them, one to mark them seen, and two more only when a name is new."""
    by_key = {intake.shipping_key(name): name.strip()[:200] for name in names if name.strip()}
    found = _shipping_read(store, set(by_key))
    missing = [name for key, name in by_key.items() if key not in found]
    if missing:
        StoreShippingMethod.objects.bulk_create(
            [StoreShippingMethod(store=store, name=name, last_seen_at=now) for name in missing],
            ignore_conflicts=True,  # a concurrent intake listed it a moment ago
        )
        found = _shipping_read(store, set(by_key))
    if found:
        StoreShippingMethod.objects.filter(pk__in=[info.pk for info in found.values()]).update(last_seen_at=now)
    return found


def _context(store: Store, rules: StoreRules, orders: Sequence[OrderData], now: datetime) -> _Context:
    keys = [intake.variant_key(line) for data in orders for line in data.lines]
    return _Context(
        rules=rules,
        variants=_variants_by_key(store, keys),
        shipping=_shipping_seen(store, [data.shipping_method for data in orders], now),
        catalog=catalog_by_uid(line.catalog_uid for data in orders for line in data.lines),
    )


def _verdict(data: OrderData, rules: StoreRules) -> Verdict | None:
    return intake.verdict_for_new_order(
        number=data.number,
        store_status=data.store_status,
        financial_status=data.financial_status,
        placed_at=data.placed_at,
        channel=data.fulfilment_channel,
        rules=rules,
    )


def _plan(
    lines: Sequence[Any],
    product_types: Sequence[str],
    shipping_method: str,
    context: _Context,
    chosen_shipping_method_id: int | None = None,
) -> OrderPlan:
    return intake.plan_order(
        lines=lines,
        line_product_types=product_types,
        shipping_method=shipping_method,
        rules=context.rules,
        variants=context.variants,
        shipping=context.shipping,
        catalog=context.catalog,
        chosen_shipping_method_id=chosen_shipping_method_id,
    )


def _plan_new(data: OrderData, context: _Context) -> OrderPlan:
    types = [line.product_type for line in data.lines]
    return _plan(data.lines, types, data.shipping_method, context, data.psp_shipping_method_id)


# --- the pipeline --------------------------------------------------------------------------------------------------


def order_intake(*, store: Store, data: OrderData, source: str = IntakeSource.FEED) -> IntakeResult:
    """One order from any source through the pipeline, in one transaction: an order already here (store + external
    id) only syncs its store status; a new one is validated, mapped line by line, given its shipping method, and
    created received, or on hold with what to fix. Idempotent: the same order again changes nothing."""
    try:
        return _order_intake_once(store=store, data=data, source=source)
    except IntegrityError:
        # Another worker created it between our read and our insert: it exists now, so this is an update.
        # Once only: a second IntegrityError is a real fault (e.g. duplicate line ids) and propagates.
        return _order_intake_once(store=store, data=data, source=source)


def _order_intake_once(*, store: Store, data: OrderData, source: str) -> IntakeResult:
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(store=store, external_id=data.external_id).first()
        if order is not None:
            return IntakeResult(_store_status_sync(order, data, now), order)
        rules = store_rules(store=store)
        verdict = _verdict(data, rules)
        if verdict is not None:
            return IntakeResult(Ingested.SKIPPED, verdict=verdict)
        context = _context(store, rules, [data], now)
        plan = _plan_new(data, context)
        order = _order_row(store, data, plan, now)
        order.save()
        items = OrderItem.objects.bulk_create(_item_rows(order, data, plan))
        OrderHold.objects.bulk_create(_hold_rows(order, plan.causes))
        printfiles.print_files_add(groups=[(items, plan.print_files)], new_items=True)
        _holds_announce(store, plan.causes)
    logger.info(
        "orders.intake.created",
        extra={"store_id": store.pk, "order_id": order.pk, "source": source, "status": order.status},
    )
    return IntakeResult(Ingested.CREATED, order, print_files=plan.print_files)


def orders_intake_batch(
    *, store: Store, orders: Sequence[OrderData], source: str = IntakeSource.FEED
) -> list[IntakeResult]:
    """New orders (e.g. one feed page, none of them here yet) through the pipeline together: the store's rules, the
    variants and the shipping methods of the whole batch are read in a few queries, and the orders are created in
    one transaction. One result per order, in order.

    When one of them is here after all (a concurrent run), nothing of the batch is written and each order goes
    through order_intake on its own instead, which is idempotent.
    """
    now = timezone.now()
    rules = store_rules(store=store)
    results: list[IntakeResult | None] = [None] * len(orders)
    to_create: list[int] = []
    for index, data in enumerate(orders):
        verdict = _verdict(data, rules)
        if verdict is None:
            to_create.append(index)
        else:
            results[index] = IntakeResult(Ingested.SKIPPED, verdict=verdict)
    if to_create:
        datas = [orders[index] for index in to_create]
        context = _context(store, rules, datas, now)
        plans = [_plan_new(data, context) for data in datas]
        try:
            with transaction.atomic():
                created = Order.objects.bulk_create(
                    [_order_row(store, data, plan, now) for data, plan in zip(datas, plans, strict=True)]
                )
                pairs = list(zip(created, datas, plans, strict=True))
                items = OrderItem.objects.bulk_create([i for o, d, p in pairs for i in _item_rows(o, d, p)])
                OrderHold.objects.bulk_create([h for o, _d, p in pairs for h in _hold_rows(o, p.causes)])
                by_order: dict[int, list[OrderItem]] = {}
                for item in items:
                    by_order.setdefault(item.order_id, []).append(item)
                printfiles.print_files_add(
                    groups=[(by_order.get(o.pk, []), p.print_files) for o, _d, p in pairs], new_items=True
                )
                _holds_announce(store, [cause for plan in plans for cause in plan.causes])
        except IntegrityError:
            for index in to_create:
                results[index] = order_intake(store=store, data=orders[index], source=source)
        else:
            for index, order, plan in zip(to_create, created, plans, strict=True):
                results[index] = IntakeResult(Ingested.CREATED, order, print_files=plan.print_files)
    return [result for result in results if result is not None]


def _store_status_sync(order: Order, data: OrderData, now: datetime) -> str:
    """For an order already here: the store's status, and what else the store changed. A cancellation in the store
    cancels here, unless production has started (CANCEL_REFUSED: the caller raises an Error for a person). An edit of
    its lines, address, customer or shipping method is never applied by itself: it is a change a person decides on
    (orders.source_changes), holding the order until then if its production has not started."""
    before = order.status
    outcome = _apply_store_status(order, data)
    order.synced_at = now
    fields = ["store_status", "financial_status", "status", "synced_at", "updated_at"]
    if data.updated_at is not None:
        order.store_updated_at = data.updated_at
        fields.append("store_updated_at")
    if order.status == Order.Status.CANCELLED and before == Order.Status.ON_HOLD:
        fields += _holds_clear(order)  # a cancelled order holds nothing any more
    order.save(update_fields=fields)
    if order.status != before:
        _status_change_record(
            order, before, source=OrderStatusChange.Source.STORE, note=f"{data.store_status} in the store", at=now
        )
    if not data.lines:
        return outcome  # a status-only notice (no lines to compare): nothing else to see
    detected = source_changes.source_change_detect(order=order, data=data, now=now)
    if detected.reprocess:
        orders_reprocess(store=order.store, order_ids=[order.pk])
    if detected.written and outcome == Ingested.UNCHANGED:
        outcome = Ingested.UPDATED
    return outcome


def _holds_clear(order: Order) -> list[str]:
    """Drop an order's hold causes (it leaves on_hold) and update the store's Errors; returns the fields to save."""
    holds = OrderHold.objects.filter(order=order)
    causes = [HoldCause(reason, key, "", "") for reason, key in holds.values_list("reason", "key")]
    if not causes:
        return []
    OrderHold.objects.filter(order=order).delete()
    order.hold_reason, order.hold_detail = Order.HoldReason.NONE, ""
    _holds_announce(order.store, causes)
    return ["hold_reason", "hold_detail"]


def _apply_store_status(order: Order, data: OrderData) -> str:
    changed = order.store_status != data.store_status or order.financial_status != data.financial_status
    order.store_status, order.financial_status = data.store_status, data.financial_status
    if data.store_status in STORE_CANCELLED_STATUSES and order.status in _PRODUCTION_STARTED:
        return Ingested.CANCEL_REFUSED if changed else Ingested.UNCHANGED
    if data.store_status in STORE_CANCELLED_STATUSES and order.status not in _FINAL_STATUSES:
        order.status = Order.Status.CANCELLED
        changed = True
    return Ingested.UPDATED if changed else Ingested.UNCHANGED


def _order_row(store: Store, data: OrderData, plan: OrderPlan, now: datetime) -> Order:
    return Order(
        store=store,
        client_id=store.client_id,
        external_id=data.external_id,
        number=data.number,
        store_status=data.store_status,
        financial_status=data.financial_status,
        status=plan.status,
        hold_reason=plan.hold_reason,
        hold_detail=plan.hold_detail,
        psp_shipping_method_id=plan.psp_shipping_method_id,
        shipping_method_chosen=data.psp_shipping_method_id is not None,
        placed_at=data.placed_at,
        currency=data.currency,
        total=data.total,
        customer_name=data.customer_name[:200],
        customer_email=data.customer_email,
        shipping_address=data.shipping_address,
        shipping_method=data.shipping_method[:200],
        is_test=data.is_test,
        synced_at=now,
        store_updated_at=data.updated_at,
    )


def _item_rows(order: Order, data: OrderData, plan: OrderPlan) -> list[OrderItem]:
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
            store_product_type=line.product_type[:10],
            catalog_uid=line.catalog_uid[:64],
            store_variant_id=mapped.store_variant_id,
            catalog_product_id=mapped.catalog_product_id,
            kind=mapped.kind,
            design_file_url=mapped.design_file_url,
            print_specs=mapped.print_specs,
        )
        for line, mapped in zip(data.lines, plan.lines, strict=True)
    ]


def _hold_rows(order: Order, causes: Iterable[HoldCause]) -> list[OrderHold]:
    return [OrderHold(order=order, store_id=order.store_id, reason=cause.reason, key=cause.key) for cause in causes]


def _holds_announce(store: Store, causes: Iterable[HoldCause]) -> None:
    """Tell integrations which causes changed, inside the transaction: the store's Errors commit with the holds."""
    unique: dict[tuple[str, str], HoldCause] = {}
    for cause in causes:  # a cause with its words (from a plan) wins over the same cause without
        if cause.problem or (cause.reason, cause.key) not in unique:
            unique[(cause.reason, cause.key)] = cause
    if unique:
        order_holds_changed.send(sender=Order, store=store, causes=[unique[key] for key in sorted(unique)])


# --- re-processing held orders -------------------------------------------------------------------------------------

REPROCESS_CHUNK = 200


@dataclass(frozen=True)
class Reprocessed:
    released: int = 0
    still_held: int = 0
    # Not on hold any more when their turn came (released, cancelled or moved on meanwhile).
    skipped: int = 0

    def __add__(self, other: Reprocessed) -> Reprocessed:
        return Reprocessed(
            self.released + other.released, self.still_held + other.still_held, self.skipped + other.skipped
        )


def orders_reprocess(*, store: Store, order_ids: Iterable[int], actor: Any = None) -> Reprocessed:
    """Take held orders of the store through mapping and shipping again, with today's mappings and settings: those
    held by nothing any more go on_hold -> received (history source "pipeline"); the others get their new detail.
    One transaction per order; the store's variants and shipping methods are read once per chunk."""
    ids = sorted(set(order_ids))
    total = Reprocessed()
    for start in range(0, len(ids), REPROCESS_CHUNK):
        total += _reprocess_chunk(store, ids[start : start + REPROCESS_CHUNK], actor)
    return total


def _reprocess_chunk(store: Store, ids: list[int], actor: Any) -> Reprocessed:
    orders = list(
        Order.objects.filter(store=store, pk__in=ids, status=Order.Status.ON_HOLD).prefetch_related(
            "items__print_files", "holds"
        )
    )
    if not orders:
        return Reprocessed(skipped=len(ids))
    items = [item for order in orders for item in order.items.all()]
    context = _Context(
        rules=store_rules(store=store),
        variants=_variants_by_key(store, [intake.variant_key(item) for item in items]),
        shipping=_shipping_read(store, {intake.shipping_key(o.shipping_method) for o in orders if o.shipping_method}),
        catalog=catalog_by_uid(item.catalog_uid for item in items),
    )
    outcome = Reprocessed(skipped=len(ids) - len(orders))
    for order in orders:
        outcome += _reprocess_one(order, context, actor)
    return outcome


def _reprocess_one(order: Order, context: _Context, actor: Any) -> Reprocessed:
    with transaction.atomic():
        locked = Order.objects.select_for_update().filter(pk=order.pk, status=Order.Status.ON_HOLD).first()
        if locked is None:
            return Reprocessed(skipped=1)
        items = list(order.items.all())
        # Their words are not needed: the store's Errors for them keep theirs, with the new count.
        before = [HoldCause(h.reason, h.key, "", "") for h in order.holds.all()]
        was = locked.get_hold_reason_display().lower()
        chosen = locked.psp_shipping_method_id if locked.shipping_method_chosen else None
        plan = _plan(items, [item.store_product_type for item in items], locked.shipping_method, context, chosen)
        plan = _with_print_files(plan, items, {cause.key for cause in before if cause.reason == HoldReasons.PRINT_FILE})
        if any(cause.reason == HoldReasons.CHANGED_AT_SOURCE for cause in before):
            # Not re-derived from mappings: it lasts until a person decides on the store's change.
            change = source_changes.pending_change(locked)
            if change is not None:
                plan = replace(plan, causes=(*plan.causes, source_changes.hold_cause(locked, change)))
        for item, mapped in zip(items, plan.lines, strict=True):
            item.store_variant_id, item.catalog_product_id = mapped.store_variant_id, mapped.catalog_product_id
            item.kind, item.design_file_url, item.print_specs = mapped.kind, mapped.design_file_url, mapped.print_specs
        OrderItem.objects.bulk_update(
            items, ["store_variant", "catalog_product", "kind", "design_file_url", "print_specs"]
        )
        OrderHold.objects.filter(order=locked).delete()
        OrderHold.objects.bulk_create(_hold_rows(locked, plan.causes))
        printfiles.print_files_add(groups=[(items, plan.print_files)])
        locked.psp_shipping_method_id = plan.psp_shipping_method_id
        locked.hold_reason, locked.hold_detail = plan.hold_reason, plan.hold_detail
        locked.save(update_fields=["psp_shipping_method", "hold_reason", "hold_detail", "updated_at"])
        if not plan.held:
            order_status_change(
                order=locked,
                to_status=Order.Status.RECEIVED,
                source=OrderStatusChange.Source.PIPELINE,
                actor=actor,
                note=f"Released: re-processed after the fix, nothing holds it any more (was held: {was}).",
            )
        _holds_announce(locked.store, [*before, *plan.causes])
    order.status, order.hold_reason, order.hold_detail = locked.status, locked.hold_reason, locked.hold_detail
    return Reprocessed(still_held=1) if plan.held else Reprocessed(released=1)


HoldReasons = Order.HoldReason


def _with_print_files(plan: OrderPlan, items: list[OrderItem], held_keys: set[str]) -> OrderPlan:
    """The plan's causes with what the order's print files hold it for: a line with a file row is not "missing a
    file" (a replacement was given), while a bad file, or a replacement not checked yet, still holds."""
    with_files = printfiles.items_with_files(items)
    causes = [
        cause
        for cause in plan.causes
        if not (
            cause.reason == HoldReasons.PRINT_FILE
            and cause.key.startswith(intake.MISSING_FILE_PREFIX)
            and cause.key.removeprefix(intake.MISSING_FILE_PREFIX) in with_files
        )
    ]
    causes += printfiles.print_file_causes(items=items, held_keys=held_keys)
    return replace(plan, causes=tuple(causes))


def holds_announce(store: Store, causes: Iterable[HoldCause]) -> None:
    _holds_announce(store, causes)


def order_reprocess(*, order: Order, actor: Any) -> Order:
    """ "Re-process" on a held order: mapping and shipping again with today's settings; released if nothing holds
    it any more, otherwise still held with what is left to fix."""
    if order.status != Order.Status.ON_HOLD:
        raise ApplicationError(
            f"Order {order.number} is {order.get_status_display().lower()}, not on hold: only held orders are "
            "re-processed."
        )
    outcome = orders_reprocess(store=order.store, order_ids=[order.pk], actor=actor)
    if outcome.skipped:
        raise ApplicationError(f"Order {order.number} was no longer on hold; nothing to re-process.")
    order.refresh_from_db()
    return order


def order_sync_states(*, store: Store, external_ids: list[str]) -> dict[str, tuple[str, str, datetime | None]]:
    """external id -> (store status, financial status, the store's last change as last read) of the orders already
    here, in one query."""
    # No ORDER BY: with Order's default ordering SQLite walks the store's (store, placed_at) index, every order of the
    # store for every page; unordered, it looks the ids up in the (store, external_id) unique index.
    rows = (
        Order.objects.filter(store=store, external_id__in=external_ids)
        .order_by()
        .values_list("external_id", "store_status", "financial_status", "store_updated_at")
    )
    return {external_id: (status, financial, changed) for external_id, status, financial, changed in rows}


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
        fields = ["status", "updated_at"]
        if before == Order.Status.ON_HOLD:
            # Released or cancelled by hand: nothing holds it any more, so its causes stop counting in the store's
            # Errors (OrderHold rows exist only for orders on hold).
            fields += _holds_clear(locked)
        locked.save(update_fields=fields)
        change = _status_change_record(locked, before, source=source, actor=actor, note=note.strip(), at=now)
    order.status, order.updated_at = locked.status, locked.updated_at
    return change


def status_change_record(
    order: Order, before: str, *, source: str, at: datetime, actor: Any = None, note: str = ""
) -> OrderStatusChange:
    """The history entry and outbox row of a status the caller has just saved (inside its transaction)."""
    return _status_change_record(order, before, source=source, at=at, actor=actor, note=note)


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


# Up to this many held orders are re-processed in the request that fixed their cause (the page can then say how many
# were released); more go to a Celery task, so saving a bulk mapping import stays quick.
REPROCESS_INLINE_MAX = 100


def orders_reprocess_soon(*, store: Store, order_ids: Sequence[int], actor: Any = None) -> Reprocessed | None:
    """Re-process held orders now when they are few (returns what happened), else in a task once committed (None)."""
    ids = sorted(set(order_ids))
    if len(ids) <= REPROCESS_INLINE_MAX:
        return orders_reprocess(store=store, order_ids=ids, actor=actor)
    from printconnect.orders.tasks import orders_reprocess_task  # tasks import services: imported when needed

    transaction.on_commit(lambda: orders_reprocess_task.delay(store.pk, ids))
    return None


# --- a store's Shipping settings (one service per form of the page) --------------------------------------------


def _settings_for_update(store: Store) -> StoreOrderSettings:
    StoreOrderSettings.objects.get_or_create(store=store)
    return StoreOrderSettings.objects.select_for_update().get(store=store)


def _active_method(method: Any, *, what: str, field: str) -> ShippingMethod | None:
    if method is None:
        return None
    if not isinstance(method, ShippingMethod) or not method.active:
        raise ApplicationError(
            f"{what}: {getattr(method, 'name', method)} is not an active shipping method of the print shop; pick "
            "another one.",
            field=field,
        )
    return method


def store_shipping_methods_save(
    *, store: Store, mappings: dict[int, ShippingMethod | None], default_method: ShippingMethod | None, actor: Any
) -> Reprocessed | None:
    """Map the store's shipping method names (StoreShippingMethod pk -> PSP method, or None to unmap) and set its
    default method, in one transaction; then release the orders held for an unknown shipping method that now have
    one. Returns what the release did (None: many orders, released by a task in a moment)."""
    with transaction.atomic():
        settings = _settings_for_update(store)
        rows = {row.pk: row for row in StoreShippingMethod.objects.select_for_update().filter(store=store)}
        unknown = sorted(set(mappings) - set(rows))
        if unknown:
            raise ApplicationError("A shipping method of this list is no longer there; reload the page and try again.")
        changed: list[StoreShippingMethod] = []
        for pk, method in mappings.items():
            row = rows[pk]
            method = _active_method(method, what=f"Shipping method '{row.name}'", field=f"method_{pk}")
            if row.shipping_method_id != (method.pk if method else None):
                row.shipping_method = method
                changed.append(row)
        if changed:
            StoreShippingMethod.objects.bulk_update(changed, ["shipping_method", "updated_at"])
        default_method = _active_method(default_method, what="Default shipping method", field="default_method")
        settings.default_shipping_method = default_method
        settings.save(update_fields=["default_shipping_method", "updated_at"])
    logger.info(
        "orders.shipping_methods_saved",
        extra={"store_id": store.pk, "actor_id": getattr(actor, "pk", None), "changed": len(changed)},
    )
    # With a default every order held for its shipping method has one now; without, only the mapped names do.
    keys = None if default_method else [intake.shipping_key(r.name) for r in rows.values() if r.shipping_method_id]

    ids = held_order_ids_for_causes(store=store, reason=Order.HoldReason.UNKNOWN_SHIPPING_METHOD, keys=keys)
    return orders_reprocess_soon(store=store, order_ids=ids, actor=actor) if ids else Reprocessed()


def store_shipping_methods_offer(*, store: Store, methods: Sequence[ShippingMethod]) -> int:
    """The print shop's methods a checkout offered this store's shoppers under their code (the Infigo shipping
    rates): each code becomes one of the store's shipping method names, mapped to its method, so an order naming it
    maps back without anyone mapping it by hand. Names the store already has keep their mapping. Returns how many
    names were added."""
    wanted = {intake.shipping_key(method.code): method for method in methods}
    if not wanted:
        return 0
    existing = set(
        StoreShippingMethod.objects.annotate(key=Lower("name"))
        .filter(store=store, key__in=sorted(wanted))
        .values_list("key", flat=True)
    )
    now = timezone.now()
    rows = [
        StoreShippingMethod(store=store, name=method.code, shipping_method=method, last_seen_at=now)
        for key, method in wanted.items()
        if key not in existing
    ]
    if rows:
        StoreShippingMethod.objects.bulk_create(rows, ignore_conflicts=True)  # a concurrent request added it
    return len(rows)


@dataclass(frozen=True)
class CarrierRuleData:
    pattern: str
    carrier: Carrier | None


def store_carriers_save(
    *, store: Store, rules: Sequence[CarrierRuleData], default_carrier: Carrier | None, actor: Any
) -> list[CarrierRule]:
    """Replace the store's carrier rules (in this order: the first matching pattern wins) and its default carrier.
    Rows without a pattern are dropped; a bad one names its row and the problem, and nothing is saved."""
    kept: list[CarrierRule] = []
    for number, rule in enumerate(rules, start=1):
        pattern = (rule.pattern or "").strip()
        if not pattern and rule.carrier is None:
            continue
        if not pattern:
            raise ApplicationError(f"Carrier rule {number}: give the tracking number pattern, or clear the row.")
        if len(pattern) > CarrierRule._meta.get_field("pattern").max_length:
            raise ApplicationError(f"Carrier rule {number}: the pattern is longer than 200 characters.")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ApplicationError(
                f"Carrier rule {number}: “{pattern}” is not a valid regular expression ({exc}). Fix it, e.g. "
                r"^1Z[0-9A-Z]{16}$ for UPS, or clear the row."
            ) from exc
        if rule.carrier is None or not rule.carrier.active:
            raise ApplicationError(f"Carrier rule {number}: choose an active carrier for “{pattern}”.")
        kept.append(CarrierRule(store=store, position=len(kept) + 1, pattern=pattern, carrier=rule.carrier))
    if default_carrier is not None and not default_carrier.active:
        raise ApplicationError(f"Default carrier: {default_carrier.name} is inactive; pick an active carrier.")
    with transaction.atomic():
        settings = _settings_for_update(store)
        CarrierRule.objects.filter(store=store).delete()
        created = CarrierRule.objects.bulk_create(kept)
        settings.default_carrier = default_carrier
        settings.save(update_fields=["default_carrier", "updated_at"])
    logger.info("orders.carriers_saved", extra={"store_id": store.pk, "actor_id": getattr(actor, "pk", None)})
    return created


def carrier_for_tracking_number(*, store: Store, tracking_number: str) -> tuple[Carrier | None, CarrierRule | None]:
    """The carrier a tracking number goes with: the first of the store's rules (with an active carrier) whose pattern
    matches, in any letter case and anywhere in the number (use ^...$ to match it whole), else the store's default
    carrier if active (rule None), else none. Shipments use it, and the Shipping settings' "test a tracking number"
    shows what they will get."""
    number = tracking_number.strip()
    rules = CarrierRule.objects.filter(store=store, carrier__active=True).select_related("carrier")
    for rule in rules.order_by("position", "pk"):
        try:
            if number and re.search(rule.pattern, number, flags=re.IGNORECASE):
                return rule.carrier, rule
        except re.error:  # saved before patterns were checked (store_carriers_save refuses them): skip the rule
            logger.warning("orders.carrier_rule.bad_pattern", extra={"rule_id": rule.pk, "store_id": store.pk})
    settings = StoreOrderSettings.objects.filter(store=store).select_related("default_carrier").first()
    if settings and settings.default_carrier and settings.default_carrier.active:
        return settings.default_carrier, None
    return None, None


def store_intake_rules_save(
    *, store: Store, non_printable_rule: str, fulfilment: str, actor: Any
) -> Reprocessed | None:
    """How the store's non-printable lines are treated, and which fulfilment channel's orders it takes; orders held
    for their stock lines are re-processed when the rule no longer holds them."""
    if non_printable_rule not in StoreOrderSettings.NonPrintableRule.values:
        raise ApplicationError("Choose what happens to lines that are not printed.", field="non_printable_rule")
    if fulfilment not in StoreOrderSettings.Fulfilment.values:
        raise ApplicationError("Choose who ships this store's orders.", field="fulfilment")
    with transaction.atomic():
        settings = _settings_for_update(store)
        settings.non_printable_rule, settings.fulfilment = non_printable_rule, fulfilment
        settings.save(update_fields=["non_printable_rule", "fulfilment", "updated_at"])
    if non_printable_rule == StoreOrderSettings.NonPrintableRule.HOLD:
        return Reprocessed()
    ids = held_order_ids_for_causes(store=store, reason=Order.HoldReason.NON_PRINTABLE_LINE)
    return orders_reprocess_soon(store=store, order_ids=ids, actor=actor) if ids else Reprocessed()


@dataclass(frozen=True)
class BulkStatusResult:
    changed: list[Order]
    # (order, why it was refused): the others were still moved.
    refused: list[tuple[Order, str]]


BULK_STATUS_MAX = 100


def orders_status_change_bulk(
    *, orders: Sequence[Order], to_status: str, source: str, actor: Any = None, note: str = ""
) -> BulkStatusResult:
    """Move each order to `to_status` through order_status_change, one transaction per order: an order the
    production flow does not let go there is listed with the reason, the others are moved."""
    if to_status not in Order.Status.values:
        raise ApplicationError("Choose the status to move the selected orders to.", field="status")
    if not orders:
        raise ApplicationError("Select at least one order.", field="orders")
    if len(orders) > BULK_STATUS_MAX:
        raise ApplicationError(f"Select at most {BULK_STATUS_MAX} orders at a time.", field="orders")
    changed: list[Order] = []
    refused: list[tuple[Order, str]] = []
    for order in orders:
        try:
            order_status_change(order=order, to_status=to_status, source=source, actor=actor, note=note)
        except ApplicationError as exc:
            refused.append((order, exc.message))
        else:
            changed.append(order)
    return BulkStatusResult(changed=changed, refused=refused)
