"""The demo catalog: matching what the sandbox shops sell, and safe to load again over staff edits."""

import pytest
from django.core.management import call_command

from printconnect.catalog.models import Carrier, CatalogProduct, ShippingMethod, ShippingRate
from printconnect.catalog.services import catalog_product_update


@pytest.mark.django_db
def test_seed_catalog_creates_products_carriers_and_rates_once_and_keeps_staff_edits():
    call_command("seed_catalog")
    counts = (CatalogProduct.objects.count(), Carrier.objects.count(), ShippingMethod.objects.count())
    assert counts == (14, 4, 4)
    assert ShippingRate.objects.filter(shipping_method__code="STD-NL", currency="GBP").get().countries == ["GB"]
    assert set(CatalogProduct.objects.filter(kind="stock").values_list("uid", flat=True)) == {
        "BOX-GIFT",
        "FRAME-A3",
        "TUBE-POSTER",
    }
    poster = CatalogProduct.objects.get(uid="POSTER-170M")
    catalog_product_update(product=poster, name="Poster, our own paper", kind="printable", print_specs={"format": "A1"})

    call_command("seed_catalog")

    assert (CatalogProduct.objects.count(), Carrier.objects.count(), ShippingMethod.objects.count()) == counts
    assert ShippingRate.objects.count() == 7
    poster.refresh_from_db()
    assert (poster.name, poster.print_specs) == ("Poster, our own paper", {"format": "A1"})
