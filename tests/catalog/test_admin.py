"""The Django admin lists synced store products and variants with their filters, search and inline variants."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from printconnect.catalog.models import StoreProduct, StoreVariant
from printconnect.catalog.services import ProductData, VariantData, store_products_upsert
from tests.factories.core import StaffFactory
from tests.factories.storefronts import StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


@pytest.fixture
def poster():
    store = StoreFactory()
    variant = VariantData(external_id="23", sku="POS-A3", attributes={"Size": "A3"}, price=Decimal("12.50"))
    store_products_upsert(store=store, products=[ProductData(external_id="22", title="Poster", variants=(variant,))])
    return StoreProduct.objects.get(store=store)


def test_product_list_searches_by_variant_sku_and_filters_by_missing_images(superuser_client, poster):
    url = reverse("admin:catalog_storeproduct_changelist")
    found = superuser_client.get(url, {"q": "POS-A3", "images_synced_at__isempty": "1"})
    assert found.status_code == 200 and b"Poster" in found.content
    assert b"Poster" not in superuser_client.get(url, {"q": "no-such-sku"}).content


def test_product_page_shows_its_variants_inline_and_lets_only_the_stock_level_change(superuser_client, poster):
    page = superuser_client.get(reverse("admin:catalog_storeproduct_change", args=[poster.pk]))
    assert page.status_code == 200 and b"POS-A3" in page.content
    inline = page.context["inline_admin_formsets"][0]
    assert set(inline.formset.form.base_fields) == {"stock_quantity"}


def test_variant_list_filters_on_stock_level(superuser_client, poster):
    url = reverse("admin:catalog_storevariant_changelist")
    page = superuser_client.get(url, {"stock_quantity__isempty": "1", "q": "Poster"})
    assert page.status_code == 200 and b"POS-A3" in page.content
    assert StoreVariant.objects.get(sku="POS-A3").stock_quantity is None
