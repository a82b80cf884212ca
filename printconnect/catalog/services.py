"""Actions on synced store products. Callers pass plain data (ProductData...), so catalog never depends on connectors.

Each action is one transaction. Store products mirror the store: upserted on (store, external id), never duplicated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from printconnect.catalog.models import StoreProduct, StoreVariant
from printconnect.core.exceptions import ApplicationError
from printconnect.storefronts.models import Store

_PRICE_STEP = Decimal("0.0001")  # StoreVariant.price's decimal places
_WEIGHT_STEP = Decimal("0.001")


@dataclass(frozen=True)
class VariantData:
    external_id: str
    sku: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)
    price: Decimal | None = None
    weight: Decimal | None = None


@dataclass(frozen=True)
class ProductData:
    external_id: str
    title: str
    variants: tuple[VariantData, ...]
    sku: str = ""
    product_type: str = StoreProduct.ProductType.NORMAL
    remote_updated_at: datetime | None = None


@dataclass(frozen=True)
class ProductImageData:
    external_id: str
    url: str
    alt: str = ""
    position: int = 0
    variant_ids: tuple[str, ...] = ()


class Upserted:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


# --- products and variants ---------------------------------------------------------------------------------------


def store_products_upsert(*, store: Store, products: Sequence[ProductData]) -> dict[str, str]:
    """Create or update products and their variants (e.g. one feed page) in one transaction.

    Variants the store no longer lists are marked inactive; stock levels are never touched here (printconnect is the
    stock master after the stock import). Returns external id -> created, updated or unchanged (an Upserted value).
    """
    if not products:
        return {}
    try:
        return _upsert_once(store, products)
    except IntegrityError:
        # Another run inserted some of these between our read and our write: they exist now, so this updates them.
        # Once only: a second IntegrityError is a real fault (e.g. one variant id under two products) and propagates.
        return _upsert_once(store, products)


def _upsert_once(store: Store, products: Sequence[ProductData]) -> dict[str, str]:
    now = timezone.now()
    outcomes: dict[str, str] = {}
    with transaction.atomic():
        ids = [data.external_id for data in products]
        existing = {
            product.external_id: product
            for product in StoreProduct.objects.select_for_update().filter(store=store, external_id__in=ids)
        }
        variants_of: dict[int, dict[str, StoreVariant]] = defaultdict(dict)
        for variant in StoreVariant.objects.filter(product__in=list(existing.values())):
            variants_of[variant.product_id][variant.external_id] = variant

        new_products: list[tuple[StoreProduct, ProductData]] = []
        changed_products: list[StoreProduct] = []
        unchanged_products: list[int] = []
        new_variants: list[StoreVariant] = []
        changed_variants: list[StoreVariant] = []
        seen_variants: list[int] = []
        for data in products:
            product = existing.get(data.external_id)
            if product is None:
                product = StoreProduct(store=store, external_id=data.external_id, synced_at=now)
                _set_product_fields(product, data)
                new_products.append((product, data))
                outcomes[data.external_id] = Upserted.CREATED
                continue
            changed = _set_product_fields(product, data)
            known = variants_of.get(product.pk, {})
            for variant_data in data.variants:
                variant = known.pop(variant_data.external_id, None)
                if variant is None:
                    new_variants.append(_new_variant(product, variant_data, now))
                    changed = True
                elif _set_variant_fields(variant, variant_data):
                    variant.synced_at = now
                    changed_variants.append(variant)
                    changed = True
                else:
                    seen_variants.append(variant.pk)
            for vanished in known.values():
                if vanished.active:
                    vanished.active = False
                    changed_variants.append(vanished)
                    changed = True
            if changed:
                product.synced_at = now
                changed_products.append(product)
                outcomes[data.external_id] = Upserted.UPDATED
            else:
                unchanged_products.append(product.pk)
                outcomes[data.external_id] = Upserted.UNCHANGED

        created = StoreProduct.objects.bulk_create([product for product, _ in new_products])
        for product, (_, data) in zip(created, new_products, strict=True):
            new_variants.extend(_new_variant(product, variant_data, now) for variant_data in data.variants)
        StoreVariant.objects.bulk_create(new_variants)
        if changed_products:
            StoreProduct.objects.bulk_update(
                changed_products, ["title", "sku", "product_type", "active", "remote_updated_at", "synced_at"]
            )
        if changed_variants:
            StoreVariant.objects.bulk_update(
                changed_variants, ["sku", "attributes", "price", "weight", "active", "synced_at"]
            )
        # Seen and unchanged: only the time we last saw them moves (one statement for all of them).
        if unchanged_products:
            StoreProduct.objects.filter(pk__in=unchanged_products).update(synced_at=now)
        if seen_variants:
            StoreVariant.objects.filter(pk__in=seen_variants).update(synced_at=now)
    return outcomes


def _set_product_fields(product: StoreProduct, data: ProductData) -> bool:
    values: dict[str, Any] = {
        "title": data.title[:500],
        "sku": data.sku[:200],
        "product_type": data.product_type,
        "active": True,
        "remote_updated_at": data.remote_updated_at,
    }
    return _assign(product, values)


def _new_variant(product: StoreProduct, data: VariantData, now: datetime) -> StoreVariant:
    variant = StoreVariant(product=product, store_id=product.store_id, external_id=data.external_id, synced_at=now)
    _set_variant_fields(variant, data)
    return variant


def _set_variant_fields(variant: StoreVariant, data: VariantData) -> bool:
    values: dict[str, Any] = {
        "sku": data.sku[:200],
        "attributes": dict(data.attributes),
        "price": _quantized(data.price, _PRICE_STEP),
        "weight": _quantized(data.weight, _WEIGHT_STEP),
        "active": True,
    }
    return _assign(variant, values)


def _assign(row: StoreProduct | StoreVariant, values: Mapping[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _quantized(value: Decimal | None, step: Decimal) -> Decimal | None:
    # Stored with fixed decimal places: compare in the same form, or every sync would look like a change.
    return None if value is None else value.quantize(step)


def store_products_deactivate(*, store: Store, external_ids: Iterable[str]) -> int:
    """The store no longer has these products: they and their variants stay here (orders point at them), inactive."""
    now = timezone.now()
    with transaction.atomic():
        products = StoreProduct.objects.filter(store=store, external_id__in=list(external_ids), active=True)
        StoreVariant.objects.filter(product__in=products, active=True).update(active=False, updated_at=now)
        return products.update(active=False, updated_at=now)


# --- images ------------------------------------------------------------------------------------------------------


@transaction.atomic
def store_product_images_set(*, product: StoreProduct, images: Iterable[ProductImageData]) -> StoreProduct:
    """The product's images as the store lists them now (ordered by position); marks its images as synced."""
    product.images = [
        {
            "id": image.external_id,
            "url": image.url,
            "alt": image.alt,
            "position": image.position,
            "variant_ids": list(image.variant_ids),
        }
        for image in sorted(images, key=lambda image: (image.position, image.external_id))
    ]
    product.images_synced_at = timezone.now()
    product.save(update_fields=["images", "images_synced_at", "updated_at"])
    return product


# --- stock -------------------------------------------------------------------------------------------------------


def store_variants_stock_initialise(*, store: Store, levels: Mapping[int, int]) -> int:
    """The first stock levels, read from the store (variant pk -> quantity), for variants that have none yet.

    From then on printconnect is the stock master: a variant that got a level meanwhile keeps it. The store holds
    exactly this level, so it counts as exported too. Returns how many variants were initialised.
    """
    by_quantity: dict[int, list[int]] = defaultdict(list)
    for pk, quantity in levels.items():
        by_quantity[int(quantity)].append(pk)
    now = timezone.now()
    initialised = 0
    with transaction.atomic():
        for quantity, pks in by_quantity.items():
            initialised += StoreVariant.objects.filter(store=store, pk__in=pks, stock_quantity__isnull=True).update(
                stock_quantity=quantity, stock_exported_quantity=quantity, updated_at=now
            )
    return initialised


@transaction.atomic
def store_variant_stock_set(*, variant: StoreVariant, quantity: int) -> StoreVariant:
    """printconnect's stock level of a variant; the stock export pushes it to the store."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise ApplicationError(f"Enter the stock level as a whole number of 0 or more, not {quantity!r}.")
    variant.stock_quantity = quantity
    variant.save(update_fields=["stock_quantity", "updated_at"])
    return variant


def store_variants_stock_exported(*, store: Store, quantities: Mapping[int, int]) -> int:
    """Record what the store accepted (variant pk -> quantity pushed). A level changed since the push still differs,
    so the next export sends it again."""
    by_quantity: dict[int, list[int]] = defaultdict(list)
    for pk, quantity in quantities.items():
        by_quantity[int(quantity)].append(pk)
    now = timezone.now()
    recorded = 0
    with transaction.atomic():
        for quantity, pks in by_quantity.items():
            recorded += StoreVariant.objects.filter(store=store, pk__in=pks).update(
                stock_exported_quantity=quantity, updated_at=now
            )
    return recorded
