"""Store products, catalog products and orders for the mapping tests, made through the apps' services."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from printconnect.catalog.models import CatalogProduct, StoreVariant
from printconnect.catalog.services import ProductData, VariantData, catalog_product_create, store_products_upsert
from printconnect.orders.models import Order
from printconnect.orders.services import OrderData, OrderLineData, order_intake
from printconnect.storefronts.models import Store


def catalog_product(uid: str = "PST-A4", **fields) -> CatalogProduct:
    fields.setdefault("name", f"Poster {uid}")
    fields.setdefault("print_specs", {"format": "A4", "paper": "170 g silk"})
    return catalog_product_create(uid=uid, **fields)


def poster(store: Store, *, external_id: str = "100", variants: dict[str, dict] | None = None, **product) -> None:
    """A product with variants {external id: attributes}; SKU P-<id>."""
    variants = (
        {"101": {"Size": "A4", "Paper": "Matte"}, "102": {"Size": "A3", "Paper": "Matte"}}
        if variants is None
        else variants
    )
    data = ProductData(
        external_id=external_id,
        title=product.pop("title", "Poster"),
        variants=tuple(
            VariantData(external_id=vid, sku=f"P-{vid}", attributes=attrs) for vid, attrs in variants.items()
        ),
        **product,
    )
    store_products_upsert(store=store, products=[data])


def variant(store: Store, external_id: str) -> StoreVariant:
    return StoreVariant.objects.select_related("product", "store", "catalog_product").get(
        store=store, external_id=external_id
    )


def order(store: Store, external_id: str, *lines: tuple[str, str], held: bool = True) -> Order:
    """An order whose lines name (product id, variant id); on hold unless told otherwise."""
    data = OrderData(
        external_id=external_id,
        number=external_id,
        store_status="processing",
        financial_status="paid",
        placed_at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        currency="EUR",
        total=Decimal("10.00"),
        lines=tuple(
            OrderLineData(
                external_id=f"{external_id}-{n}", quantity=1, external_product_id=pid, external_variant_id=vid
            )
            for n, (pid, vid) in enumerate(lines)
        ),
    )
    created = order_intake(store=store, data=data).order
    # The pipeline holds it for its unmapped variants (and its missing shipping method); an order meant as not held
    # is moved on directly, as if it had been released before.
    if not held:
        Order.objects.filter(pk=created.pk).update(status=Order.Status.RECEIVED, hold_reason="")
    created.refresh_from_db()
    assert (created.status == Order.Status.ON_HOLD) == held
    return created
