from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, QuerySet

from printconnect.catalog.models import StoreVariant
from printconnect.orders.models import CarrierRule, Order, OrderHold, OrderItem, StoreOrderSettings, StoreShippingMethod
from printconnect.storefronts.models import Store

# Ids per IN list: well inside SQLite's bound-parameter limit.
_LOOKUP_CHUNK = 500


def held_orders_for_variants(*, store: Store, variant_ids: Iterable[int]) -> QuerySet[Order]:
    """The store's orders on hold that contain any of these variants: the orders a new mapping may release.

    An order line names a variant by the store's variation id, or, for a simple product (no variations), only by
    the product id, which is then also its one variant's external id. A bulk import may change 100,000 variants
    while a handful of orders are held, so this starts from the held orders' lines: its queries grow with the held
    lines, not with the variants changed.
    """
    wanted = set(variant_ids)
    if not wanted:
        return Order.objects.none()
    held_lines = (
        OrderItem.objects.filter(order__store=store, order__status=Order.Status.ON_HOLD)
        .order_by()
        .values_list("order_id", "external_variant_id", "external_product_id")
    )
    orders_by_external_id: dict[str, set[int]] = defaultdict(set)
    for order_id, variant_external_id, product_external_id in held_lines.iterator(chunk_size=2000):
        orders_by_external_id[variant_external_id or product_external_id].add(order_id)
    order_ids: set[int] = set()
    external_ids = list(orders_by_external_id)
    for start in range(0, len(external_ids), _LOOKUP_CHUNK):
        rows = StoreVariant.objects.filter(store=store, external_id__in=external_ids[start : start + _LOOKUP_CHUNK])
        for external_id, pk in rows.order_by().values_list("external_id", "pk"):
            if pk in wanted:
                order_ids |= orders_by_external_id[external_id]
    return Order.objects.filter(pk__in=sorted(order_ids)) if order_ids else Order.objects.none()


def held_order_ids_for_causes(*, store: Store, reason: str, keys: Iterable[str] | None = None) -> list[int]:
    """The store's held orders that this kind of cause holds (any key, or only these keys)."""
    holds = OrderHold.objects.filter(store=store, reason=reason)
    if keys is not None:
        holds = holds.filter(key__in=list(keys))
    return sorted(set(holds.values_list("order_id", flat=True)))


def hold_cause_counts(*, store: Store, causes: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(reason, key) -> how many of the store's orders it holds now; causes holding none are absent. One query on
    the (store, reason, key) index: OrderHold rows exist only while their order is on hold."""
    wanted = set(causes)
    if not wanted:
        return {}
    rows = (
        OrderHold.objects.filter(store=store, reason__in={r for r, _ in wanted}, key__in={k for _, k in wanted})
        .order_by()
        .values_list("reason", "key")
        .annotate(orders=Count("pk"))
    )
    return {(reason, key): count for reason, key, count in rows if (reason, key) in wanted}


def held_orders_for_store(*, store: Store) -> QuerySet[Order]:
    """The store's orders on hold, oldest first (the first to fix); hold_detail says what holds each."""
    return (
        Order.objects.filter(store=store, status=Order.Status.ON_HOLD)
        .order_by("placed_at", "pk")
        .prefetch_related("items__print_files")
    )


def store_shipping_methods_seen(*, store: Store) -> list[StoreShippingMethod]:
    """Every shipping method name seen in the store's orders, with `held`: how many orders it holds now."""
    rows = list(StoreShippingMethod.objects.filter(store=store).select_related("shipping_method").order_by("name"))
    held = dict(
        OrderHold.objects.filter(store=store, reason=Order.HoldReason.UNKNOWN_SHIPPING_METHOD)
        .order_by()
        .values_list("key")
        .annotate(orders=Count("pk"))
    )
    for row in rows:
        row.held = held.get(row.name.strip().lower(), 0)
    return rows


def store_order_settings(*, store: Store) -> StoreOrderSettings:
    """The store's intake settings, or an unsaved row with the defaults (a store gets a row when first saved)."""
    return StoreOrderSettings.objects.filter(store=store).first() or StoreOrderSettings(store=store)


def carrier_rules_for_store(*, store: Store) -> QuerySet[CarrierRule]:
    return CarrierRule.objects.filter(store=store).select_related("carrier").order_by("position", "pk")
