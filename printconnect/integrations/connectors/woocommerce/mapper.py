"""Pure functions from WooCommerce REST v3 payloads to the canonical shapes; they raise `MappingError`.

Times come from the `*_gmt` fields, which WooCommerce sends in UTC without an offset.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from printconnect.integrations.connectors.errors import MappingError
from printconnect.integrations.connectors.types import (
    Address,
    ExternalImage,
    ExternalOrder,
    ExternalOrderLine,
    ExternalProduct,
    ExternalVariant,
    FinancialStatus,
    FulfilmentChannel,
    NewProduct,
    OrderStatus,
    ProductType,
)
from printconnect.integrations.connectors.woocommerce.constants import (
    DEFAULT_STOCK_TAGS,
    ORDER_STATUSES,
    PAID_STATUSES,
    PRINT_FILE_META_KEYS,
)

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_ADDRESS_PLACE_FIELDS = ("address_1", "address_2", "city", "postcode", "state", "country")


# --- plain values ----------------------------------------------------------------------------------------------------


def _record_id(payload: Any) -> str | None:
    if isinstance(payload, Mapping) and payload.get("id") not in (None, ""):
        return str(payload["id"])
    return None


def _require_mapping(payload: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        raise MappingError(what, f"expected an object, got {type(payload).__name__}")
    return payload


def _require_id(payload: Mapping[str, Any], field: str = "id") -> str:
    value = payload.get(field)
    if isinstance(value, bool) or not isinstance(value, int | str) or str(value).strip() in ("", "0"):
        raise MappingError(field, "missing or empty", _record_id(payload))
    return str(value)


def _optional_id(value: Any) -> str | None:
    if value in (None, "", 0, "0"):
        return None
    return str(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return html.unescape(str(value)).strip()


def gmt_datetime(value: Any, field: str, record_id: str | None = None) -> datetime | None:
    """A WooCommerce `*_gmt` time (UTC, no offset) as an aware UTC datetime; None for null/empty."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise MappingError(field, f"expected a date-time string, got {value!r}", record_id)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise MappingError(field, f"not a date-time: {value!r}", record_id) from exc
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _required_datetime(payload: Mapping[str, Any], field: str, record_id: str | None) -> datetime:
    parsed = gmt_datetime(payload.get(field), field, record_id)
    if parsed is None:
        raise MappingError(field, "missing", record_id)
    return parsed


def money(value: Any, field: str, record_id: str | None = None) -> Decimal | None:
    """A WooCommerce amount (a string such as "29.35", or a JSON number for line `price`) as a Decimal."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise MappingError(field, f"not an amount: {value!r}", record_id)
    try:
        amount = Decimal(str(value))  # str() first: a JSON float becomes its shortest decimal form
    except InvalidOperation as exc:
        raise MappingError(field, f"not an amount: {value!r}", record_id) from exc
    if not amount.is_finite():
        raise MappingError(field, f"not an amount: {value!r}", record_id)
    return amount


def _money_or_zero(value: Any, field: str, record_id: str | None) -> Decimal:
    amount = money(value, field, record_id)
    return amount if amount is not None else Decimal("0")


def _http_url(value: Any, field: str, record_id: str | None) -> str:
    url = str(value).strip() if isinstance(value, str) else ""
    if not url.lower().startswith(("https://", "http://")):
        raise MappingError(field, f"not an http(s) URL: {value!r}", record_id)
    return url


# --- addresses -------------------------------------------------------------------------------------------------------


def address_from_payload(
    payload: Mapping[str, Any] | None, *, field: str = "shipping", record_id: str | None = None
) -> Address | None:
    """WooCommerce `billing` / `shipping` object. None when it holds no place (virtual orders, email-only billing)."""
    if payload is None or payload == []:  # PHP serialises an empty array as []
        return None
    payload = _require_mapping(payload, field)
    if not any(_text(payload.get(key)) for key in _ADDRESS_PLACE_FIELDS):
        return None
    country = _text(payload.get("country")).upper()
    if not _COUNTRY.match(country):
        raise MappingError(f"{field}.country", f"not an ISO-3166 alpha-2 code: {payload.get('country')!r}", record_id)
    return Address(
        country=country,
        first_name=_text(payload.get("first_name")),
        last_name=_text(payload.get("last_name")),
        company=_text(payload.get("company")),
        line1=_text(payload.get("address_1")),
        line2=_text(payload.get("address_2")),
        city=_text(payload.get("city")),
        region=_text(payload.get("state")),
        postal_code=_text(payload.get("postcode")),
        phone=_text(payload.get("phone")),
        email=_text(payload.get("email")),
    )


# --- order lines -----------------------------------------------------------------------------------------------------


def _meta_entries(payload: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    meta = payload.get("meta_data") or []
    if not isinstance(meta, Sequence) or isinstance(meta, str):
        raise MappingError("meta_data", "expected a list", _record_id(payload))
    return [entry for entry in meta if isinstance(entry, Mapping)]


def _print_file_urls(entry: Mapping[str, Any], record_id: str | None) -> list[str]:
    value = entry.get("value")
    values = value if isinstance(value, list) else [value]
    field = f"meta_data.{entry.get('key')}"
    return [_http_url(item, field, record_id) for item in values if item not in (None, "")]


def line_from_payload(payload: Mapping[str, Any]) -> ExternalOrderLine:
    """One `line_items[]` entry. Attributes come from visible meta (display_key/display_value, else key/value)."""
    payload = _require_mapping(payload, "line_items[]")
    line_id = _require_id(payload)
    quantity = payload.get("quantity")
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int | float)
        or quantity <= 0
        or quantity != int(quantity)
    ):
        raise MappingError("quantity", f"expected a positive whole number, got {quantity!r}", line_id)
    attributes: dict[str, str] = {}
    print_files: list[str] = []
    for entry in _meta_entries(payload):
        key = entry.get("key")
        if not isinstance(key, str):
            continue
        if key in PRINT_FILE_META_KEYS:
            print_files.extend(_print_file_urls(entry, line_id))
            continue
        if key.startswith("_"):  # hidden meta (_reduced_stock, plugin internals)
            continue
        name = entry.get("display_key") or key
        value = entry.get("display_value") if entry.get("display_value") not in (None, "") else entry.get("value")
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            attributes[_text(name)] = _text(value)
    return ExternalOrderLine(
        id=line_id,
        quantity=int(quantity),
        title=_text(payload.get("name")),
        sku=_text(payload.get("sku")),
        product_id=_optional_id(payload.get("product_id")),
        variant_id=_optional_id(payload.get("variation_id")),
        attributes=attributes,
        print_file_urls=tuple(dict.fromkeys(print_files)),
        product_type=ProductType.NORMAL,  # WooCommerce has no such flag; the intake classifies by catalog mapping
        unit_price=money(payload.get("price"), "price", line_id),
        total=money(payload.get("total"), "total", line_id),
    )


# --- orders ----------------------------------------------------------------------------------------------------------


def is_paid(payload: Mapping[str, Any]) -> bool:
    """PLATFORMS section 3: paid = status processing/completed, or `date_paid` set."""
    return payload.get("status") in PAID_STATUSES or bool(payload.get("date_paid_gmt") or payload.get("date_paid"))


def financial_status(payload: Mapping[str, Any]) -> FinancialStatus:
    status = payload.get("status")
    if status == "refunded":
        return FinancialStatus.REFUNDED
    if is_paid(payload):
        return FinancialStatus.PARTIALLY_REFUNDED if payload.get("refunds") else FinancialStatus.PAID
    if status in ("pending", "on-hold", "failed", "checkout-draft"):
        return FinancialStatus.PENDING
    if status == "cancelled":
        return FinancialStatus.VOIDED
    return FinancialStatus.UNKNOWN


# The fields order_state_from_payload reads: a list asked for only these (`_fields`) is enough to tell which orders
# printconnect holds unchanged, at a fraction of the full records' size.
ORDER_STATE_FIELDS = ("id", "status", "date_paid", "date_paid_gmt", "refunds", "date_created_gmt", "date_modified_gmt")


def order_state_from_payload(payload: Any) -> tuple[str, OrderStatus, FinancialStatus, datetime] | None:
    """An order's id, status, financial status and last change, read without mapping the rest: enough to see that an
    order printconnect holds has not changed. None when they cannot be read (`order_from_payload` then says why)."""
    if not isinstance(payload, Mapping):
        return None
    order_id = _record_id(payload)
    try:
        changed = gmt_datetime(payload.get("date_modified_gmt"), "date_modified_gmt", order_id) or gmt_datetime(
            payload.get("date_created_gmt"), "date_created_gmt", order_id
        )
    except MappingError:
        return None
    if order_id is None or changed is None:
        return None
    wire_status = payload.get("status")
    status = ORDER_STATUSES.get(wire_status, OrderStatus.OTHER) if isinstance(wire_status, str) else OrderStatus.OTHER
    return order_id, status, financial_status(payload), changed


def order_from_payload(payload: Mapping[str, Any]) -> ExternalOrder:
    """One order of `GET /orders` or `GET /orders/{id}` (also the body of order.* webhooks)."""
    payload = _require_mapping(payload, "order")
    order_id = _require_id(payload)
    currency = _text(payload.get("currency")).upper()
    if not _CURRENCY.match(currency):
        raise MappingError("currency", f"not an ISO-4217 code: {payload.get('currency')!r}", order_id)
    total = money(payload.get("total"), "total", order_id)
    if total is None:
        raise MappingError("total", "missing", order_id)
    raw_lines = payload.get("line_items")
    if not isinstance(raw_lines, list):
        raise MappingError("line_items", "missing or not a list", order_id)
    lines = []
    for index, raw_line in enumerate(raw_lines):
        try:
            lines.append(line_from_payload(raw_line))
        except MappingError as exc:
            raise MappingError(f"line_items[{index}].{exc.field}", exc.reason, order_id) from exc
    placed_at = _required_datetime(payload, "date_created_gmt", order_id)
    updated_at = gmt_datetime(payload.get("date_modified_gmt"), "date_modified_gmt", order_id) or placed_at
    billing = payload.get("billing") or {}
    shipping_lines = payload.get("shipping_lines") or []
    first_shipping = shipping_lines[0] if shipping_lines and isinstance(shipping_lines[0], Mapping) else {}
    wire_status = payload.get("status")
    customer = billing if isinstance(billing, Mapping) else {}
    return ExternalOrder(
        id=order_id,
        number=_text(payload.get("number")) or order_id,
        status=ORDER_STATUSES.get(wire_status, OrderStatus.OTHER)
        if isinstance(wire_status, str)
        else OrderStatus.OTHER,
        financial_status=financial_status(payload),
        placed_at=placed_at,
        updated_at=updated_at,
        currency=currency,
        total=total,
        lines=tuple(lines),
        shipping_total=_money_or_zero(payload.get("shipping_total"), "shipping_total", order_id),
        tax_total=_money_or_zero(payload.get("total_tax"), "total_tax", order_id),
        discount_total=_money_or_zero(payload.get("discount_total"), "discount_total", order_id),
        customer_email=_text(customer.get("email")),
        customer_name=" ".join(p for p in (_text(customer.get("first_name")), _text(customer.get("last_name"))) if p),
        shipping_address=address_from_payload(payload.get("shipping"), field="shipping", record_id=order_id),
        billing_address=address_from_payload(payload.get("billing"), field="billing", record_id=order_id),
        shipping_method_code=_text(first_shipping.get("method_id")),
        shipping_method_title=_text(first_shipping.get("method_title")),
        note=_text(payload.get("customer_note")),
        fulfilment_channel=FulfilmentChannel.MERCHANT,
        raw=dict(payload),
    )


# --- products --------------------------------------------------------------------------------------------------------


def image_from_payload(
    payload: Mapping[str, Any], *, position: int = 0, variant_ids: tuple[str, ...] = ()
) -> ExternalImage:
    """`images[]` of a product or `image` of a variation: {id, src, name, alt}."""
    payload = _require_mapping(payload, "image")
    image_id = _require_id(payload)
    return ExternalImage(
        id=image_id,
        url=_http_url(payload.get("src"), "src", image_id),
        alt=_text(payload.get("alt")),
        position=int(payload.get("position", position) or position),
        variant_ids=variant_ids,
    )


def variant_from_payload(payload: Mapping[str, Any]) -> ExternalVariant:
    """One entry of `GET /products/{id}/variations`; attributes are `attributes[]{name, option}`."""
    payload = _require_mapping(payload, "variation")
    variant_id = _require_id(payload)
    attributes: dict[str, str] = {}
    for attribute in payload.get("attributes") or []:
        if isinstance(attribute, Mapping) and attribute.get("name"):
            attributes[_text(attribute["name"])] = _text(attribute.get("option"))
    raw_image = payload.get("image")
    stock = payload.get("stock_quantity")
    if stock is not None and (isinstance(stock, bool) or not isinstance(stock, int)):
        raise MappingError("stock_quantity", f"not a whole number: {stock!r}", variant_id)
    return ExternalVariant(
        id=variant_id,
        sku=_text(payload.get("sku")),
        attributes=attributes,
        price=money(payload.get("price"), "price", variant_id),
        stock_quantity=stock,
        weight=money(payload.get("weight"), "weight", variant_id),
        image=image_from_payload(raw_image, variant_ids=(variant_id,)) if isinstance(raw_image, Mapping) else None,
    )


def product_from_payload(
    payload: Mapping[str, Any],
    variations: Iterable[Mapping[str, Any]] = (),
    *,
    stock_tags: Iterable[str] = DEFAULT_STOCK_TAGS,
) -> ExternalProduct:
    """A product of `GET /products`, with its variations (fetched separately for `type == "variable"`)."""
    payload = _require_mapping(payload, "product")
    product_id = _require_id(payload)
    tags = {str(tag.get("slug")) for tag in payload.get("tags") or [] if isinstance(tag, Mapping)}
    images = []
    for index, raw_image in enumerate(payload.get("images") or []):
        try:
            images.append(image_from_payload(raw_image, position=index))
        except MappingError as exc:
            raise MappingError(f"images[{index}].{exc.field}", exc.reason, product_id) from exc
    variants = []
    for raw_variant in variations:
        try:
            variants.append(variant_from_payload(raw_variant))
        except MappingError as exc:
            raise MappingError(f"variations[{exc.record_id}].{exc.field}", exc.reason, product_id) from exc
    return ExternalProduct(
        id=product_id,
        title=_text(payload.get("name")),
        product_type=ProductType.STOCK if tags & set(stock_tags) else ProductType.NORMAL,
        sku=_text(payload.get("sku")),
        images=tuple(images),
        variants=tuple(variants),
        updated_at=gmt_datetime(payload.get("date_modified_gmt"), "date_modified_gmt", product_id),
        raw=dict(payload),
    )


# --- products printconnect creates ("Publish to store") --------------------------------------------------------------


def _wire_price(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def product_to_payload(product: NewProduct) -> dict[str, Any]:
    """The body of `POST /products`: a simple product, or a variable one whose attributes are the options (its
    variations are created next, with `variations_to_payload`)."""
    body: dict[str, Any] = {"name": product.title, "status": "publish", "sku": product.sku}
    if product.description:
        body["description"] = product.description
    if not product.options:
        body.update(type="simple", regular_price=_wire_price(product.price))
        return body
    body["type"] = "variable"
    body["attributes"] = [
        {"name": name, "position": position, "visible": True, "variation": True, "options": list(values)}
        for position, (name, values) in enumerate(product.options)
    ]
    # The first combination is preselected on the product page, as WooCommerce does for a product made by hand.
    if product.variants:
        body["default_attributes"] = [
            {"name": name, "option": option} for name, option in product.variants[0].attributes.items()
        ]
    return body


def variations_to_payload(product: NewProduct) -> list[dict[str, Any]]:
    """The `create` list of `POST /products/{id}/variations/batch`, one entry per variant, in order."""
    return [
        {
            "sku": variant.sku,
            "regular_price": _wire_price(variant.price),
            "attributes": [{"name": name, "option": option} for name, option in variant.attributes.items()],
        }
        for variant in product.variants
    ]


def batch_error(entry: Any) -> tuple[str, str] | None:
    """(code, message) of a refused entry of a batch answer; None for an entry that was created."""
    if not isinstance(entry, Mapping):
        return ("invalid_entry", f"expected an object, got {type(entry).__name__}")
    error = entry.get("error")
    if not isinstance(error, Mapping):
        return None
    return (_text(error.get("code")) or "error", _text(error.get("message")) or "no message")
