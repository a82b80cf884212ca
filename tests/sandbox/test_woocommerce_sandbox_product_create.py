"""The WooCommerce sandbox creates products as WooCommerce does: POST /products, variations in a batch, SKUs unique
across products and variations, errors in WooCommerce's format, and what was created is listed afterwards."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from printconnect.sandbox.server import SandboxServer
from printconnect.sandbox.woocommerce.app import Store

API = "/wp-json/wc/v3"
_counter = iter(range(10_000))


@pytest.fixture
def store(sandbox: SandboxServer) -> Store:
    return sandbox.app.create_store(f"create-{next(_counter)}")


def _call(store: Store, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", (store.consumer_key, store.consumer_secret))
    return requests.request(method, f"{store.base_url}{API}{path}", json=body, timeout=5, **kwargs)


def _variable(store: Store, sku: str = "POSTER") -> dict[str, Any]:
    body = {
        "name": "Poster",
        "type": "variable",
        "sku": sku,
        "attributes": [{"name": "Size", "options": ["A4", "A3"], "variation": True, "visible": True}],
    }
    response = _call(store, "POST", "/products", body)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_simple_product_is_created_and_listed_when_posted(store: Store) -> None:
    response = _call(
        store, "POST", "/products", {"name": "Flyer A5", "type": "simple", "sku": "FLY", "regular_price": "9.50"}
    )
    assert response.status_code == 201
    created = response.json()
    assert (created["name"], created["type"], created["sku"], created["regular_price"]) == (
        "Flyer A5",
        "simple",
        "FLY",
        "9.50",
    )
    assert response.headers["Location"].endswith(f"/products/{created['id']}")
    listed = _call(store, "GET", "/products").json()
    assert [p["id"] for p in listed] == [created["id"]]


def test_variations_are_created_in_one_batch_and_listed_under_their_product(store: Store) -> None:
    product = _variable(store)
    assert product["attributes"][0]["options"] == ["A4", "A3"] and product["attributes"][0]["variation"] is True
    batch = {
        "create": [
            {"sku": "POSTER-A4", "regular_price": "12.00", "attributes": [{"name": "Size", "option": "A4"}]},
            {"sku": "POSTER-A3", "regular_price": "15.00", "attributes": [{"name": "size", "option": "A3"}]},
        ]
    }
    response = _call(store, "POST", f"/products/{product['id']}/variations/batch", batch)
    assert response.status_code == 200
    created = response.json()["create"]
    assert [(v["sku"], v["attributes"][0]["name"], v["attributes"][0]["option"]) for v in created] == [
        ("POSTER-A4", "Size", "A4"),
        ("POSTER-A3", "Size", "A3"),
    ]
    listed = _call(store, "GET", f"/products/{product['id']}/variations").json()
    assert {v["id"] for v in listed} == {v["id"] for v in created}
    again = _call(store, "GET", f"/products/{product['id']}").json()
    assert sorted(again["variations"]) == sorted(v["id"] for v in created) and again["price"] == "12.00"


def test_a_duplicate_sku_is_refused_as_woocommerce_does_for_products_and_in_batches(store: Store) -> None:
    product = _variable(store)
    batch = {"create": [{"sku": "POSTER-A4", "attributes": [{"name": "Size", "option": "A4"}]}]}
    _call(store, "POST", f"/products/{product['id']}/variations/batch", batch)
    refused = _call(store, "POST", "/products", {"name": "Other", "sku": "POSTER-A4"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "product_invalid_sku" and refused.json()["data"]["status"] == 400
    assert _call(store, "POST", "/products", {"name": "Again", "sku": "POSTER"}).status_code == 400
    assert _call(store, "POST", "/products", {"name": "Again", "sku": "poster-a4"}).status_code == 400
    entries = _call(
        store,
        "POST",
        f"/products/{product['id']}/variations/batch",
        {"create": [{"sku": "POSTER-A4"}, {"sku": "POSTER-A3", "attributes": [{"name": "Size", "option": "A3"}]}]},
    ).json()["create"]
    assert entries[0]["id"] == 0 and entries[0]["error"]["code"] == "product_invalid_sku"
    assert entries[1]["sku"] == "POSTER-A3"
    assert len(store.products) == 1


def test_bad_writes_answer_woocommerce_errors(store: Store) -> None:
    bad_price = _call(store, "POST", "/products", {"name": "X", "regular_price": 12})
    assert bad_price.status_code == 400 and bad_price.json()["code"] == "rest_invalid_param"
    assert "regular_price" in bad_price.json()["data"]["params"]
    bad_type = _call(store, "POST", "/products", {"name": "X", "type": "bundle"})
    assert bad_type.status_code == 400 and bad_type.json()["code"] == "rest_invalid_param"
    too_many = _call(store, "POST", f"/products/{_variable(store)['id']}/variations/batch", {"create": [{}] * 101})
    assert too_many.status_code == 413
    assert _call(store, "POST", "/products/999/variations/batch", {"create": []}).status_code == 404
    assert not [p for p in store.products.values() if p["name"] == "X"]


def test_writes_need_the_store_keys_and_write_permission(sandbox: SandboxServer) -> None:
    store = sandbox.app.create_store(f"create-{next(_counter)}", key_permissions="read")
    anonymous = _call(store, "POST", "/products", {"name": "X"}, auth=None)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "woocommerce_rest_cannot_create"
    read_only = _call(store, "POST", "/products", {"name": "X"})
    assert read_only.status_code == 401 and "write permissions" in read_only.json()["message"]
    assert not store.products


def test_a_product_deleted_with_force_is_gone_and_without_it_goes_to_the_trash(store: Store) -> None:
    product = _variable(store)
    trashed = _call(store, "POST", "/products", {"name": "Old", "sku": "OLD"}).json()
    assert _call(store, "DELETE", f"/products/{trashed['id']}").json()["status"] == "trash"
    assert [p["id"] for p in _call(store, "GET", "/products").json()] == [product["id"]]
    assert _call(store, "POST", "/products", {"name": "Reused", "sku": "OLD"}).status_code == 201
    assert _call(store, "DELETE", f"/products/{product['id']}", params={"force": "true"}).status_code == 200
    assert product["id"] not in store.products and product["id"] not in store.variations
    assert _call(store, "GET", f"/products/{product['id']}").status_code == 404
