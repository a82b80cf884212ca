"""Intake-ready stores and order data for the pipeline's tests, made through the services."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from printconnect.catalog.models import CatalogProduct, ShippingMethod, StoreVariant
from printconnect.catalog.services import (
    ProductData,
    VariantData,
    carrier_create,
    catalog_product_create,
    shipping_method_create,
    store_products_upsert,
)
from printconnect.orders.models import Order, StoreOrderSettings
from printconnect.orders.services import OrderData, OrderLineData, order_intake
from printconnect.storefronts.models import Store

_codes = itertools.count(1)


def shipping_method(name: str = "Standard parcel") -> ShippingMethod:
    number = next(_codes)
    carrier = carrier_create(code=f"C{number}", name=f"Carrier {number}")
    return shipping_method_create(code=f"SM{number}", name=name, carrier=carrier)


def catalog_product(
    uid: str | None = None, *, kind: str = CatalogProduct.Kind.PRINTABLE, specs: dict[str, str] | None = None
) -> CatalogProduct:
    return catalog_product_create(uid=uid or f"UID-{next(_codes)}", name="Poster", kind=kind, print_specs=specs or {})


def store_defaults(store: Store, **fields: Any) -> StoreOrderSettings:
    """The store's intake settings row, e.g. with a default shipping method, so orders need no mapping for it."""
    settings, _ = StoreOrderSettings.objects.update_or_create(store=store, defaults=fields)
    return settings


def store_product(
    store: Store,
    external_id: str,
    *,
    variants: tuple[tuple[str, str, dict[str, str]], ...] = (),
    title: str = "Poster",
    sku: str = "",
    product_type: str = "normal",
) -> dict[str, StoreVariant]:
    """A synced store product; variants as (external id, sku, attributes). Returns its variants by external id."""
    store_products_upsert(
        store=store,
        products=[
            ProductData(
                external_id=external_id,
                title=title,
                sku=sku,
                product_type=product_type,
                variants=tuple(VariantData(external_id=v, sku=s, attributes=a) for v, s, a in variants)
                or (VariantData(external_id=external_id, sku=sku),),
            )
        ],
    )
    return {v.external_id: v for v in StoreVariant.objects.filter(store=store, product__external_id=external_id)}


def variant_map(variant: StoreVariant, product: CatalogProduct, **fields: Any) -> StoreVariant:
    """Connect a variant to a catalog product the way the catalog's mapping does (the row, then the announcement
    is the test's business: call variant_mappings_announce to release held orders). A printed product gets a design
    file unless the test says otherwise: a printed line without a print file holds its order."""
    if product.kind == CatalogProduct.Kind.PRINTABLE:
        fields.setdefault("design_file_url", "https://files.example/design.pdf")
    StoreVariant.objects.filter(pk=variant.pk).update(catalog_product=product, **fields)
    variant.refresh_from_db()
    return variant


def line(external_id: str = "1", *, product: str = "", variant: str = "", **fields: Any) -> OrderLineData:
    values = {"quantity": 1, "title": "Poster", "external_product_id": product, "external_variant_id": variant}
    return OrderLineData(external_id=external_id, **{**values, **fields})


def order_data(external_id: str = "1001", *lines: OrderLineData, **overrides: Any) -> OrderData:
    values = {
        "external_id": external_id,
        "number": external_id,
        "store_status": "processing",
        "financial_status": "paid",
        "placed_at": datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        "currency": "EUR",
        "total": Decimal("24.95"),
        "lines": lines or (line(product="501", product_type="stock"),),
        "shipping_method": "Flat rate",
    }
    return OrderData(**{**values, **overrides})


def received_order(store: Store, *lines: tuple[str, int], **data_overrides: Any) -> Order:
    """An order the pipeline takes in as received: each line (product id, quantity) is a simple store product
    connected to a catalog product, and the store has a default shipping method."""
    settings = store_defaults(store)
    if settings.default_shipping_method is None:
        store_defaults(store, default_shipping_method=shipping_method())
    for product_id, _quantity in lines:
        if not StoreVariant.objects.filter(store=store, external_id=product_id).exists():
            (variant,) = store_product(store, product_id, sku=f"SKU-{product_id}").values()
            variant_map(variant, catalog_product())
    order_lines = tuple(
        line(f"{product_id}-{n}", product=product_id, quantity=quantity, sku=f"SKU-{product_id}")
        for n, (product_id, quantity) in enumerate(lines)
    )
    order = order_intake(
        store=store, data=order_data(data_overrides.pop("external_id", "1001"), *order_lines, **data_overrides)
    ).order
    assert order is not None and order.status == Order.Status.RECEIVED, order and order.hold_detail
    return order
