"""The order lists and the order page, for the staff console and the portal: same code, each side's scope (staff see
every order; a client's team sees the orders of the stores its role shows) and URL names."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from printconnect.clients.access import portal_member_required, staff_required
from printconnect.clients.models import Client
from printconnect.core import permissions as perms
from printconnect.core.exceptions import ApplicationError
from printconnect.orders import selectors, services, source_changes, workflow
from printconnect.orders.models import Order, OrderSourceChange, OrderStatusChange
from printconnect.orders.shipments import shipment_create
from printconnect.storefronts.models import Store
from printconnect.storefronts.selectors import stores_for_user


@dataclass(frozen=True)
class _Side:
    staff: bool
    ns: str  # URL namespace
    source: str  # OrderStatusChange.Source of the changes made here

    def url(self, name: str, *args: Any) -> str:
        return reverse(f"{self.ns}:{name}", args=args)


# shipment_create refuses these; the page does not offer the form for them.
_NOT_SHIPPABLE = frozenset({Order.Status.ON_HOLD, Order.Status.CANCELLED, Order.Status.DELIVERED})

_STAFF = _Side(staff=True, ns="staff_orders", source=OrderStatusChange.Source.STAFF)
_PORTAL = _Side(staff=False, ns="portal", source=OrderStatusChange.Source.PORTAL)


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(request: HttpRequest, clients: list[Client] | None, stores: list[Store]) -> selectors.OrderFilters:
    """The list's filters from the query string; a value that is not one of the choices offered is dropped (an
    edited link shows more orders, never another client's)."""
    get = request.GET
    client_id = _int(get.get("client", ""))
    if clients is None or client_id not in {c.pk for c in clients}:
        client_id = None
    store_id = _int(get.get("store", ""))
    if store_id not in {s.pk for s in stores}:
        store_id = None
    status = get.get("status", "")
    hold_reason = get.get("hold_reason", "")
    test = get.get("test", "")
    return selectors.OrderFilters(
        client_id=client_id,
        store_id=store_id,
        status=status if status in Order.Status.values else "",
        hold_reason=hold_reason if hold_reason and hold_reason in Order.HoldReason.values else "",
        placed_from=_date(get.get("placed_from", "")),
        placed_to=_date(get.get("placed_to", "")),
        test=test if test in ("test", "real") else "",
        search=get.get("q", "").strip()[:200],
    )


def _query_without_cursor(request: HttpRequest) -> str:
    query = request.GET.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    return query.urlencode()


def _list_page(
    request: HttpRequest,
    side: _Side,
    orders: QuerySet[Order],
    clients: list[Client] | None,
    stores: list[Store],
    can_change: bool,
    test_store: Store | None = None,
    manual_stores: list[Store] | None = None,
) -> HttpResponse:
    filters = _filters(request, clients, stores)
    if side.staff and filters.client_id is None:
        stores = []  # the store menu lists the chosen client's stores only: thousands of stores make no menu
        filters = replace(filters, store_id=None)
    page = selectors.orders_page(
        orders=selectors.orders_filtered(orders=orders, filters=filters),
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    base_query = _query_without_cursor(request)
    context = {
        "side": side,
        "page": page,
        "filters": filters,
        "clients": clients,
        "stores": stores,
        "statuses": Order.Status.choices,
        "hold_reasons": [choice for choice in Order.HoldReason.choices if choice[0]],
        "can_change": can_change,
        "base_query": base_query,
        "list_url": side.url("order_list"),
        "filtered": bool(base_query),
        # The store chosen in the filter, when "Send test order" may be offered for it.
        "test_store": test_store,
        "manual_stores": manual_stores or [],
    }
    return render(request, "orders/order_list.html", context)


def _detail_page(request: HttpRequest, side: _Side, order: Order, can_change: bool) -> HttpResponse:
    shipped: dict[int, int] = {}
    for shipment in order.shipments.all():
        for line in shipment.items.all():
            shipped[line.item_id] = shipped.get(line.item_id, 0) + line.quantity
    items = list(order.items.all())
    for item in items:
        item.shipped = shipped.get(item.pk, 0)
        item.left = max(item.quantity - item.shipped, 0) if item.kind != item.Kind.IGNORED else 0
    changes = list(order.source_changes.all())
    context = {
        "side": side,
        "order": order,
        "items": items,
        "pending_change": next((c for c in changes if c.status == OrderSourceChange.Status.PENDING), None),
        "past_changes": [c for c in changes if c.status != OrderSourceChange.Status.PENDING],
        "can_accept_change": order.status in (Order.Status.ON_HOLD, Order.Status.RECEIVED),
        "next_statuses": [(value, Order.Status(value).label) for value in workflow.next_statuses(order.status)],
        "can_change": can_change,
        "can_ship": can_change and order.status not in _NOT_SHIPPABLE,
        "list_url": side.url("order_list"),
        "reprocess_url": side.url("order_reprocess", order.pk),
        "download_url_name": f"{side.ns}:print_file_download",
    }
    return render(request, "orders/order_detail.html", context)


def _status_change(request: HttpRequest, side: _Side, order: Order) -> HttpResponse:
    try:
        services.order_status_change(
            order=order,
            to_status=request.POST.get("status", ""),
            source=side.source,
            actor=request.user,
            note=request.POST.get("note", "")[:2000],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Order {order.number} is now {order.get_status_display().lower()}.")
    return redirect(side.url("order_detail", order.pk))


def _source_change_decide(request: HttpRequest, side: _Side, change: OrderSourceChange) -> HttpResponse:
    """ "Accept the store's changes" or "Keep as imported" on a change the store made after import."""
    accept = request.POST.get("decision") == "accept"
    decide = source_changes.source_change_accept if accept else source_changes.source_change_keep
    try:
        order = decide(change=change, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(side.url("order_detail", change.order_id))
    done = "now follows the store's changes" if accept else "stays as it was imported"
    if order.status == Order.Status.ON_HOLD:
        messages.warning(request, f"Order {order.number} {done}, and is still held: {order.hold_detail}")
    else:
        messages.success(request, f"Order {order.number} {done}; it is {order.get_status_display().lower()}.")
    return redirect(side.url("order_detail", order.pk))


def _shipment_add(request: HttpRequest, side: _Side, order: Order) -> HttpResponse:
    """Quantities come as qty_<item id>; all left empty ships everything not shipped yet."""
    items: dict[int, int] | None = {}
    for key, value in request.POST.items():
        if key.startswith("qty_") and value.strip():
            item_id, quantity = _int(key[4:]), _int(value.strip())
            if item_id is None or quantity is None:
                messages.error(request, "Enter each quantity as a whole number (0 or more), or leave them all empty.")
                return redirect(side.url("order_detail", order.pk))
            items[item_id] = quantity
    try:
        shipment = shipment_create(
            order=order,
            tracking_number=request.POST.get("tracking_number", ""),
            items=items or None,
            source=side.source,
            actor=request.user,
        )
    except ApplicationError as exc:
        messages.error(request, f"No shipment was added: {exc.message}")
    else:
        carrier = shipment.carrier.name if shipment.carrier else "no carrier (the tracking is not sent to the store)"
        messages.success(request, f"Shipment {shipment.tracking_number} added ({carrier}).")
    return redirect(side.url("order_detail", order.pk))


# --- staff console ---------------------------------------------------------------------------------------------


@staff_required
def staff_order_list(request: HttpRequest) -> HttpResponse:
    clients = list(Client.objects.order_by("name").only("pk", "name"))
    client_id = _int(request.GET.get("client", ""))
    stores = (
        list(Store.objects.filter(client_id=client_id).order_by("name").only("pk", "name", "platform"))
        if client_id
        else []
    )
    test_store = next((s for s in stores if str(s.pk) == request.GET.get("store", "")), None)
    manual = [store for store in stores if store.platform == Store.Platform.MANUAL]
    return _list_page(
        request,
        _STAFF,
        Order.objects.all(),
        clients,
        stores,
        can_change=True,
        manual_stores=manual,
        test_store=test_store,
    )


@staff_required
@require_POST
def staff_orders_bulk_status(request: HttpRequest) -> HttpResponse:
    ids = [pk for pk in (_int(value) for value in request.POST.getlist("orders")) if pk is not None]
    orders = list(Order.objects.filter(pk__in=ids).order_by("-placed_at", "-pk"))
    back = f"{_STAFF.url('order_list')}?{request.POST.get('query', '')}"
    try:
        result = services.orders_status_change_bulk(
            orders=orders,
            to_status=request.POST.get("status", ""),
            source=_STAFF.source,
            actor=request.user,
            note=request.POST.get("note", "")[:2000],
        )
    except ApplicationError as exc:
        messages.error(request, f"Nothing was changed: {exc.message}")
        return redirect(back)
    if result.changed:
        label = Order.Status(request.POST["status"]).label.lower()
        messages.success(request, f"{len(result.changed)} order(s) moved to {label}.")
    for order, reason in result.refused:
        messages.error(request, f"Not changed: {reason}" if order.number in reason else f"{order.number}: {reason}")
    return redirect(back)


@staff_required
def staff_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for_page(orders=Order.objects.all(), pk=pk)
    return _detail_page(request, _STAFF, order, can_change=True)


@staff_required
@require_POST
def staff_order_status(request: HttpRequest, pk: int) -> HttpResponse:
    return _status_change(request, _STAFF, get_object_or_404(Order, pk=pk))


@staff_required
@require_POST
def staff_order_source_change(request: HttpRequest, pk: int) -> HttpResponse:
    return _source_change_decide(request, _STAFF, get_object_or_404(OrderSourceChange, pk=pk))


@staff_required
@require_POST
def staff_order_shipment_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _shipment_add(request, _STAFF, get_object_or_404(Order, pk=pk))


# --- portal ----------------------------------------------------------------------------------------------------


def _portal_orders(request: HttpRequest) -> QuerySet[Order]:
    """The orders of the client's stores the member's role shows orders of (Store managers: none)."""
    stores = stores_for_user(user=request.user, perm=perms.VIEW_STORE_ORDERS).filter(client=request.client)
    return Order.objects.filter(client=request.client, store__in=stores.values("pk"))


def _portal_order(request: HttpRequest, pk: int) -> Order:
    order = get_object_or_404(_portal_orders(request).select_related("store"), pk=pk)
    return order


def _portal_can_change(request: HttpRequest, store: Store) -> bool:
    return request.user.has_perm(f"storefronts.{perms.CHANGE_STORE_ORDERS}", store)


@portal_member_required
def order_list(request: HttpRequest) -> HttpResponse:
    stores = list(
        stores_for_user(user=request.user, perm=perms.VIEW_STORE_ORDERS).filter(client=request.client).order_by("name")
    )
    if not stores:
        raise PermissionDenied("Your role does not show orders; ask your team's Admin if you need to see them.")
    # Order permissions come with roles that cover every store of the client, so the role tells whether the member
    # may place orders in the listed stores without one permission query per store. The buttons' pages check the
    # store's own permission.
    places_orders = perms.CHANGE_STORE_ORDERS in perms.STORE_PERMISSIONS.get(request.membership.role, frozenset())
    manual = [s for s in stores if s.platform == Store.Platform.MANUAL] if places_orders else []
    chosen = next((s for s in stores if str(s.pk) == request.GET.get("store", "")), None)
    test_store = chosen if places_orders else None
    # The same scope as _portal_orders, by the ids just read: the page's query needs no permission subquery.
    orders = Order.objects.filter(client=request.client, store_id__in=[store.pk for store in stores])
    return _list_page(
        request, _PORTAL, orders, None, stores, can_change=False, manual_stores=manual, test_store=test_store
    )


@portal_member_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for_page(orders=_portal_orders(request), pk=pk)
    return _detail_page(request, _PORTAL, order, can_change=_portal_can_change(request, order.store))


@portal_member_required
@require_POST
def order_status(request: HttpRequest, pk: int) -> HttpResponse:
    order = _portal_order(request, pk)
    if not _portal_can_change(request, order.store):
        raise PermissionDenied("Your role lets you see this store's orders, not change them.")
    return _status_change(request, _PORTAL, order)


@portal_member_required
@require_POST
def order_shipment_add(request: HttpRequest, pk: int) -> HttpResponse:
    order = _portal_order(request, pk)
    if not _portal_can_change(request, order.store):
        raise PermissionDenied("Your role lets you see this store's orders, not change them.")
    return _shipment_add(request, _PORTAL, order)


@portal_member_required
@require_POST
def order_source_change(request: HttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(
        OrderSourceChange.objects.select_related("order__store").filter(order__in=_portal_orders(request)), pk=pk
    )
    if not _portal_can_change(request, change.order.store):
        raise PermissionDenied("Your role lets you see this store's orders, not decide on their changes.")
    return _source_change_decide(request, _PORTAL, change)
