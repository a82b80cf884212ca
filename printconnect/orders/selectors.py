import base64
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from printconnect.catalog.models import StoreVariant
from printconnect.orders.models import (
    CarrierRule,
    Order,
    OrderHold,
    OrderItem,
    OrderSourceChange,
    OrderStatusChange,
    OutboxEvent,
    PrintFile,
    Shipment,
    StoreOrderSettings,
    StoreShippingMethod,
)
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


# --- order lists and the order page -------------------------------------------------------------------------------

ORDER_PAGE_SIZE = 25


@dataclass(frozen=True)
class OrderFilters:
    """What an order list is narrowed to. Ids are checked by the view against the choices it offers."""

    client_id: int | None = None
    store_id: int | None = None
    status: str = ""
    hold_reason: str = ""
    placed_from: date | None = None
    placed_to: date | None = None
    test: str = ""  # "test", "real" or "" for both
    search: str = ""


@dataclass(frozen=True)
class OrderPage:
    orders: list[Order]
    # Opaque cursors for the next (older) and previous (newer) page; empty when there is none.
    next_cursor: str
    previous_cursor: str
    first_page: bool


def cursor_encode(order: Order) -> str:
    raw = f"{order.placed_at.isoformat()}|{order.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[datetime, int] | None:
    """(placed_at, pk) of a cursor, or None when it is not one (an edited or truncated link: show the first page)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        placed, pk = raw.rsplit("|", 1)
        placed_at = datetime.fromisoformat(placed)
        return (placed_at, int(pk)) if placed_at.tzinfo else None
    except (ValueError, UnicodeDecodeError):
        return None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _looks_like_order_number(term: str) -> bool:
    """One word with a digit and no "@": an order number, not a customer's name or email."""
    return any(ch.isdigit() for ch in term) and " " not in term and "@" not in term


def orders_filtered(*, orders: QuerySet[Order], filters: OrderFilters) -> QuerySet[Order]:
    """`orders` (already scoped to what the reader may see) narrowed by the list's filters and search."""
    if filters.client_id:
        orders = orders.filter(client_id=filters.client_id)
    if filters.store_id:
        orders = orders.filter(store_id=filters.store_id)
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.hold_reason:
        # Only held orders carry a reason that counts (a released order keeps none); the partial index covers this.
        orders = orders.filter(status=Order.Status.ON_HOLD, hold_reason=filters.hold_reason)
    if filters.placed_from:
        orders = orders.filter(placed_at__gte=_day_start(filters.placed_from))
    if filters.placed_to:
        orders = orders.filter(placed_at__lt=_day_start(filters.placed_to + timedelta(days=1)))
    if filters.test == "test":
        orders = orders.filter(is_test=True)
    elif filters.test == "real":
        orders = orders.filter(is_test=False)
    term = filters.search.strip()
    if term and _looks_like_order_number(term):
        # "#1042" or "1042" or "WC-1042": the number only, on its index (a substring search over a million names
        # and emails is a sequential scan: about 2 s on PostgreSQL).
        orders = orders.filter(Q(number__iexact=term.lstrip("#")) | Q(number__iexact=term))
    elif term:
        orders = orders.filter(Q(customer_name__icontains=term) | Q(customer_email__icontains=term))
    return orders


def orders_page(
    *, orders: QuerySet[Order], after: str = "", before: str = "", size: int = ORDER_PAGE_SIZE
) -> OrderPage:
    """One page of `orders`, newest first, by keyset on (placed_at, pk): the page after `after` (older orders) or
    before `before` (newer ones), else the first. No COUNT and no OFFSET, so page 40,000 costs what page 1 does, and
    an order arriving meanwhile does not shift the rows of the page one is on. One query."""
    orders = orders.select_related("store", "client").order_by()
    after_key, before_key = cursor_decode(after) if after else None, cursor_decode(before) if before else None
    if before_key is not None:
        at, pk = before_key
        # The newer side, read upwards from the cursor and turned round. placed_at >= at bounds the index scan.
        rows = list(
            orders.filter(Q(placed_at__gt=at) | Q(placed_at=at, pk__gt=pk), placed_at__gte=at).order_by(
                "placed_at", "pk"
            )[: size + 1]
        )
        more_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        if not rows:  # nothing newer any more: the first page
            return orders_page(orders=orders, size=size)
        return OrderPage(
            orders=rows,
            next_cursor=cursor_encode(rows[-1]),
            previous_cursor=cursor_encode(rows[0]) if more_newer else "",
            first_page=not more_newer,
        )
    if after_key is not None:
        at, pk = after_key
        orders = orders.filter(Q(placed_at__lt=at) | Q(placed_at=at, pk__lt=pk), placed_at__lte=at)
    rows = list(orders.order_by("-placed_at", "-pk")[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return OrderPage(
        orders=rows,
        next_cursor=cursor_encode(rows[-1]) if more_older and rows else "",
        previous_cursor=cursor_encode(rows[0]) if after_key is not None and rows else "",
        first_page=after_key is None,
    )


def order_for_page(*, orders: QuerySet[Order], pk: int) -> Order:
    """One order with everything its page shows, in a fixed number of queries; 404 outside `orders`."""
    return get_object_or_404(
        orders.select_related("store", "client", "psp_shipping_method").prefetch_related(
            Prefetch(
                "items",
                queryset=OrderItem.objects.select_related("catalog_product")
                .prefetch_related(Prefetch("print_files", queryset=PrintFile.objects.order_by("pk")))
                .order_by("pk"),
            ),
            Prefetch(
                "shipments",
                queryset=Shipment.objects.select_related("carrier")
                .prefetch_related("items__item")
                .order_by("shipped_at", "pk"),
            ),
            Prefetch("status_changes", queryset=OrderStatusChange.objects.select_related("actor").order_by("at", "pk")),
            Prefetch("holds", queryset=OrderHold.objects.order_by("pk")),
            Prefetch(
                "source_changes",
                queryset=OrderSourceChange.objects.select_related("decided_by").order_by("-detected_at", "-pk"),
            ),
            # Deliveries are the integrations app's rows; reached through their relation, orders imports nothing of
            # it (the layering rule).
            Prefetch(
                "outbox_events",
                queryset=OutboxEvent.objects.order_by("pk").prefetch_related("deliveries__subscription"),
            ),
        ),
        pk=pk,
    )
