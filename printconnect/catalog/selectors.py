"""Reads of the PSP catalog (staff), of synced store products for the feeds, and of a store's products and their
mappings for the Products tab (portal and staff, scoped to what the user may see)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from printconnect.catalog.models import (
    Carrier,
    CatalogProduct,
    ShippingMethod,
    ShippingRate,
    StoreProduct,
    StoreVariant,
)
from printconnect.core import permissions as perms
from printconnect.core.models import User
from printconnect.storefronts.models import Store
from printconnect.storefronts.selectors import stores_for_user


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


# --- a store's products and their mappings (Products tab, Connect product) ---------------------------------------

CATALOG_SEARCH_LIMIT = 20


class MappingFilter:
    ALL = "all"
    MAPPED = "mapped"
    UNMAPPED = "unmapped"
    CHOICES = [(ALL, "All"), (MAPPED, "Mapped"), (UNMAPPED, "Unmapped")]


def catalog_products_by_uid(uids: Iterable[str]) -> dict[str, CatalogProduct]:
    """Active catalog products named by these UIDs in any case, keyed by lower-case UID, in one query (the form and
    the bulk import look UIDs up through this)."""
    wanted = {str(uid).strip().lower() for uid in uids if str(uid or "").strip()}
    if not wanted:
        return {}
    rows = CatalogProduct.objects.annotate(uid_lower=Lower("uid")).filter(uid_lower__in=wanted, active=True)
    return {row.uid.lower(): row for row in rows}


def catalog_products_search(*, search: str = "", kind: str = "") -> list[CatalogProduct]:
    """The picker of Connect product: active products whose UID or name contains `search`, the first few only."""
    qs = CatalogProduct.objects.filter(active=True).order_by("uid", "pk")
    search = search.strip()
    if search:
        qs = qs.filter(Q(uid__icontains=search) | Q(name__icontains=search))
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs[:CATALOG_SEARCH_LIMIT])


def product_stores_for_user(*, user: User, perm: str = perms.VIEW_STORE_PRODUCTS) -> QuerySet[Store]:
    """Stores whose products the user may see (or, with CHANGE_STORE_PRODUCTS, map); staff: every store."""
    return stores_for_user(user=user, perm=perm)


def store_variants_for_user(*, user: User) -> QuerySet[StoreVariant]:
    """Variants of the stores whose products the user may see, with what the Connect page shows."""
    return StoreVariant.objects.select_related("product", "store__client", "catalog_product").filter(
        store__in=product_stores_for_user(user=user)
    )


def _tab_variants(*, store: Store, search: str, include_inactive: bool) -> QuerySet[StoreVariant]:
    qs = StoreVariant.objects.filter(store=store)
    if not include_inactive:
        qs = qs.filter(active=True, product__active=True)
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(product__title__icontains=search)
            | Q(sku__icontains=search)
            | Q(product__sku__icontains=search)
            | Q(external_id=search)
            | Q(product__external_id=search)
        )
    return qs


def store_variants_tab(
    *, store: Store, mapping: str = MappingFilter.ALL, search: str = "", include_inactive: bool = False
) -> QuerySet[StoreVariant]:
    """The Products tab's rows: a store's variants with their product and catalog product, by product title.

    `search` matches part of the product title or SKU, or a store product/variant id exactly.
    """
    qs = _tab_variants(store=store, search=search, include_inactive=include_inactive)
    if mapping == MappingFilter.MAPPED:
        qs = qs.filter(catalog_product__isnull=False)
    elif mapping == MappingFilter.UNMAPPED:
        qs = qs.filter(catalog_product__isnull=True)
    return qs.select_related("product", "catalog_product").order_by("product__title", "product_id", "sku", "pk")


def store_variant_counts(*, store: Store, search: str = "", include_inactive: bool = False) -> dict[str, int]:
    """All / mapped / unmapped counts for the tab's filter pills (same search and inactive filter), in one query."""
    qs = _tab_variants(store=store, search=search, include_inactive=include_inactive).order_by()
    return qs.aggregate(
        **{
            MappingFilter.ALL: Count("pk"),
            MappingFilter.MAPPED: Count("pk", filter=Q(catalog_product__isnull=False)),
            MappingFilter.UNMAPPED: Count("pk", filter=Q(catalog_product__isnull=True)),
        }
    )
