"""The OpenAPI 3.1 document of the API, built from this one description. tests/api/test_openapi.py checks that
every URL of printconnect.api.urls is in it and that the responses the tests get validate against its schemas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from printconnect.api.models import ApiToken
from printconnect.catalog.models import ShippingMethod
from printconnect.orders.models import Order, OrderItem, OrderStatusChange, PrintFile

VERSION = "1.0.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict[str, Any], *, required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        # Strict: a field the views add without describing it here fails tests/api (every response is checked).
        "additionalProperties": False,
        **extra,
    }


STRING, INTEGER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
DECIMAL = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "description": "A decimal amount as text, e.g. 4.95"}
STATUS = {"type": "string", "enum": list(Order.Status.values)}
SOURCE = {"type": "string", "enum": list(OrderStatusChange.Source.values)}
CARRIER = _object({"code": STRING, "name": STRING})

_SUMMARY: dict[str, Any] = {
    "id": INTEGER,
    "number": STRING,
    "external_id": STRING,
    "client_id": _nullable(INTEGER),
    "store": _object({"id": INTEGER, "name": STRING}),
    "status": STATUS,
    "hold_reason": _nullable({"type": "string", "enum": [v for v in Order.HoldReason.values if v]}),
    "hold_detail": _nullable(STRING),
    "is_test": BOOLEAN,
    "placed_at": TIME,
    "updated_at": TIME,
    "currency": STRING,
    "total": DECIMAL,
    "url": STRING,
}

SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {
            "error": _object(
                {
                    "code": {**STRING, "description": "Stable, for programs: unauthenticated, insufficient_scope, ..."},
                    "message": {**STRING, "description": "For people: what is wrong and what to do"},
                    "fields": {"type": "object", "additionalProperties": STRING},
                    "allowed_statuses": {"type": "array", "items": STATUS},
                    "currencies": {"type": "array", "items": STRING},
                },
                required=["code", "message", "fields"],
            )
        }
    ),
    "OrderSummary": _object(_SUMMARY),
    "OrderList": _object(
        {
            "orders": {"type": "array", "items": _ref("OrderSummary")},
            "next": _nullable({**STRING, "description": "Pass as cursor for the next (older) page; null: last page"}),
            "next_url": _nullable(STRING),
        }
    ),
    "PrintFile": _object(
        {
            "id": INTEGER,
            "status": {"type": "string", "enum": list(PrintFile.Status.values)},
            "source_url": _nullable(STRING),
            "download_url": _nullable({**STRING, "description": "GET with the same token; null until stored"}),
            "file_name": _nullable(STRING),
            "size": _nullable(INTEGER),
            "content_type": _nullable(STRING),
            "sha256": _nullable(STRING),
            "page_count": _nullable(INTEGER),
            "check_result": _nullable(STRING),
            "error": _nullable(STRING),
        }
    ),
    "OrderItem": _object(
        {
            "id": INTEGER,
            "external_id": STRING,
            "sku": STRING,
            "title": STRING,
            "quantity": INTEGER,
            "kind": _nullable({"type": "string", "enum": [v for v in OrderItem.Kind.values if v]}),
            "catalog_product": _nullable(_object({"uid": STRING, "name": STRING})),
            "print_specs": {"type": "object"},
            "attributes": {"type": "object"},
            "print_files": {"type": "array", "items": _ref("PrintFile")},
        }
    ),
    "Shipment": _object(
        {
            "id": INTEGER,
            "carrier": _nullable(CARRIER),
            "tracking_number": STRING,
            "tracking_url": _nullable(STRING),
            "shipped_at": TIME,
            "source": SOURCE,
            "items": {"type": "array", "items": _object({"item_id": INTEGER, "quantity": INTEGER})},
        }
    ),
    "StatusChange": _object(
        {
            "from_status": STATUS,
            "to_status": STATUS,
            "source": SOURCE,
            "actor": _nullable(STRING),
            "note": STRING,
            "at": TIME,
        }
    ),
    "Order": _object(
        {
            **_SUMMARY,
            "store_status": STRING,
            "financial_status": STRING,
            "customer": _object({"name": STRING, "email": STRING}),
            "shipping_address": {"type": "object"},
            "store_shipping_method": _nullable(STRING),
            "shipping_method": _nullable(
                _object(
                    {
                        "code": STRING,
                        "name": STRING,
                        "service_level": {"type": "string", "enum": list(ShippingMethod.ServiceLevel.values)},
                        "carrier": CARRIER,
                    }
                )
            ),
            "items": {"type": "array", "items": _ref("OrderItem")},
            "shipments": {"type": "array", "items": _ref("Shipment")},
            "status_history": {"type": "array", "items": _ref("StatusChange")},
        }
    ),
    "StatusChangeRequest": _object(
        {"status": STATUS, "note": {**STRING, "description": "Kept in the order's history"}}, required=["status"]
    ),
    "ShipmentRequest": _object(
        {
            "tracking_number": STRING,
            "tracking_url": {**STRING, "description": "Default: the carrier's tracking link for the number"},
            "carrier": {
                **STRING,
                "description": "A carrier code; default: the store's carrier rules, then its default",
            },
            "shipped_at": {**TIME, "description": "Default: now"},
            "items": {
                "type": "array",
                "description": "Default: every item not shipped yet",
                "items": _object({"item_id": INTEGER, "quantity": INTEGER}),
            },
        },
        required=["tracking_number"],
    ),
    "ShipmentCreated": _object({"shipment": _ref("Shipment"), "warning": _nullable(STRING), "order": _ref("Order")}),
    "ShippingRatesRequest": _object(
        {
            "currency": {**STRING, "description": "ISO 4217, e.g. EUR; prices are never converted"},
            "country": {**STRING, "description": "Destination, ISO 3166-1 alpha-2, e.g. NL"},
            "postcode": STRING,
            "items": {
                "type": "array",
                "description": "Catalog product UIDs and quantities; checked, not priced (rates are per parcel)",
                "items": _object({"uid": STRING, "quantity": INTEGER}, required=["uid"]),
            },
        },
        required=["currency", "country"],
    ),
    "ShippingRate": _object(
        {
            "code": STRING,
            "delivery_method": {**STRING, "description": "Store this as the order's delivery method"},
            "name": STRING,
            "service_level": {"type": "string", "enum": list(ShippingMethod.ServiceLevel.values)},
            "carrier": CARRIER,
            "price": DECIMAL,
            "currency": STRING,
            "country_group": STRING,
        }
    ),
    "ShippingRates": _object(
        {
            "currency": STRING,
            "country": STRING,
            "postcode": _nullable(STRING),
            "methods": {"type": "array", "items": _ref("ShippingRate")},
            "message": _nullable(STRING),
        }
    ),
}


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # "path" or "query"
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: dict(STRING))
    required: bool = False


@dataclass(frozen=True)
class Operation:
    url_name: str  # in printconnect.api.urls
    path: str
    method: str
    summary: str
    description: str
    scope: str
    responses: dict[int, tuple[str, str | None]]  # status -> (description, schema name or None for a file)
    params: tuple[Param, ...] = ()
    request: str | None = None

    @property
    def response_rows(self) -> list[tuple[int, str, str | None]]:
        return [(status, *self.responses[status]) for status in sorted(self.responses)]

    @property
    def anchor(self) -> str:
        return f"{self.method.lower()}-{self.url_name}"


ID = Param("id", "path", "The order id (the `id` of a listed order)", {"type": "integer"}, required=True)
_AUTH = {401: ("No, a malformed, unknown or revoked token", "Error"), 403: ("The token lacks the scope", "Error")}
_RATE = {429: ("Too many requests this minute; see Retry-After", "Error")}
_404 = {404: ("No such order for this token (another client's order answers 404 too)", "Error")}
_POST = {400: ("The body is not JSON", "Error"), 415: ("Content-Type is not application/json", "Error")}
_RATE_PARAMS = (
    Param("currency", "query", "ISO 4217 currency, e.g. EUR", required=True),
    Param("country", "query", "ISO 3166-1 alpha-2 destination country, e.g. NL", required=True),
    Param("postcode", "query", "The destination's postcode (optional; echoed)"),
)

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "order_list", "/orders/", "GET", "List orders",
        "Newest first, by keyset: follow `next` (or `next_url`) until it is null. Orders that arrive meanwhile do "
        "not shift the pages. A client's token sees its client's orders, a store-limited token its store's.",
        ApiToken.Scope.ORDERS_READ,
        {200: ("A page of orders", "OrderList"), 400: ("A bad filter, limit or cursor", "Error"), **_AUTH, **_RATE},
        params=(
            Param("status", "query", "One status or several separated by commas, e.g. received,in_production"),
            Param("store", "query", "A store id", {"type": "integer"}),
            Param("placed_since", "query", "ISO 8601 time with time zone", TIME),
            Param("updated_since", "query", "ISO 8601 time with time zone: changed since", TIME),
            Param("is_test", "query", "true: test orders only; false: real orders only", BOOLEAN),
            Param("limit", "query", "1 to 100, default 50", {"type": "integer", "minimum": 1, "maximum": 100}),
            Param("cursor", "query", "The `next` of the previous page"),
        ),
    ),
    Operation(
        "order_detail", "/orders/{id}/", "GET", "Get an order",
        "Items with their catalog product, kind, print specs and print files (download URL, size, checksum, check "
        "result), addresses, shipping method, shipments and status history.",
        ApiToken.Scope.ORDERS_READ, {200: ("The order", "Order"), **_AUTH, **_404, **_RATE}, params=(ID,),
    ),
    Operation(
        "order_status", "/orders/{id}/status", "POST", "Change an order's status",
        "Only the production flow's moves are allowed (received -> in_production -> printed -> shipped -> "
        "delivered; cancelled before shipped). The history records the token. Send an Idempotency-Key header to "
        "retry safely.",
        ApiToken.Scope.ORDERS_WRITE,
        {
            200: ("The order after the change", "Order"),
            409: ("The move is not allowed from the order's status (allowed_statuses lists what is)", "Error"),
            422: ("status is missing or not a status", "Error"),
            **_POST, **_AUTH, **_404, **_RATE,
        },
        params=(ID,), request="StatusChangeRequest",
    ),
    Operation(
        "order_shipments", "/orders/{id}/shipments", "POST", "Add a shipment",
        "A parcel with its tracking number; several per order are normal. Without items it holds everything not "
        "shipped yet; the order moves to shipped when its last item leaves. The carrier is the one given, else the "
        "store's carrier rules, else its default carrier.",
        ApiToken.Scope.ORDERS_WRITE,
        {
            201: ("The shipment and the order", "ShipmentCreated"),
            409: ("The order cannot be shipped now (on hold, cancelled, nothing left)", "Error"),
            422: ("A field is wrong (tracking number, items, carrier)", "Error"),
            **_POST, **_AUTH, **_404, **_RATE,
        },
        params=(ID,), request="ShipmentRequest",
    ),
    Operation(
        "print_file_download", "/print-files/{id}/download", "GET", "Download a print file",
        "The stored file (the `download_url` of a print file).", ApiToken.Scope.ORDERS_READ,
        {200: ("The file", None), 409: ("Not stored yet", "Error"), **_AUTH, **_404, **_RATE},
        params=(Param("id", "path", "The print file id", {"type": "integer"}, required=True),),
    ),
    Operation(
        "shipping_rates", "/shipping-rates", "POST", "Shipping rates (Infigo checkout)",
        "The print shop's active shipping methods that deliver to the country, with their price in the currency "
        "asked (never converted), cheapest first. Store `delivery_method` as the order's delivery method.",
        ApiToken.Scope.SHIPPING_RATES,
        {
            200: ("The methods (an empty list with a message when none delivers there)", "ShippingRates"),
            422: ("A bad field, or no rates at all in that currency (currencies lists those there are)", "Error"),
            **_POST, **_AUTH, **_RATE,
        },
        request="ShippingRatesRequest",
    ),
    Operation(
        "shipping_rates", "/shipping-rates", "GET", "Shipping rates, as query parameters",
        "The same as the POST, for scripts that can only GET.", ApiToken.Scope.SHIPPING_RATES,
        {200: ("The methods", "ShippingRates"), 422: ("A bad parameter", "Error"), **_AUTH, **_RATE},
        params=_RATE_PARAMS,
    ),
    Operation(
        "openapi", "/openapi.json", "GET", "This document", "Public: it holds no data.", "",
        {200: ("The OpenAPI 3.1 document", None)},
    ),
)  # fmt: skip


def _operation(op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, (description, schema) in sorted(op.responses.items()):
        if schema is None:
            content = {"application/octet-stream": {}} if op.url_name != "openapi" else {"application/json": {}}
        else:
            content = {"application/json": {"schema": _ref(schema)}}
        responses[str(status)] = {"description": description, "content": content}
    result: dict[str, Any] = {
        "operationId": op.anchor.replace("-", "_"),
        "summary": op.summary,
        "description": op.description + (f"\n\nScope: `{op.scope}`." if op.scope else ""),
        "responses": responses,
        "parameters": [
            {"name": p.name, "in": p.where, "required": p.required, "description": p.description, "schema": p.schema}
            for p in op.params
        ],
    }
    if op.request:
        result["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(op.request)}}}
    if op.method == "POST":
        result["parameters"].append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "A key of yours (e.g. a UUID): the same request with the same key is done once, "
                "and its first answer is replayed",
                "schema": STRING,
            }
        )
    result["security"] = [{"bearer": []}] if op.scope else []
    return result


def document(*, server: str = "/api/v1") -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "printconnect production API",
            "version": VERSION,
            "description": "Orders for the print shop's production systems, and shipping rates for the Infigo "
            "checkout. Send `Authorization: Bearer <token>`; tokens are made under Settings > API tokens (clients) "
            'or in the staff console. Errors are `{"error": {"code", "message", "fields"}}`.',
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "pc_… API token"}},
        },
    }


def operations() -> list[Operation]:
    return list(OPERATIONS)
