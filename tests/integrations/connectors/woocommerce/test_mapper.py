"""WooCommerce payloads -> canonical shapes, on the real documentation samples."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from printconnect.integrations.connectors.errors import MappingError
from printconnect.integrations.connectors.types import (
    FinancialStatus,
    FulfilmentChannel,
    OrderStatus,
    ProductType,
)
from printconnect.integrations.connectors.woocommerce.mapper import (
    address_from_payload,
    image_from_payload,
    line_from_payload,
    order_from_payload,
    product_from_payload,
    variant_from_payload,
)


@pytest.fixture
def order_payload(load_sample):
    return load_sample("woocommerce", "order.json")


@pytest.fixture
def variations(load_sample):
    return load_sample("woocommerce", "product-22-variations.json")


def test_order_from_payload_reads_sample_order(order_payload):
    order = order_from_payload(order_payload)
    assert (order.id, order.number) == ("727", "727")
    assert (order.status, order.financial_status) == (OrderStatus.PROCESSING, FinancialStatus.PAID)
    assert order.currency == "USD"
    assert (order.total, order.shipping_total, order.tax_total, order.discount_total) == (
        Decimal("29.35"),
        Decimal("10.00"),
        Decimal("1.35"),
        Decimal("0.00"),
    )
    assert order.placed_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)
    assert order.updated_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    assert order.placed_at.utcoffset().total_seconds() == 0
    assert (order.customer_email, order.customer_name) == ("john.doe@example.com", "John Doe")
    assert (order.shipping_method_code, order.shipping_method_title) == ("flat_rate", "Flat Rate")
    assert order.fulfilment_channel == FulfilmentChannel.MERCHANT
    assert order.raw["order_key"] == "wc_order_58d2d042d1d"


def test_order_from_payload_reads_both_addresses(order_payload):
    order = order_from_payload(order_payload)
    assert order.shipping_address.country == order.billing_address.country == "US"
    assert (order.shipping_address.line1, order.shipping_address.city, order.shipping_address.postal_code) == (
        "969 Market",
        "San Francisco",
        "94103",
    )
    assert order.shipping_address.region == "CA"
    assert order.billing_address.phone == "(555) 555-5555"


def test_order_from_payload_reads_lines_with_variation_meta(order_payload):
    simple, variable = order_from_payload(order_payload).lines
    assert (simple.id, simple.product_id, simple.variant_id, simple.quantity) == ("315", "93", None, 2)
    assert (simple.unit_price, simple.total, simple.attributes) == (Decimal("3"), Decimal("6.00"), {})
    assert (variable.id, variable.sku, variable.product_id, variable.variant_id) == ("316", "Bar3", "22", "23")
    assert variable.attributes == {"pa_color": "black", "size": "M Test"}
    assert variable.title == "Ship Your Idea – Color: Black, Size: M Test"  # &ndash; unescaped
    assert variable.product_type == ProductType.NORMAL
    assert variable.print_file_urls == ()


def test_line_from_payload_prefers_display_meta_and_takes_print_files(order_payload):
    line = copy.deepcopy(order_payload["line_items"][1])
    line["meta_data"] = [
        {"id": 1, "key": "pa_color", "value": "black", "display_key": "Color", "display_value": "Black"},
        {"id": 2, "key": "_reduced_stock", "value": "1"},
        {"id": 3, "key": "_print_file_url", "value": "https://files.example/a.pdf"},
        {"id": 4, "key": "print_file", "value": ["https://files.example/b.pdf", "https://files.example/a.pdf"]},
        {"id": 5, "key": "_wapf_meta", "value": {"nested": True}},
    ]
    mapped = line_from_payload(line)
    assert mapped.attributes == {"Color": "Black"}
    assert mapped.print_file_urls == ("https://files.example/a.pdf", "https://files.example/b.pdf")


def test_line_from_payload_raises_when_print_file_is_not_http(order_payload):
    line = copy.deepcopy(order_payload["line_items"][0])
    line["meta_data"] = [{"id": 3, "key": "print_file_url", "value": "file:///etc/passwd"}]
    with pytest.raises(MappingError) as excinfo:
        line_from_payload(line)
    assert (excinfo.value.field, excinfo.value.record_id) == ("meta_data.print_file_url", "315")


@pytest.mark.parametrize(
    ("status", "date_paid", "refunds", "expected"),
    [
        ("processing", None, [], FinancialStatus.PAID),
        ("completed", None, [], FinancialStatus.PAID),
        ("on-hold", "2017-03-22T19:28:08", [], FinancialStatus.PAID),
        ("on-hold", None, [], FinancialStatus.PENDING),
        ("pending", None, [], FinancialStatus.PENDING),
        ("cancelled", None, [], FinancialStatus.VOIDED),
        ("refunded", "2017-03-22T19:28:08", [{"id": 1}], FinancialStatus.REFUNDED),
        ("processing", "2017-03-22T19:28:08", [{"id": 1, "total": "-1.00"}], FinancialStatus.PARTIALLY_REFUNDED),
        ("trash", None, [], FinancialStatus.UNKNOWN),
    ],
)
def test_financial_status_follows_status_and_date_paid_when_order_varies(
    order_payload, status, date_paid, refunds, expected
):
    payload = {
        **order_payload,
        "status": status,
        "date_paid": date_paid,
        "date_paid_gmt": date_paid,
        "refunds": refunds,
    }
    assert order_from_payload(payload).financial_status == expected


@pytest.mark.parametrize(
    ("wire", "canonical"),
    [("on-hold", OrderStatus.ON_HOLD), ("checkout-draft", OrderStatus.OTHER), ("wc-printing", OrderStatus.OTHER)],
)
def test_order_status_maps_to_canonical_when_status_is_unusual(order_payload, wire, canonical):
    assert order_from_payload({**order_payload, "status": wire}).status == canonical


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": None}, "id"),
        ({"currency": "dollars"}, "currency"),
        ({"total": "twenty"}, "total"),
        ({"date_created_gmt": None}, "date_created_gmt"),
        ({"date_created_gmt": "yesterday"}, "date_created_gmt"),
        ({"shipping": {"address_1": "969 Market", "country": "USA"}}, "shipping.country"),
        ({"line_items": None}, "line_items"),
    ],
)
def test_order_from_payload_raises_mapping_error_when_field_is_bad(order_payload, change, field):
    with pytest.raises(MappingError) as excinfo:
        order_from_payload({**order_payload, **change})
    assert excinfo.value.field == field
    assert excinfo.value.record_id == (None if field == "id" else "727")
    assert "Fix the record" in str(excinfo.value)


def test_order_from_payload_names_line_and_order_when_a_line_is_bad(order_payload):
    payload = copy.deepcopy(order_payload)
    payload["line_items"][1]["quantity"] = 0
    with pytest.raises(MappingError) as excinfo:
        order_from_payload(payload)
    assert (excinfo.value.field, excinfo.value.record_id) == ("line_items[1].quantity", "727")


def test_address_from_payload_is_none_when_address_holds_no_place():
    assert address_from_payload({"first_name": "", "country": "", "email": "a@example.com"}) is None
    assert address_from_payload([]) is None
    assert address_from_payload({"address_1": "1 Rue", "country": "fr"}).country == "FR"


def test_variant_from_payload_reads_sample_variations(variations):
    green, black = (variant_from_payload(item) for item in variations)
    assert (green.id, green.attributes, green.price, green.stock_quantity) == (
        "733",
        {"Color": "Green"},
        Decimal("9.00"),
        None,
    )
    assert (black.id, black.attributes) == ("732", {"Color": "Black"})
    assert black.image.url == "https://example.com/wp-content/uploads/2016/10/T_4_front-12.jpg"
    assert black.image.variant_ids == ("732",)
    assert black.sku == "" and black.weight is None


def test_product_from_payload_combines_product_and_variations(variations):
    payload = {
        "id": 22,
        "name": "Ship Your Idea",
        "type": "variable",
        "sku": "",
        "date_modified_gmt": "2017-03-23T03:53:11",
        "images": [{"id": 425, "src": "https://example.com/a.jpg", "name": "", "alt": "front"}],
        "tags": [],
    }
    product = product_from_payload(payload, variations)
    assert (product.id, product.title, product.product_type) == ("22", "Ship Your Idea", ProductType.NORMAL)
    assert [variant.id for variant in product.variants] == ["733", "732"]
    assert product.images[0].alt == "front"
    assert product.updated_at == datetime(2017, 3, 23, 3, 53, 11, tzinfo=UTC)
    tagged = product_from_payload({**payload, "tags": [{"id": 1, "slug": "printconnect-stock"}]})
    assert tagged.product_type == ProductType.STOCK


def test_image_from_payload_raises_when_src_is_missing():
    with pytest.raises(MappingError) as excinfo:
        image_from_payload({"id": 425, "src": ""})
    assert (excinfo.value.field, excinfo.value.record_id) == ("src", "425")
