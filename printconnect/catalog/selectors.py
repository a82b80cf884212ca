"""Reads of synced store products for the feeds (permission-scoped portal selectors come with the portal pages)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Q, QuerySet

from printconnect.catalog.models import StoreProduct, StoreVariant
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
