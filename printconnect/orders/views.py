"""A store's Shipping settings and its held orders: one page for the portal and the staff console (same code, each
side's access rule and links), and "Re-process" on a held order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from printconnect.clients.access import portal_member_required, staff_required
from printconnect.core import permissions as perms
from printconnect.core.exceptions import ApplicationError
from printconnect.core.forms import add_application_error
from printconnect.core.views import redirect_to_next
from printconnect.orders import printfiles, selectors, services
from printconnect.orders.forms import (
    ActivationDateForm,
    CarrierRulesForm,
    IntakeRulesForm,
    PrintFileReplaceForm,
    ShippingMethodsForm,
)
from printconnect.orders.models import Order, OrderItem, PrintFile
from printconnect.storefronts.models import Store
from printconnect.storefronts.selectors import stores_for_user
from printconnect.storefronts.services import store_activation_date_set

HELD_ORDERS_SHOWN = 100


@dataclass(frozen=True)
class _Side:
    """What differs between the portal's page and the staff console's."""

    staff: bool
    template: str
    can_change: bool
    can_view_orders: bool
    can_reprocess: bool

    def url(self, name: str, pk: int) -> str:
        return reverse(f"staff_orders:{name}" if self.staff else f"portal:{name}", args=[pk])


def released_message(outcome: services.Reprocessed | None) -> str:
    """What saving did to the held orders, for the flash message."""
    if outcome is None:
        return "Many held orders are waiting for this: they are being re-processed now; reload in a minute."
    if not outcome.released and not outcome.still_held:
        return "No orders were held for it."
    released = f"{outcome.released} held order{'s' if outcome.released != 1 else ''} released"
    if outcome.still_held:
        return f"{released}; {outcome.still_held} still held for another reason (see Held orders)."
    return f"{released}."


def _shipping_page(request: HttpRequest, store: Store, side: _Side) -> HttpResponse:
    seen = selectors.store_shipping_methods_seen(store=store)
    settings = selectors.store_order_settings(store=store)
    rules = list(selectors.carrier_rules_for_store(store=store))
    action = request.POST.get("action", "methods") if request.method == "POST" else ""
    if action and not side.can_change:
        raise PermissionDenied("Your role lets you see this store's shipping settings, not change them.")
    bound = request.POST if action else None
    methods_form = ShippingMethodsForm(bound if action == "methods" else None, seen=seen, settings=settings)
    carriers_form = CarrierRulesForm(bound if action == "carriers" else None, rules=rules, settings=settings)
    rules_form = IntakeRulesForm(
        bound if action == "rules" else None,
        initial={"non_printable_rule": settings.non_printable_rule, "fulfilment": settings.fulfilment},
    )
    activation_form = ActivationDateForm(
        bound if action == "activation" else None, initial={"activation_date": store.activation_date}
    )
    saved = _save(request, store, side, action, methods_form, carriers_form, rules_form, activation_form)
    if saved is not None:
        messages.success(request, saved)
        return redirect(side.url("store_shipping", store.pk))
    tracking = request.GET.get("tracking", "").strip()[:100]
    tracking_result: dict[str, Any] | None = None
    if tracking:
        carrier, rule = services.carrier_for_tracking_number(store=store, tracking_number=tracking)
        tracking_result = {"number": tracking, "carrier": carrier, "rule": rule}
    held = list(selectors.held_orders_for_store(store=store)[:HELD_ORDERS_SHOWN]) if side.can_view_orders else []
    context = {
        "store": store,
        "side": side,
        "seen": seen,
        "unmapped": sum(1 for row in seen if row.shipping_method_id is None),
        "settings": settings,
        "methods_form": methods_form,
        "carriers_form": carriers_form,
        "rules_form": rules_form,
        "activation_form": activation_form,
        "tracking": tracking,
        "tracking_result": tracking_result,
        "held_orders": held,
        "held_total": selectors.held_orders_for_store(store=store).count() if side.can_view_orders else 0,
        "shipping_url": side.url("store_shipping", store.pk),
    }
    return render(request, side.template, context)


def _save(
    request: HttpRequest,
    store: Store,
    side: _Side,
    action: str,
    methods_form: ShippingMethodsForm,
    carriers_form: CarrierRulesForm,
    rules_form: IntakeRulesForm,
    activation_form: ActivationDateForm,
) -> str | None:
    """Run the action the page posted; the flash message on success, None to show the page (with its errors)."""
    forms = {"methods": methods_form, "carriers": carriers_form, "rules": rules_form, "activation": activation_form}
    form = forms.get(action)
    if form is None or not form.is_valid():
        if action and form is None:
            messages.error(request, "Nothing was saved: that part of the page is unknown. Reload it and try again.")
        return None
    try:
        if action == "methods":
            outcome = services.store_shipping_methods_save(
                store=store,
                mappings=methods_form.mappings(),
                default_method=methods_form.cleaned_data["default_method"],
                actor=request.user,
            )
            return f"Shipping methods saved. {released_message(outcome)}"
        if action == "carriers":
            saved = services.store_carriers_save(
                store=store,
                rules=carriers_form.rules(),
                default_carrier=carriers_form.cleaned_data["default_carrier"],
                actor=request.user,
            )
            return f"Carrier rules saved: {len(saved)} rule{'s' if len(saved) != 1 else ''}."
        if action == "rules":
            outcome = services.store_intake_rules_save(store=store, actor=request.user, **rules_form.cleaned_data)
            return f"Order intake rules saved. {released_message(outcome)}"
        if not side.staff:
            raise PermissionDenied("Only print shop staff can change a store's activation date.")
        store_activation_date_set(
            store=store, activation_date=activation_form.cleaned_data["activation_date"], actor=request.user
        )
        return (
            "Activation date saved. If you moved it back, the next order import run also imports the older orders "
            "(placed since the new date)."
        )
    except ApplicationError as exc:
        add_application_error(form, exc)
        return None


# --- portal ----------------------------------------------------------------------------------------------------


def _portal_store(request: HttpRequest, pk: int, perm: str) -> Store:
    return get_object_or_404(stores_for_user(user=request.user, perm=perm).filter(client=request.client), pk=pk)


def _has(request: HttpRequest, perm: str, store: Store) -> bool:
    return request.user.has_perm(f"storefronts.{perm}", store)


@portal_member_required
def store_shipping(request: HttpRequest, pk: int) -> HttpResponse:
    store = _portal_store(request, pk, perms.VIEW_STORE)
    side = _Side(
        staff=False,
        template="portal/orders/store_shipping.html",
        can_change=_has(request, perms.CHANGE_STORE, store),
        can_view_orders=_has(request, perms.VIEW_STORE_ORDERS, store),
        can_reprocess=_has(request, perms.CHANGE_STORE_ORDERS, store),
    )
    return _shipping_page(request, store, side)


@portal_member_required
def store_held_orders(request: HttpRequest, pk: int) -> HttpResponse:
    """The store's held orders for those who handle orders (an Order manager sees no store settings)."""
    store = _portal_store(request, pk, perms.VIEW_STORE_ORDERS)
    context = {
        "store": store,
        "held_orders": list(selectors.held_orders_for_store(store=store)[:HELD_ORDERS_SHOWN]),
        "held_total": selectors.held_orders_for_store(store=store).count(),
        "can_reprocess": _has(request, perms.CHANGE_STORE_ORDERS, store),
        "can_view_store": _has(request, perms.VIEW_STORE, store),
        "reprocess_url_name": "portal:order_reprocess",
        "replace_url_name": "portal:order_item_print_file",
        "download_url_name": "portal:print_file_download",
    }
    return render(request, "portal/orders/held_orders.html", context)


@portal_member_required
@require_POST
def order_reprocess(request: HttpRequest, pk: int) -> HttpResponse:
    stores = stores_for_user(user=request.user, perm=perms.VIEW_STORE_ORDERS).filter(client=request.client)
    order = get_object_or_404(Order.objects.select_related("store").filter(store__in=stores), pk=pk)
    if not _has(request, perms.CHANGE_STORE_ORDERS, order.store):
        raise PermissionDenied("Your role lets you see this store's orders, not re-process them.")
    _reprocess(request, order)
    return redirect_to_next(request, inside="/portal/", fallback="portal:dashboard")


def _reprocess(request: HttpRequest, order: Order) -> None:
    try:
        order = services.order_reprocess(order=order, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return
    if order.status == Order.Status.ON_HOLD:
        messages.warning(request, f"Order {order.number} is still held: {order.hold_detail}")
    else:
        messages.success(request, f"Order {order.number} was released: it is received and goes to production.")


# --- staff console ---------------------------------------------------------------------------------------------

_STAFF_SIDE = _Side(
    staff=True,
    template="staff/orders/store_shipping.html",
    can_change=True,
    can_view_orders=True,
    can_reprocess=True,
)


@staff_required
def staff_store_shipping(request: HttpRequest, pk: int) -> HttpResponse:
    store = get_object_or_404(Store.objects.select_related("client"), pk=pk)
    return _shipping_page(request, store, _STAFF_SIDE)


@staff_required
@require_POST
def staff_order_reprocess(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order.objects.select_related("store"), pk=pk)
    _reprocess(request, order)
    return redirect_to_next(request, inside="/staff/", fallback="staff:client_list")


# --- print files -----------------------------------------------------------------------------------------------


def _print_file_response(print_file: PrintFile) -> FileResponse:
    if not print_file.file:
        raise Http404("This print file has not been stored (yet).")
    name = print_file.original_name or "print-file"
    return FileResponse(
        print_file.file.open("rb"), as_attachment=True, filename=name, content_type=print_file.content_type or None
    )


def _replace(request: HttpRequest, item: OrderItem) -> None:
    form = PrintFileReplaceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return
    try:
        print_file = printfiles.print_file_replace(
            item=item, actor=request.user, url=form.cleaned_data["url"], upload=form.cleaned_data["upload"]
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return
    order = item.order
    order.refresh_from_db()
    if print_file.is_bad:
        messages.error(request, f"The new file was not accepted: {print_file.error}")
    elif order.status != Order.Status.ON_HOLD:
        messages.success(request, f"The new file passed its checks: order {order.number} is released.")
    elif print_file.status == PrintFile.Status.OK:
        messages.warning(
            request, f"The new file passed its checks; order {order.number} is still held: {order.hold_detail}"
        )
    else:
        messages.info(request, "The new file is being downloaded and checked; the order is released once it passes.")


def _portal_orders_stores(request: HttpRequest) -> Any:
    return stores_for_user(user=request.user, perm=perms.VIEW_STORE_ORDERS).filter(client=request.client)


@portal_member_required
def print_file_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A stored print file, for those who may see the store's orders."""
    files = PrintFile.objects.filter(item__order__store__in=_portal_orders_stores(request))
    return _print_file_response(get_object_or_404(files, pk=pk))


@portal_member_required
@require_POST
def order_item_print_file(request: HttpRequest, pk: int) -> HttpResponse:
    items = OrderItem.objects.select_related("order__store").filter(order__store__in=_portal_orders_stores(request))
    item = get_object_or_404(items, pk=pk)
    if not _has(request, perms.CHANGE_STORE_ORDERS, item.order.store):
        raise PermissionDenied("Your role lets you see this store's orders, not change their files.")
    _replace(request, item)
    return redirect_to_next(request, inside="/portal/", fallback="portal:dashboard")


@staff_required
def staff_print_file_download(request: HttpRequest, pk: int) -> HttpResponse:
    return _print_file_response(get_object_or_404(PrintFile, pk=pk))


@staff_required
@require_POST
def staff_order_item_print_file(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(OrderItem.objects.select_related("order__store"), pk=pk)
    _replace(request, item)
    return redirect_to_next(request, inside="/staff/", fallback="staff:client_list")
