"""Product, image and stock feeds against the WooCommerce sandbox over real HTTP: idempotent, test mode respected."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import F

from printconnect.catalog.models import StoreProduct, StoreVariant
from printconnect.catalog.services import store_variant_stock_set
from printconnect.integrations.connectors.errors import RateLimitedError
from printconnect.integrations.models import Feed, FeedRun, IntegrationEvent
from printconnect.sandbox.woocommerce import seed
from printconnect.sandbox.woocommerce.app import new_product, new_variation
from tests.integrations.sandbox_shop import api_calls, connect_shop, run_feed, slug_for, touch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_allowed")]
K = Feed.Kind


@pytest.fixture
def shop(sandbox, request):
    return connect_shop(sandbox, slug_for(request.node.name))


@pytest.fixture
def live_shop(sandbox, request):
    return connect_shop(sandbox, slug_for(request.node.name), live=True)


def _imported(store, remote):
    run = run_feed(store, K.PRODUCTS_IMPORT)
    assert run.status == FeedRun.Status.SUCCEEDED, run.log
    assert run.created == len(remote.products)
    return run


def _managed_stock(remote) -> dict[str, int]:
    """SKU -> stock level of every product or variation that manages stock in the sandbox store."""
    levels = {}
    for product in remote.products.values():
        if product["type"] == "simple" and product["manage_stock"]:
            levels[product["sku"]] = product["stock_quantity"]
        for variation in remote.variations.get(product["id"], {}).values():
            if variation["manage_stock"]:
                levels[variation["sku"]] = variation["stock_quantity"]
    return levels


# --- products ----------------------------------------------------------------------------------------------------


def test_products_import_creates_each_product_once_with_its_variants_and_no_images(shop):
    remote, store = shop
    remote.clear_requests()
    _imported(store, remote)
    for product_id, record in remote.products.items():
        product = StoreProduct.objects.get(store=store, external_id=str(product_id))
        variations = remote.variations[product_id]
        variants = {v.external_id: v for v in product.variants.all()}
        if variations:
            assert set(variants) == {str(vid) for vid in variations}
            for vid, variation in variations.items():
                assert variants[str(vid)].sku == variation["sku"]
                assert variants[str(vid)].price == Decimal(variation["price"])
                assert variants[str(vid)].attributes == {a["name"]: a["option"] for a in variation["attributes"]}
        else:  # a simple product is its own single variant
            assert list(variants) == [str(product_id)] and variants[str(product_id)].sku == record["sku"]
            assert variants[str(product_id)].price == Decimal(record["price"])
        assert (product.title, product.sku) == (record["name"], record["sku"])
        is_stock = any(tag["slug"] == "printconnect-stock" for tag in record["tags"])
        assert product.product_type == ("stock" if is_stock else "normal")
        assert product.images == [] and product.images_synced_at is None
        assert all(variant.stock_quantity is None for variant in variants.values())
    # Listing and variations only: no product fetched on its own for its images.
    assert all(path.endswith(("/products", "/variations")) for path in api_calls(remote))

    again = run_feed(store, K.PRODUCTS_IMPORT)
    assert (again.created, again.skipped) == (0, 0)  # nothing modified since the first run
    assert StoreProduct.objects.filter(store=store).count() == len(remote.products)


def test_products_import_takes_only_new_products_when_the_store_added_one(shop):
    remote, store = shop
    _imported(store, remote)
    existing = remote.products[min(remote.products)]
    existing["name"] = "Renamed in the store"
    touch(existing)
    added = remote.add_product(
        new_product(remote, name="Tote bag", kind="simple", sku="TOTE", price=Decimal("9.90"), when=seed._now())
    )
    run = run_feed(store, K.PRODUCTS_IMPORT)
    assert (run.seen, run.created, run.updated, run.skipped) == (2, 1, 0, 1)
    new = StoreProduct.objects.get(store=store, external_id=str(added["id"]))
    assert (new.title, new.variants.get().sku, new.variants.get().external_id) == ("Tote bag", "TOTE", str(added["id"]))
    assert StoreProduct.objects.get(store=store, external_id=str(existing["id"])).title != "Renamed in the store"


def test_products_update_syncs_sku_name_weight_and_variants_when_the_store_changed_them(shop):
    remote, store = shop
    _imported(store, remote)
    simple = next(p for p in remote.products.values() if p["type"] == "simple")
    simple["name"], simple["sku"], simple["weight"] = "Gift box XL", "GBX-XL", "1.25"
    variable_id = next(pid for pid, variations in remote.variations.items() if len(variations) >= 2)
    variations = remote.variations[variable_id]
    first, vanished = sorted(variations)[:2]
    variations[first]["sku"], variations[first]["weight"] = "RENAMED-SKU", "0.4"  # the parent's date is untouched
    del variations[vanished]
    extra = new_variation(
        remote,
        remote.products[variable_id],
        attributes=variations[first]["attributes"],
        sku="BRAND-NEW",
        price=Decimal("50"),
        when=seed._now(),
    )
    variations[extra["id"]] = extra
    not_here = remote.add_product(
        new_product(remote, name="Not imported", kind="simple", sku="NI", price=Decimal("1"), when=seed._now())
    )

    run = run_feed(store, K.PRODUCTS_UPDATE)
    assert run.status == FeedRun.Status.SUCCEEDED, run.log
    assert (run.seen, run.created, run.updated) == (len(remote.products), 0, 2)
    assert run.skipped == len(remote.products) - 2  # the unchanged ones and the product not imported yet
    product = StoreProduct.objects.get(store=store, external_id=str(simple["id"]))
    own = product.variants.get()
    assert (product.title, product.sku, own.sku, own.weight) == ("Gift box XL", "GBX-XL", "GBX-XL", Decimal("1.25"))
    variants = {v.external_id: v for v in StoreVariant.objects.filter(product__external_id=str(variable_id))}
    assert (variants[str(first)].sku, variants[str(first)].weight) == ("RENAMED-SKU", Decimal("0.4"))
    assert variants[str(vanished)].active is False
    assert variants[str(extra["id"])].sku == "BRAND-NEW" and variants[str(extra["id"])].active
    assert not StoreProduct.objects.filter(store=store, external_id=str(not_here["id"])).exists()

    again = run_feed(store, K.PRODUCTS_UPDATE)
    assert (again.created, again.updated) == (0, 0)


def test_a_product_whose_variation_cannot_be_read_is_an_error_naming_it_and_the_others_import(shop):
    remote, store = shop
    broken_id = next(pid for pid, variations in remote.variations.items() if variations)
    next(iter(remote.variations[broken_id].values()))["stock_quantity"] = "lots"
    run = run_feed(store, K.PRODUCTS_IMPORT)
    assert run.status == FeedRun.Status.PARTIAL and run.failed == 1
    assert run.created == len(remote.products) - 1
    event = IntegrationEvent.objects.get(store=store, severity="error")
    assert (event.code, event.object_type, event.object_id) == ("product.unreadable", "product", str(broken_id))
    assert "stock_quantity" in event.message
    assert not StoreProduct.objects.filter(store=store, external_id=str(broken_id)).exists()


def test_a_429_storm_fails_the_product_import_with_a_retry_event_and_the_next_run_completes(shop):
    remote, store = shop
    remote.set_faults(rate_limit={"burst": 1000, "retry_after": 0})
    with pytest.raises(RateLimitedError):
        run_feed(store, K.PRODUCTS_IMPORT)
    assert IntegrationEvent.objects.get(store=store, code="feed.RateLimitedError").severity == "retry"
    remote.set_faults(clear=True)
    _imported(store, remote)


# --- images ------------------------------------------------------------------------------------------------------


def test_images_import_fetches_the_images_of_new_products_only(shop):
    remote, store = shop
    _imported(store, remote)
    run = run_feed(store, K.IMAGES_IMPORT)
    assert (run.status, run.seen, run.updated) == (FeedRun.Status.SUCCEEDED, len(remote.products), len(remote.products))
    variable_id = next(pid for pid, variations in remote.variations.items() if variations)
    product = StoreProduct.objects.get(store=store, external_id=str(variable_id))
    assert product.images_synced_at is not None
    record = remote.products[variable_id]
    by_id = {image["id"]: image for image in product.images}
    for image in record["images"]:
        assert by_id[str(image["id"])]["url"].endswith(image["src"].rsplit("/", 1)[1])
    for vid, variation in remote.variations[variable_id].items():
        assert by_id[str(variation["image"]["id"])]["variant_ids"] == [str(vid)]

    remote.clear_requests()
    assert run_feed(store, K.IMAGES_IMPORT).seen == 0
    assert api_calls(remote) == []  # nothing new: the store is not asked
    added = remote.add_product(
        new_product(
            remote,
            name="Mug",
            kind="simple",
            sku="MUG",
            price=Decimal("8"),
            when=seed._now(),
            images=[{"name": "mug", "alt": "A mug"}],
        )
    )
    run_feed(store, K.PRODUCTS_IMPORT)
    run = run_feed(store, K.IMAGES_IMPORT)
    assert (run.seen, run.updated) == (1, 1)
    mug = StoreProduct.objects.get(store=store, external_id=str(added["id"]))
    assert [(image["alt"], image["variant_ids"]) for image in mug.images] == [("A mug", [])]


def test_images_import_marks_a_product_deleted_in_the_store_inactive(shop):
    remote, store = shop
    _imported(store, remote)
    gone_id = min(remote.products)
    del remote.products[gone_id]
    run = run_feed(store, K.IMAGES_IMPORT)
    assert run.status == FeedRun.Status.SUCCEEDED and run.skipped == 1 and str(gone_id) in run.log
    gone = StoreProduct.objects.get(store=store, external_id=str(gone_id))
    assert gone.active is False and not gone.variants.filter(active=True).exists()
    assert run_feed(store, K.IMAGES_IMPORT).seen == 0


# --- stock -------------------------------------------------------------------------------------------------------


def test_stock_import_initialises_the_levels_of_variants_without_one_and_keeps_printconnects(shop):
    remote, store = shop
    _imported(store, remote)
    levels = _managed_stock(remote)
    assert len(levels) >= 3
    kept_sku = sorted(levels)[0]
    store_variant_stock_set(variant=StoreVariant.objects.get(store=store, sku=kept_sku), quantity=999)

    run = run_feed(store, K.STOCK_IMPORT)
    assert run.status == FeedRun.Status.SUCCEEDED, run.log
    total = StoreVariant.objects.filter(store=store).count()
    assert (run.seen, run.updated, run.skipped) == (total - 1, len(levels) - 1, total - len(levels))
    for variant in StoreVariant.objects.filter(store=store):
        if variant.sku == kept_sku:
            assert (variant.stock_quantity, variant.stock_exported_quantity) == (999, None)
        elif variant.sku in levels:
            assert variant.stock_quantity == variant.stock_exported_quantity == levels[variant.sku]
        else:
            assert variant.stock_quantity is None  # the store does not manage its stock
    assert "do not manage stock" in run.log

    # Afterwards printconnect is the master: a level changed in the store is not read again.
    changed = next(p for p in remote.products.values() if p["type"] == "simple" and p["manage_stock"])
    changed["stock_quantity"] += 7
    again = run_feed(store, K.STOCK_IMPORT)
    assert again.updated == 0
    assert StoreVariant.objects.get(store=store, sku=changed["sku"]).stock_quantity == levels[changed["sku"]]


def test_stock_import_before_any_product_import_waits_for_the_products(shop):
    _, store = shop
    run = run_feed(store, K.STOCK_IMPORT)
    assert run.status == FeedRun.Status.SUCCEEDED and "No products imported yet" in run.log
    feed = Feed.objects.get(store=store, kind=K.STOCK_IMPORT)
    assert feed.next_run_at > run.started_at  # a "run once" feed gets another go once products are here


def test_stock_export_in_test_mode_is_skipped_with_an_info_and_no_request_to_the_store(shop):
    remote, store = shop
    _imported(store, remote)
    variant = StoreVariant.objects.filter(store=store).first()
    store_variant_stock_set(variant=variant, quantity=5)
    remote.clear_requests()
    run = run_feed(store, K.STOCK_EXPORT)
    assert run.status == FeedRun.Status.SKIPPED and "test mode" in run.log
    assert remote.requests() == []
    event = IntegrationEvent.objects.get(store=store, code="feed.test_mode")
    assert event.severity == "info" and event.feed_run == run
    variant.refresh_from_db()
    assert variant.stock_exported_quantity is None


def test_stock_export_pushes_changed_levels_once_when_the_store_is_live(live_shop):
    remote, store = live_shop
    _imported(store, remote)
    run_feed(store, K.STOCK_IMPORT)
    simple = next(p for p in remote.products.values() if p["type"] == "simple" and p["manage_stock"])
    variable_id = next(pid for pid, vs in remote.variations.items() if any(v["manage_stock"] for v in vs.values()))
    variation = next(v for v in remote.variations[variable_id].values() if v["manage_stock"])
    unmanaged = StoreVariant.objects.filter(store=store, stock_quantity__isnull=True).first()
    for sku, quantity in ((simple["sku"], 31), (variation["sku"], 0), (unmanaged.sku, 12)):
        store_variant_stock_set(variant=StoreVariant.objects.get(store=store, sku=sku), quantity=quantity)

    remote.clear_requests()
    run = run_feed(store, K.STOCK_EXPORT)
    assert (run.status, run.seen, run.updated, run.failed) == (FeedRun.Status.SUCCEEDED, 3, 3, 0)
    assert remote.products[simple["id"]]["stock_quantity"] == 31
    assert remote.variations[variable_id][variation["id"]]["stock_quantity"] == 0
    puts = api_calls(remote, "PUT")
    assert len(puts) == 3
    assert f"/wp-json/wc/v3/products/{simple['id']}" in puts  # a simple product's level goes on the product
    assert f"/wp-json/wc/v3/products/{variable_id}/variations/{variation['id']}" in puts
    with_level = StoreVariant.objects.filter(store=store, stock_quantity__isnull=False)
    assert not with_level.exclude(stock_exported_quantity=F("stock_quantity")).exists()

    remote.clear_requests()
    assert run_feed(store, K.STOCK_EXPORT).seen == 0
    assert api_calls(remote) == []


def test_stock_export_reports_a_refused_sku_as_an_error_and_pushes_the_others(live_shop):
    remote, store = live_shop
    _imported(store, remote)
    variable_id = next(pid for pid, variations in remote.variations.items() if len(variations) >= 2)
    variations = remote.variations[variable_id]
    refused_id, fine_id = sorted(variations)[:2]
    refused_sku = variations[refused_id]["sku"]
    for vid, quantity in ((refused_id, 4), (fine_id, 6)):
        store_variant_stock_set(variant=StoreVariant.objects.get(store=store, external_id=str(vid)), quantity=quantity)
    removed = variations.pop(refused_id)  # deleted in the store since the product import

    run = run_feed(store, K.STOCK_EXPORT)
    assert (run.status, run.seen, run.updated, run.failed) == (FeedRun.Status.PARTIAL, 2, 1, 1)
    assert variations[fine_id]["stock_quantity"] == 6
    event = IntegrationEvent.objects.get(store=store, code="stock.export_failed")
    assert event.severity == "error" and event.object_id == str(refused_id) and refused_sku in event.message
    assert StoreVariant.objects.get(store=store, external_id=str(refused_id)).stock_exported_quantity is None

    variations[refused_id] = removed  # restored in the store: the next export sends it and closes the Error
    run = run_feed(store, K.STOCK_EXPORT)
    assert (run.seen, run.updated, run.failed) == (1, 1, 0)
    event.refresh_from_db()
    assert event.resolved_at is not None and event.resolved_by is None
