"""Orders, shipments and shipping rates as the API's JSON (the shapes printconnect.api.openapi describes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse

from printconnect.catalog.models import Carrier, ShippingMethod, ShippingRate
from printconnect.orders.models import Order, OrderItem, OrderStatusChange, PrintFile, Shipment


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _carrier(carrier: Carrier | None) -> dict[str, str] | None:
    return {"code": carrier.code, "name": carrier.name} if carrier else None


def _method(method: ShippingMethod | None) -> dict[str, Any] | None:
    if method is None:
        return None
    return {
        "code": method.code,
        "name": method.name,
        "service_level": method.service_level,
        "carrier": _carrier(method.carrier),
    }


def order_summary(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "number": order.number,
        "external_id": order.external_id,
        "client_id": order.client_id,
        "store": {"id": order.store_id, "name": order.store.name},
        "status": order.status,
        "hold_reason": order.hold_reason or None,
        "hold_detail": order.hold_detail or None,
        "is_test": order.is_test,
        "placed_at": _time(order.placed_at),
        "updated_at": _time(order.updated_at),
        "currency": order.currency,
        "total": str(order.total),
        "url": reverse("api:order_detail", kwargs={"pk": order.pk}),
    }


def _print_file(print_file: PrintFile) -> dict[str, Any]:
    return {
        "id": print_file.pk,
        "status": print_file.status,
        "source_url": print_file.source_url or None,
        "download_url": reverse("api:print_file_download", kwargs={"pk": print_file.pk}) if print_file.file else None,
        "file_name": print_file.original_name or None,
        "size": print_file.size,
        "content_type": print_file.content_type or None,
        "sha256": print_file.sha256 or None,
        "page_count": print_file.page_count,
        "check_result": print_file.check_result or None,
        "error": print_file.error or None,
    }


def _item(item: OrderItem) -> dict[str, Any]:
    product = item.catalog_product
    return {
        "id": item.pk,
        "external_id": item.external_id,
        "sku": item.sku,
        "title": item.title,
        "quantity": item.quantity,
        "kind": item.kind or None,
        "catalog_product": {"uid": product.uid, "name": product.name} if product else None,
        "print_specs": item.print_specs,
        "attributes": item.attributes,
        "print_files": [_print_file(print_file) for print_file in item.print_files.all()],
    }


def shipment_json(shipment: Shipment) -> dict[str, Any]:
    return {
        "id": shipment.pk,
        "carrier": _carrier(shipment.carrier),
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url or None,
        "shipped_at": _time(shipment.shipped_at),
        "source": shipment.source,
        "items": [{"item_id": row.item_id, "quantity": row.quantity} for row in shipment.items.all()],
    }


def _change(change: OrderStatusChange) -> dict[str, Any]:
    return {
        "from_status": change.from_status,
        "to_status": change.to_status,
        "source": change.source,
        "actor": change.actor.email if change.actor else None,
        "note": change.note,
        "at": _time(change.at),
    }


def order_detail(order: Order) -> dict[str, Any]:
    """An order as order_for_page prefetched it."""
    return {
        **order_summary(order),
        "store_status": order.store_status,
        "financial_status": order.financial_status,
        "customer": {"name": order.customer_name, "email": order.customer_email},
        "shipping_address": order.shipping_address,
        "store_shipping_method": order.shipping_method or None,
        "shipping_method": _method(order.psp_shipping_method),
        "items": [_item(item) for item in order.items.all()],
        "shipments": [shipment_json(shipment) for shipment in order.shipments.all()],
        "status_history": [_change(change) for change in order.status_changes.all()],
    }


def shipping_rate_json(rate: ShippingRate) -> dict[str, Any]:
    method = rate.shipping_method
    return {
        "code": method.code,
        # What Infigo stores as the order's delivery method; an order naming it maps back to this method.
        "delivery_method": method.code,
        "name": method.name,
        "service_level": method.service_level,
        "carrier": _carrier(method.carrier),
        "price": str(rate.price),
        "currency": rate.currency,
        "country_group": rate.country_group,
    }
