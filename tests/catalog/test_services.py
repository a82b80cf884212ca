"""Synced store products: upserted once per (store, external id), variants kept in step, stock never overwritten."""

from __future__ import annotations

from decimal import Decimal

import pytest

from printconnect.catalog.models import StoreProduct, StoreVariant
from printconnect.catalog.services import (
    ProductData,
    ProductImageData,
    Upserted,
    VariantData,
    store_product_images_set,
    store_products_deactivate,
    store_products_upsert,
    store_variant_stock_set,
    store_variants_stock_exported,
    store_variants_stock_initialise,
)
from printconnect.core.exceptions import ApplicationError
from tests.factories.storefronts import StoreFactory

pytestmark = pytest.mark.django_db


def _poster(*variants: VariantData, title: str = "Poster") -> ProductData:
    return ProductData(external_id="22", title=title, sku="POS", variants=variants)


A3 = VariantData(external_id="23", sku="POS-A3", attributes={"Size": "A3"}, price=Decimal("12.5"))
A2 = VariantData(external_id="24", sku="POS-A2", attributes={"Size": "A2"}, price=Decimal("18.50"))


def test_upsert_creates_once_and_reports_unchanged_when_nothing_changed():
    store = StoreFactory()
    assert store_products_upsert(store=store, products=[_poster(A3, A2)]) == {"22": Upserted.CREATED}
    # 12.5 and 12.5000 are the same price: no write.
    assert store_products_upsert(store=store, products=[_poster(A3, A2)]) == {"22": Upserted.UNCHANGED}
    product = StoreProduct.objects.get(store=store)
    assert sorted(product.variants.values_list("sku", "price")) == [
        ("POS-A2", Decimal("18.5")),
        ("POS-A3", Decimal("12.5")),
    ]


def test_upsert_marks_a_vanished_variant_inactive_and_revives_it_when_it_returns():
    store = StoreFactory()
    store_products_upsert(store=store, products=[_poster(A3, A2)])
    assert store_products_upsert(store=store, products=[_poster(A3, title="Poster!")]) == {"22": Upserted.UPDATED}
    assert StoreVariant.objects.get(store=store, external_id="24").active is False
    assert StoreProduct.objects.get(store=store).title == "Poster!"
    store_products_upsert(store=store, products=[_poster(A3, A2, title="Poster!")])
    assert StoreVariant.objects.get(store=store, external_id="24").active is True
    assert StoreVariant.objects.filter(store=store).count() == 2


def test_upsert_never_touches_printconnects_stock_level():
    store = StoreFactory()
    store_products_upsert(store=store, products=[_poster(A3)])
    variant = StoreVariant.objects.get(store=store)
    store_variant_stock_set(variant=variant, quantity=40)
    store_products_upsert(store=store, products=[_poster(VariantData(external_id="23", sku="POS-A3-NEW"))])
    variant.refresh_from_db()
    assert (variant.sku, variant.stock_quantity) == ("POS-A3-NEW", 40)


def test_products_of_two_stores_with_the_same_ids_stay_apart():
    first, second = StoreFactory(), StoreFactory()
    store_products_upsert(store=first, products=[_poster(A3)])
    assert store_products_upsert(store=second, products=[_poster(A3)]) == {"22": Upserted.CREATED}
    assert StoreVariant.objects.filter(external_id="23").count() == 2


def test_stock_initialise_gives_levels_only_to_variants_without_one():
    store = StoreFactory()
    store_products_upsert(store=store, products=[_poster(A3, A2)])
    a3, a2 = (StoreVariant.objects.get(store=store, external_id=i) for i in ("23", "24"))
    store_variant_stock_set(variant=a3, quantity=7)
    assert store_variants_stock_initialise(store=store, levels={a3.pk: 50, a2.pk: 3}) == 1
    a3.refresh_from_db()
    a2.refresh_from_db()
    assert (a3.stock_quantity, a3.stock_exported_quantity) == (7, None)
    assert (a2.stock_quantity, a2.stock_exported_quantity) == (3, 3)
    assert store_variants_stock_exported(store=store, quantities={a3.pk: 7}) == 1
    a3.refresh_from_db()
    assert a3.stock_exported_quantity == 7


def test_stock_initialise_ignores_variants_of_another_store():
    store, other = StoreFactory(), StoreFactory()
    store_products_upsert(store=other, products=[_poster(A3)])
    variant = StoreVariant.objects.get(store=other)
    assert store_variants_stock_initialise(store=store, levels={variant.pk: 5}) == 0
    variant.refresh_from_db()
    assert variant.stock_quantity is None


@pytest.mark.parametrize("quantity", [-1, 2.5, "3", True])
def test_stock_set_refuses_a_level_that_is_not_a_whole_number_of_zero_or_more(quantity):
    store = StoreFactory()
    store_products_upsert(store=store, products=[_poster(A3)])
    variant = StoreVariant.objects.get(store=store)
    with pytest.raises(ApplicationError, match="whole number of 0 or more"):
        store_variant_stock_set(variant=variant, quantity=quantity)
    variant.refresh_from_db()
    assert variant.stock_quantity is None


def test_images_are_kept_in_position_order_and_mark_the_product_synced():
    store = StoreFactory()
    store_products_upsert(store=store, products=[_poster(A3)])
    product = StoreProduct.objects.get(store=store)
    images = [
        ProductImageData(external_id="9", url="https://shop.example/b.png", position=1, variant_ids=("23",)),
        ProductImageData(external_id="8", url="https://shop.example/a.png", alt="Front", position=0),
    ]
    store_product_images_set(product=product, images=images)
    product.refresh_from_db()
    assert [image["id"] for image in product.images] == ["8", "9"]
    assert product.images[1]["variant_ids"] == ["23"] and product.images_synced_at is not None


def test_deactivate_keeps_the_rows_and_switches_product_and_variants_off():
    store = StoreFactory()
    store_products_upsert(store=store, products=[_poster(A3, A2)])
    assert store_products_deactivate(store=store, external_ids=["22"]) == 1
    assert not StoreVariant.objects.filter(store=store, active=True).exists()
    assert StoreProduct.objects.get(store=store).active is False
