"""WooCommerceConnector.create_product against the sandbox over HTTP: simple and variable products, refusals that
leave nothing behind in the store, and the mapper's payloads."""

from __future__ import annotations

from decimal import Decimal

import pytest

from printconnect.core.http import SafeSession
from printconnect.integrations.connectors.base import Capability
from printconnect.integrations.connectors.errors import AuthRejectedError, BadResponseError, UnavailableError
from printconnect.integrations.connectors.types import ConnectionConfig, NewProduct, NewVariant
from printconnect.integrations.connectors.woocommerce import mapper
from printconnect.integrations.connectors.woocommerce.connector import WooCommerceConnector
from printconnect.sandbox.server import SandboxServer
from printconnect.sandbox.woocommerce.app import Store

POSTER = NewProduct(
    title="Poster",
    sku="POSTER",
    options=(("Size", ("A4", "A3")), ("Paper", ("Matte",))),
    variants=(
        NewVariant(attributes={"Size": "A4", "Paper": "Matte"}, sku="POSTER-A4-MATTE", price=Decimal("12.50")),
        NewVariant(attributes={"Size": "A3", "Paper": "Matte"}, sku="POSTER-A3-MATTE", price=Decimal("12.50")),
    ),
)


@pytest.fixture
def shop(sandbox: SandboxServer, request: pytest.FixtureRequest) -> Store:
    return sandbox.app.create_store(request.node.name.replace("_", "-")[:40].strip("-"))


def connector_for(store: Store, sandbox: SandboxServer) -> WooCommerceConnector:
    config = ConnectionConfig(
        base_url=sandbox.store_url(store.slug),
        credentials={"consumer_key": store.consumer_key, "consumer_secret": store.consumer_secret},
    )
    return WooCommerceConnector(config, session=SafeSession(allow_private=True, sleep=lambda s: None, max_retries=1))


def test_woocommerce_declares_it_can_create_products():
    assert Capability.PRODUCTS_CREATE in WooCommerceConnector.capabilities


def test_a_simple_product_is_created_and_mapped_back(shop, sandbox):
    simple = NewProduct(title="Business cards", sku="BC-85", price=Decimal("19.90"))
    product = connector_for(shop, sandbox).create_product(simple)
    remote = shop.products[int(product.id)]
    assert (remote["type"], remote["sku"], remote["regular_price"], remote["name"]) == (
        "simple",
        "BC-85",
        "19.90",
        "Business cards",
    )
    assert (product.title, product.sku, product.variants) == ("Business cards", "BC-85", ())
    posts = [e["path"] for e in shop.requests() if e["method"] == "POST"]
    assert posts == ["/wp-json/wc/v3/products"]


def test_a_variable_product_gets_one_variation_per_combination_in_one_batch(shop, sandbox):
    product = connector_for(shop, sandbox).create_product(POSTER)
    remote = shop.products[int(product.id)]
    assert remote["type"] == "variable"
    assert [(a["name"], a["options"], a["variation"]) for a in remote["attributes"]] == [
        ("Size", ["A4", "A3"], True),
        ("Paper", ["Matte"], True),
    ]
    assert [(v.sku, dict(v.attributes), v.price) for v in product.variants] == [
        ("POSTER-A4-MATTE", {"Size": "A4", "Paper": "Matte"}, Decimal("12.50")),
        ("POSTER-A3-MATTE", {"Size": "A3", "Paper": "Matte"}, Decimal("12.50")),
    ]
    assert {int(v.id) for v in product.variants} == set(shop.variations[int(product.id)])
    # What the product feed reads later is what was returned now.
    listed = next(iter(connector_for(shop, sandbox).fetch_products())).items
    assert [(p.id, sorted(v.id for v in p.variants)) for p in listed] == [
        (product.id, sorted(v.id for v in product.variants))
    ]
    posts = [e["path"] for e in shop.requests() if e["method"] == "POST"]
    assert posts == ["/wp-json/wc/v3/products", f"/wp-json/wc/v3/products/{product.id}/variations/batch"]


def test_a_duplicate_product_sku_is_refused_with_what_to_change(shop, sandbox):
    connector = connector_for(shop, sandbox)
    connector.create_product(NewProduct(title="First", sku="POSTER", price=Decimal("1")))
    with pytest.raises(BadResponseError, match=r"SKU “POSTER”.*already uses it.*Choose another SKU prefix"):
        connector.create_product(POSTER)
    assert len(shop.products) == 1


def test_a_refused_variation_removes_the_half_created_product(shop, sandbox):
    connector = connector_for(shop, sandbox)
    connector.create_product(NewProduct(title="Taken", sku="POSTER-A3-MATTE", price=Decimal("1")))
    with pytest.raises(BadResponseError, match=r"SKU “POSTER-A3-MATTE”.*Nothing was left in the store"):
        connector.create_product(POSTER)
    assert [p["name"] for p in shop.products.values()] == ["Taken"]
    deletes = [e for e in shop.requests() if e["method"] == "DELETE"]
    assert len(deletes) == 1 and deletes[0]["query"].get("force") == "true"


def test_a_store_failing_on_the_variations_has_the_product_removed_again(shop, sandbox):
    shop.set_faults(rate_limit={"every": 2, "retry_after": 0})  # the second request (the batch) is throttled
    connector = connector_for(shop, sandbox)
    connector.session.max_retries = 0
    with pytest.raises(BadResponseError, match=r"rate limited printconnect.*Nothing was left in the store"):
        connector.create_product(POSTER)
    assert not shop.products
    assert [e["method"] for e in shop.requests()] == ["POST", "POST", "DELETE"]


def test_refused_keys_and_a_store_that_fails_raise_typed_errors(shop, sandbox):
    shop.set_faults(unauthorized=True)
    with pytest.raises(AuthRejectedError):
        connector_for(shop, sandbox).create_product(POSTER)
    shop.clear_faults()
    shop.set_faults(error_burst={"count": 5, "statuses": [500]})
    with pytest.raises(UnavailableError):
        connector_for(shop, sandbox).create_product(POSTER)
    assert not shop.products


def test_payloads_follow_the_rest_api_shapes():
    body = mapper.product_to_payload(POSTER)
    assert body["type"] == "variable" and body["sku"] == "POSTER"
    assert body["attributes"][1] == {
        "name": "Paper",
        "position": 1,
        "visible": True,
        "variation": True,
        "options": ["Matte"],
    }
    assert body["default_attributes"] == [{"name": "Size", "option": "A4"}, {"name": "Paper", "option": "Matte"}]
    assert "regular_price" not in body
    assert mapper.variations_to_payload(POSTER)[1] == {
        "sku": "POSTER-A3-MATTE",
        "regular_price": "12.50",
        "attributes": [{"name": "Size", "option": "A3"}, {"name": "Paper", "option": "Matte"}],
    }
    simple = mapper.product_to_payload(NewProduct(title="Flyer", price=Decimal("3")))
    assert (simple["type"], simple["regular_price"]) == ("simple", "3")
    assert mapper.batch_error({"id": 0, "error": {"code": "product_invalid_sku", "message": "Dup"}}) == (
        "product_invalid_sku",
        "Dup",
    )
    assert mapper.batch_error({"id": 5, "sku": "x"}) is None
