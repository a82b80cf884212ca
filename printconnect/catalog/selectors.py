"""Reads of the PSP catalog (staff), and of synced store products for the feeds (portal selectors come with the portal
pages)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, F, Prefetch, Q, QuerySet

from printconnect.catalog.models import (
    Carrier,
    CatalogProduct,
    ShippingMethod,
    ShippingRate,
    StoreProduct,
    StoreVariant,
)
from printconnect.storefronts.models import Store


def store_product_external_ids(*, store: Store, external_ids: Iterable[str]) -> set[str]:
    """Which of these products are here already, in one query."""
    rows = StoreProduct.objects.filter(
        store=store, external_id__in=list(external_ids)
    ).order_by()  # by the unique index
    return set(rows.values_list("external_id", flat=True))


def store_products_awaiting_images(*, store: Store) -> QuerySet[StoreProduct]:
    """Products whose images were never fetched (newly created ones), oldest first."""
    return StoreProduct.objects.filter(store=store, active=True, images_synced_at__isnull=True).order_by("pk")


def store_variants_without_stock(*, store: Store) -> QuerySet[StoreVariant]:
    """Active variants with no printconnect stock level yet: the stock import reads theirs from the store."""
    return (
        StoreVariant.objects.filter(store=store, active=True, product__active=True, stock_quantity__isnull=True)
        .select_related("product")
        .order_by("pk")
    )


def store_variants_stock_to_export(*, store: Store) -> QuerySet[StoreVariant]:
    """Active variants whose printconnect stock level differs from what the store last accepted."""
    return (
        StoreVariant.objects.filter(store=store, active=True, product__active=True, stock_quantity__isnull=False)
        .filter(Q(stock_exported_quantity__isnull=True) | ~Q(stock_exported_quantity=F("stock_quantity")))
        .select_related("product")
        .order_by("pk")
    )


# --- the PSP catalog (staff) ----------------------------------------------------------------------------------------


def _active_filter(qs: QuerySet, active: bool | None) -> QuerySet:
    return qs if active is None else qs.filter(active=active)


def catalog_products_list(*, search: str = "", kind: str = "", active: bool | None = None) -> QuerySet[CatalogProduct]:
    """Catalog products by UID; `search` matches part of the UID or name, whatever the case."""
    qs = CatalogProduct.objects.order_by("uid", "pk")
    search = search.strip()
    if search:
        qs = qs.filter(Q(uid__icontains=search) | Q(name__icontains=search))
    if kind:
        qs = qs.filter(kind=kind)
    return _active_filter(qs, active)


def carriers_list(*, search: str = "", active: bool | None = None) -> QuerySet[Carrier]:
    qs = Carrier.objects.annotate(method_count=Count("shipping_methods")).order_by("code", "pk")
    search = search.strip()
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search))
    return _active_filter(qs, active)


def shipping_methods_list(
    *, search: str = "", active: bool | None = None, carrier_id: int | None = None
) -> QuerySet[ShippingMethod]:
    """Shipping methods with their carrier and rates (prefetched: list pages show them)."""
    qs = (
        ShippingMethod.objects.select_related("carrier")
        .prefetch_related(Prefetch("rates", queryset=ShippingRate.objects.order_by("country_group", "currency")))
        .order_by("code", "pk")
    )
    search = search.strip()
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search) | Q(carrier__name__icontains=search))
    if carrier_id:
        qs = qs.filter(carrier_id=carrier_id)
    return _active_filter(qs, active)


def carriers_for_choice(*, include: Carrier | None = None) -> QuerySet[Carrier]:
    """Active carriers to pick for a shipping method, plus its current one even when inactive."""
    condition = Q(active=True)
    if include is not None:
        condition |= Q(pk=include.pk)
    return Carrier.objects.filter(condition).order_by("name", "pk")
