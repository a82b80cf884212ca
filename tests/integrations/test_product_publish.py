"""store_product_publish: WooCommerce through the sandbox over HTTP (simple, variable, refusals that save nothing),
manual stores (here only), platforms that can't receive products, and the checks made before the store is asked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from printconnect.catalog.models import StoreProduct, StoreVariant
from printconnect.catalog.services import catalog_product_deactivate
from printconnect.core.exceptions import ApplicationError
from printconnect.integrations.models import IntegrationEvent
from printconnect.integrations.services import publish_summary, store_product_publish, store_publish_refusal
from printconnect.integrations.services.products import MAX_VARIANTS, variant_skus
from printconnect.storefronts.models import Store
from tests.catalog.mapping_helpers import catalog_product
from tests.factories.clients import ClientFactory
from tests.factories.core import StaffFactory
from tests.factories.storefronts import make_store
from tests.integrations.sandbox_shop import connect_shop, slug_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_allowed")]

DESIGN = "https://files.example.com/poster.pdf"
SIZES = [("Size", ["A4", "A3"]), ("Paper", ["Matte"])]


@pytest.fixture
def shop(sandbox, request):
    return connect_shop(sandbox, slug_for(request.node.name), products=2)


def _publish(store, product, **fields):
    values = {
        "title": "Poster",
        "options": SIZES,
        "sku": "POSTER",
        "price": "12.50",
        "design_file_url": DESIGN,
        "actor": StaffFactory(),
    }
    values.update(fields)
    return store_product_publish(store=store, catalog_product=product, **values)


def _posts(remote):
    return [entry["path"] for entry in remote.requests() if entry["method"] in ("POST", "DELETE")]


def test_a_variable_product_is_created_in_woocommerce_and_every_variant_connected(shop):
    remote, store = shop
    product = catalog_product("PST-A4")
    published = _publish(store, product)
    assert published.in_store
    created = remote.products[int(published.product.external_id)]
    assert created["name"] == "Poster" and created["type"] == "variable"
    assert sorted(v["sku"] for v in remote.variations[created["id"]].values()) == ["POSTER-A3-MATTE", "POSTER-A4-MATTE"]
    variants = StoreVariant.objects.filter(product=published.product).order_by("sku")
    assert [(v.sku, v.attributes, v.price) for v in variants] == [
        ("POSTER-A3-MATTE", {"Size": "A3", "Paper": "Matte"}, Decimal("12.5000")),
        ("POSTER-A4-MATTE", {"Size": "A4", "Paper": "Matte"}, Decimal("12.5000")),
    ]
    assert {(v.catalog_product_id, v.design_file_url) for v in variants} == {(product.pk, DESIGN)}
    assert all(
        v.mapped_at is not None and v.external_id in {str(i) for i in remote.variations[created["id"]]}
        for v in variants
    )
    event = IntegrationEvent.objects.get(store=store, code="product.published")
    assert event.severity == "info" and "“Poster”" in event.message and "2 variants" in event.message
    assert event.object_id == published.product.external_id


def test_a_product_without_options_is_a_simple_product_that_is_its_own_variant(shop):
    remote, store = shop
    published = _publish(store, catalog_product("BC-85x55"), title="Business cards", options=[], sku="BC")
    created = remote.products[int(published.product.external_id)]
    assert (created["type"], created["sku"], created["regular_price"]) == ("simple", "BC", "12.50")
    (variant,) = published.variants
    assert variant.external_id == published.product.external_id and variant.sku == "BC"
    assert variant.catalog_product.uid == "BC-85x55"


def test_publishing_works_in_test_mode_because_it_is_an_explicit_action(shop):
    _remote, store = shop
    assert store.mode == Store.Mode.TEST
    assert _publish(store, catalog_product()).in_store


def test_a_duplicate_sku_is_refused_by_the_store_and_nothing_is_saved_here(shop):
    remote, store = shop
    product = catalog_product()
    _publish(store, product, options=[], sku="TAKEN")
    products_before, remote_before = StoreProduct.objects.count(), set(remote.products)
    with pytest.raises(ApplicationError, match=r"SKU “TAKEN”.*already uses it"):
        _publish(store, product, title="Other", options=[], sku="TAKEN")
    assert StoreProduct.objects.count() == products_before and set(remote.products) == remote_before
    assert IntegrationEvent.objects.filter(store=store, code="product.published").count() == 1


def test_a_refused_variant_leaves_nothing_in_the_store_or_here(shop):
    remote, store = shop
    product = catalog_product()
    _publish(store, product, options=[], sku="POSTER-A3-MATTE")
    products_before, remote_before = StoreProduct.objects.count(), set(remote.products)
    with pytest.raises(ApplicationError, match="Nothing was left in the store"):
        _publish(store, product)
    assert StoreProduct.objects.count() == products_before and set(remote.products) == remote_before


def test_refused_keys_and_a_failing_store_say_what_to_do_and_save_nothing(shop):
    remote, store = shop
    product = catalog_product()
    remote.set_faults(unauthorized=True)
    with pytest.raises(ApplicationError, match=r"consumer key.*Nothing was created"):
        _publish(store, product)
    remote.set_faults(clear=True)
    remote.set_faults(error_burst={"count": 3, "statuses": [500]})
    with pytest.raises(ApplicationError, match=r"may or may not have created “Poster”: check its Products"):
        _publish(store, product)
    assert not StoreProduct.objects.filter(store=store, title="Poster").exists()


def test_bad_input_is_refused_before_the_store_is_asked(shop):
    remote, store = shop
    product = catalog_product()
    remote.clear_requests()
    many = [("Size", [f"S{i}" for i in range(11)]), ("Paper", [f"P{i}" for i in range(10)])]
    cases = [
        ({"options": many}, f"make 110 variants; at most {MAX_VARIANTS}"),
        ({"price": "abc"}, "Enter the price"),
        ({"price": "1.234"}, "whole cents"),
        ({"title": "  "}, "Give the product a title"),
        ({"options": [("Size", ["A4", "a4"])]}, "twice"),
        ({"options": [("Size", ["A4"]), ("size", ["A3"])]}, "appears twice"),
        ({"options": [("", ["A4"])]}, "a name"),
        ({"options": [("A-4", ["x y", "x-y"])]}, "would get the SKU"),
        ({"design_file_url": "ftp://x"}, "http:// or https://"),
        ({"sku": "no spaces"}, "SKU"),
    ]
    for fields, message in cases:
        with pytest.raises(ApplicationError, match=message):
            _publish(store, product, **fields)
    catalog_product_deactivate(product=product)
    with pytest.raises(ApplicationError, match="no longer offered") as excinfo:
        _publish(store, product)
    assert excinfo.value.field == "catalog_product"
    assert _posts(remote) == []


def test_a_manual_store_gets_the_product_here_only_with_its_own_ids(db):
    store = make_store(ClientFactory())
    product = catalog_product()
    first = _publish(store, product)
    second = _publish(store, product, title="Flyer", options=[], sku="FLY")
    assert not first.in_store
    assert first.product.external_id == "manual-1" and second.product.external_id == "manual-2"
    assert sorted(v.external_id for v in first.variants) == ["manual-1-1", "manual-1-2"]
    assert [v.external_id for v in second.variants] == ["manual-2"]
    assert all(v.catalog_product_id == product.pk for v in [*first.variants, *second.variants])
    with pytest.raises(ApplicationError, match="already uses the SKU FLY"):
        _publish(store, product, title="Flyer again", options=[], sku="fly")
    assert StoreProduct.objects.filter(store=store).count() == 2


def test_a_platform_without_product_creation_says_so_and_changes_nothing(db):
    store = Store.objects.create(client=ClientFactory(), name="Etsy shop", platform=Store.Platform.ETSY)
    expected = (
        "Etsy stores can't receive new products from printconnect yet; create it in your store, then use Sync products."
    )
    assert store_publish_refusal(store) == expected
    with pytest.raises(ApplicationError) as excinfo:
        _publish(store, catalog_product())
    assert excinfo.value.message == expected
    assert not StoreProduct.objects.filter(store=store).exists()
    assert not IntegrationEvent.objects.filter(store=store).exists()


def test_the_summary_says_what_publishing_will_do(shop):
    _remote, store = shop
    product = catalog_product("BC-85x55")
    assert publish_summary(store=store, catalog_product=product, options=SIZES) == (
        f"Creates a product with 2 variants in {store.name} and connects them to BC-85x55."
    )
    manual = make_store(store.client, name="By hand")
    assert publish_summary(store=manual, catalog_product=product, options=[]) == (
        "Creates a product for By hand (here only: it is a manual store) and connects it to BC-85x55."
    )
    assert variant_skus("P", [{"Size": "85 x 55 mm"}]) == ["P-85-X-55-MM"]
    assert variant_skus("", [{"Size": "A4"}]) == [""]
