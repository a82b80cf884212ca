"""The JSON API for the print shop's production systems, under /api/v1/ (described by openapi.py)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render

from printconnect.api import openapi, selectors, serializers
from printconnect.api.http import ApiError, api_endpoint
from printconnect.api.models import ApiToken
from printconnect.catalog.models import Carrier
from printconnect.catalog.selectors import catalog_products_by_uid
from printconnect.core.exceptions import ApplicationError
from printconnect.orders import workflow
from printconnect.orders.models import Order, OrderStatusChange
from printconnect.orders.selectors import cursor_decode, order_for_page, orders_page
from printconnect.orders.services import order_status_change, store_shipping_methods_offer
from printconnect.orders.shipments import shipment_create

READ, WRITE, RATES = ApiToken.Scope.ORDERS_READ, ApiToken.Scope.ORDERS_WRITE, ApiToken.Scope.SHIPPING_RATES
MAX_LIMIT, DEFAULT_LIMIT = 100, 50


def _bad(field: str, message: str, *, status: int = 400, code: str = "invalid_parameter", **extra: Any) -> ApiError:
    return ApiError(status, code, message, fields={field: message}, **extra)


def _since(request: HttpRequest, name: str) -> datetime | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace(" ", "+"))  # a "+" left unescaped in a query string is a space
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise _bad(name, f"Give {name} as an ISO 8601 time with its time zone, e.g. 2026-12-01T09:00:00Z.")
    return value


def _list_filters(request: HttpRequest, orders: Any) -> Any:
    statuses = [part.strip() for part in request.GET.get("status", "").split(",") if part.strip()]
    unknown = [status for status in statuses if status not in Order.Status.values]
    if unknown:
        raise _bad(
            "status", f"Unknown status {', '.join(unknown)}; use one or more of {', '.join(Order.Status.values)}."
        )
    if statuses:
        orders = orders.filter(status__in=statuses)
    store = request.GET.get("store", "").strip()
    if store:
        if not store.isdigit():
            raise _bad("store", "Give store as a store id (a whole number).")
        orders = orders.filter(store_id=int(store))
    placed_since, updated_since = _since(request, "placed_since"), _since(request, "updated_since")
    if placed_since:
        orders = orders.filter(placed_at__gte=placed_since)
    if updated_since:
        orders = orders.filter(updated_at__gte=updated_since)
    is_test = request.GET.get("is_test", "").strip().lower()
    if is_test not in ("", "true", "false"):
        raise _bad("is_test", "Give is_test as true or false, or leave it out for both.")
    if is_test:
        orders = orders.filter(is_test=is_test == "true")
    return orders


def _limit(request: HttpRequest) -> int:
    raw = request.GET.get("limit", "").strip()
    if not raw:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise _bad("limit", f"Give limit as a whole number from 1 to {MAX_LIMIT}.")
    return int(raw)


@api_endpoint(GET=READ)
def order_list(request: HttpRequest, token: ApiToken, body: dict[str, Any]) -> tuple[int, Any]:
    """Newest first, by keyset: follow `next` until it is null. Orders arriving meanwhile do not shift pages."""
    cursor = request.GET.get("cursor", "").strip()
    if cursor and cursor_decode(cursor) is None:
        raise _bad("cursor", "This cursor is not one this API gave out; start again without it.")
    orders = _list_filters(request, selectors.orders_for_token(token=token))
    page = orders_page(orders=orders, after=cursor, size=_limit(request))
    next_url = None
    if page.next_cursor:
        query = {**request.GET.dict(), "cursor": page.next_cursor}
        next_url = f"{request.path}?{urlencode(query)}"
    return 200, {
        "orders": [serializers.order_summary(order) for order in page.orders],
        "next": page.next_cursor or None,
        "next_url": next_url,
    }


def _order(token: ApiToken, pk: int) -> Order:
    return order_for_page(orders=selectors.orders_for_token(token=token), pk=pk)


def _detail(token: ApiToken, pk: int) -> dict[str, Any]:
    return serializers.order_detail(_order(token, pk))


@api_endpoint(GET=READ)
def order_detail(request: HttpRequest, token: ApiToken, body: dict[str, Any], pk: int) -> tuple[int, Any]:
    return 200, _detail(token, pk)


def _text(body: dict[str, Any], name: str, *, required: bool = False, max_length: int = 2000) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _bad(name, f"Give {name} as a text.", status=422, code="invalid_field")
    if len(value) > max_length:
        raise _bad(name, f"Keep {name} under {max_length} characters.", status=422, code="invalid_field")
    return value.strip()


def _actor_note(token: ApiToken, note: str) -> str:
    via = f"API token “{token.name}” ({token.prefix}…)"
    return f"{note} ({via})" if note else f"Via {via}"


@api_endpoint(POST=WRITE)
def order_status(request: HttpRequest, token: ApiToken, body: dict[str, Any], pk: int) -> tuple[int, Any]:
    order = _order(token, pk)
    allowed = workflow.next_statuses(order.status)
    status = body.get("status")
    if not isinstance(status, str) or status not in Order.Status.values:
        message = (
            f"Give status as one of the order statuses; order {order.number} is {order.status} and can go to: "
            f"{', '.join(allowed) or 'nothing (it is final)'}."
        )
        raise _bad("status", message, status=422, code="invalid_field", allowed_statuses=allowed)
    note = _text(body, "note")
    try:
        order_status_change(
            order=order,
            to_status=status,
            source=OrderStatusChange.Source.API,
            actor=token.created_by,
            note=_actor_note(token, note),
        )
    except ApplicationError as exc:
        raise ApiError(409, "transition_refused", exc.message, allowed_statuses=allowed) from exc
    return 200, _detail(token, pk)


def _shipment_items(body: dict[str, Any]) -> dict[int, int] | None:
    items = body.get("items")
    if items is None:
        return None
    message = 'Give items as a list like [{"item_id": 12, "quantity": 1}], or leave it out to ship all that is left.'
    if not isinstance(items, list):
        raise _bad("items", message, status=422, code="invalid_field")
    wanted: dict[int, int] = {}
    for entry in items:
        if not isinstance(entry, dict):
            raise _bad("items", message, status=422, code="invalid_field")
        item_id, quantity = entry.get("item_id"), entry.get("quantity")
        if type(item_id) is not int or type(quantity) is not int:
            raise _bad("items", message, status=422, code="invalid_field")
        wanted[item_id] = wanted.get(item_id, 0) + quantity
    return wanted


def _carrier_for(body: dict[str, Any]) -> Carrier | None:
    code = _text(body, "carrier", max_length=32)
    if not code:
        return None
    carrier = Carrier.objects.filter(code__iexact=code, active=True).first()
    if carrier is None:
        known = ", ".join(Carrier.objects.filter(active=True).order_by("code").values_list("code", flat=True))
        raise _bad(
            "carrier",
            f"Unknown carrier {code!r}; use one of {known or 'none yet'}, or leave it out to use the store's "
            "carrier rules.",
            status=422,
            code="invalid_field",
        )
    return carrier


def _shipped_at(body: dict[str, Any]) -> datetime | None:
    raw = body.get("shipped_at")
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise _bad(
            "shipped_at", "Give shipped_at as an ISO 8601 time with its time zone.", status=422, code="invalid_field"
        )
    return value


@api_endpoint(POST=WRITE)
def order_shipments(request: HttpRequest, token: ApiToken, body: dict[str, Any], pk: int) -> tuple[int, Any]:
    order = _order(token, pk)
    tracking_url = _text(body, "tracking_url")
    if tracking_url and not re.match(r"^https?://", tracking_url):
        raise _bad("tracking_url", "Give tracking_url as an http(s) address.", status=422, code="invalid_field")
    try:
        shipment = shipment_create(
            order=order,
            tracking_number=_text(body, "tracking_number", required=True, max_length=100),
            tracking_url=tracking_url,
            items=_shipment_items(body),
            carrier=_carrier_for(body),
            shipped_at=_shipped_at(body),
            source=OrderStatusChange.Source.API,
            actor=token.created_by,
        )
    except ApplicationError as exc:
        if exc.field:
            raise _bad(exc.field, exc.message, status=422, code="invalid_field") from exc
        raise ApiError(409, "shipment_refused", exc.message) from exc
    detail = _detail(token, pk)
    warning = None
    if shipment.carrier is None:
        warning = (
            "No carrier: the store has no carrier rule matching this tracking number and no default carrier, so the "
            "tracking is not sent to the store. Give carrier, or set the store's carrier rules."
        )
    created = next(row for row in detail["shipments"] if row["id"] == shipment.pk)
    return 201, {"shipment": created, "warning": warning, "order": detail}


@api_endpoint(GET=READ)
def print_file_download(request: HttpRequest, token: ApiToken, body: dict[str, Any], pk: int) -> HttpResponse:
    print_file = get_object_or_404(selectors.print_files_for_token(token=token), pk=pk)
    if not print_file.file:
        raise ApiError(409, "not_stored", "This print file is not stored yet; see its status and try again later.")
    return FileResponse(
        print_file.file.open("rb"),
        as_attachment=True,
        filename=print_file.original_name or f"print-file-{print_file.pk}",
        content_type=print_file.content_type or None,
    )


# --- Infigo checkout: shipping rates ------------------------------------------------------------------------------


def _code(value: Any, name: str, length: int, example: str, standard: str) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if not re.fullmatch(rf"[A-Z]{{{length}}}", code):
        raise _bad(
            name, f"Give {name} as a {standard} code of {length} letters, e.g. {example}.", status=422,
            code="invalid_field",
        )  # fmt: skip
    return code


def _rate_items(value: Any) -> list[dict[str, Any]]:
    if value in (None, ""):
        return []
    message = 'Give items as a list like [{"uid": "POSTER-A3", "quantity": 2}], or leave it out.'
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        raise _bad("items", message, status=422, code="invalid_field")
    items = []
    for entry in value:
        uid, quantity = entry.get("uid"), entry.get("quantity", 1)
        if not isinstance(uid, str) or type(quantity) is not int or quantity < 1:
            raise _bad("items", message, status=422, code="invalid_field")
        items.append({"uid": uid.strip(), "quantity": quantity})
    known = catalog_products_by_uid(item["uid"] for item in items)  # only the UIDs asked, not the whole catalog
    unknown = sorted(item["uid"] for item in items if item["uid"].lower() not in known)
    if unknown:
        raise _bad(
            "items", f"Unknown product UID {', '.join(unknown)}: use the print shop's catalog UIDs.", status=422,
            code="invalid_field",
        )  # fmt: skip
    return items


@api_endpoint(GET=RATES, POST=RATES, empty_post_ok=True)
def shipping_rates(request: HttpRequest, token: ApiToken, body: dict[str, Any]) -> tuple[int, Any]:
    """The print shop's shipping methods with their price for a destination, in the currency asked (never
    converted). GET takes query parameters, POST a JSON object (or, with no body, the query parameters); both take
    the same names."""
    data: dict[str, Any] = body or request.GET.dict()
    currency = _code(data.get("currency"), "currency", 3, "EUR", "ISO 4217")
    country = _code(data.get("country"), "country", 2, "NL", "ISO 3166-1 alpha-2")
    postcode = data.get("postcode") or None
    if postcode is not None and (not isinstance(postcode, str) or len(postcode) > 20):
        raise _bad("postcode", "Give postcode as a text of at most 20 characters.", status=422, code="invalid_field")
    _rate_items(data.get("items"))
    currencies = selectors.shipping_rate_currencies()
    if currency not in currencies:
        raise _bad(
            "currency",
            f"The print shop has no shipping rates in {currency}; it has rates in {', '.join(currencies) or 'none'}. "
            "Prices are never converted: ask in one of those currencies.",
            status=422,
            code="currency_not_offered",
            currencies=currencies,
        )
    rates = selectors.shipping_rates_for(currency=currency, country=country)
    if token.store_id is not None:
        # The codes offered become the store's shipping method names, mapped: its orders naming them map back.
        store_shipping_methods_offer(store=token.store, methods=[rate.shipping_method for rate in rates])
    return 200, {
        "currency": currency,
        "country": country,
        "postcode": postcode,
        "methods": [serializers.shipping_rate_json(rate) for rate in rates],
        "message": None if rates else f"No shipping method of the print shop delivers to {country} in {currency}.",
    }


# --- the document -------------------------------------------------------------------------------------------------


def openapi_json(request: HttpRequest) -> JsonResponse:
    """The OpenAPI 3.1 document; public, it holds no data."""
    return JsonResponse(openapi.document(server=request.build_absolute_uri("/api/v1")))


def api_docs(request: HttpRequest) -> HttpResponse:
    return render(
        request, "api/docs.html", {"operations": openapi.operations(), "document_url": "/api/v1/openapi.json"}
    )
