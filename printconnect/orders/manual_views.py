"""A manual store's "Place order" and "Import orders" pages, for the portal (client Admins and Order managers: the
store's change-orders permission) and the staff console: same code, each side's access rule and URL names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from printconnect.clients.access import portal_member_required, staff_required
from printconnect.core import permissions as perms
from printconnect.core.exceptions import ApplicationError
from printconnect.orders import manual, order_imports
from printconnect.orders.manual_forms import ManualLineFormSet, ManualOrderForm, OrderImportForm
from printconnect.orders.models import Order, OrderImport
from printconnect.storefronts.models import Store
from printconnect.storefronts.selectors import stores_for_user

IMPORTS_SHOWN = 20


@dataclass(frozen=True)
class _Side:
    staff: bool
    ns: str
    can_change: bool = True

    def url(self, name: str, *args: Any) -> str:
        return reverse(f"{self.ns}:{name}", args=args)


_STAFF = _Side(staff=True, ns="staff_orders")


def _manual(store: Store) -> Store:
    if store.platform != Store.Platform.MANUAL:
        raise Http404("Orders are placed and imported by hand in manual stores only.")
    return store


def _portal_store(request: HttpRequest, pk: int, *, change: bool) -> tuple[Store, _Side]:
    """The store if the member's role shows its orders (else 404); changing them needs the change permission
    (else 403: Read-only)."""
    stores = stores_for_user(user=request.user, perm=perms.VIEW_STORE_ORDERS).filter(client=request.client)
    store = _manual(get_object_or_404(stores.select_related("client"), pk=pk))
    can_change = request.user.has_perm(f"storefronts.{perms.CHANGE_STORE_ORDERS}", store)
    if change and not can_change:
        raise PermissionDenied("Your role lets you see this store's orders, not place or import them.")
    return store, _Side(staff=False, ns="portal", can_change=can_change)


def _portal_import(request: HttpRequest, pk: int, *, change: bool) -> tuple[OrderImport, _Side]:
    stores = stores_for_user(user=request.user, perm=perms.VIEW_STORE_ORDERS).filter(client=request.client)
    row = get_object_or_404(OrderImport.objects.select_related("store").filter(store__in=stores), pk=pk)
    _store, side = _portal_store(request, row.store_id, change=change)
    return row, side


def _staff_store(pk: int) -> Store:
    return _manual(get_object_or_404(Store.objects.select_related("client"), pk=pk))


# --- Place order ---------------------------------------------------------------------------------------------------


def _place_page(request: HttpRequest, store: Store, side: _Side) -> HttpResponse:
    bound = request.method == "POST"
    form = ManualOrderForm(request.POST if bound else None)
    lines = ManualLineFormSet(
        request.POST if bound else None, request.FILES if bound else None, form_kwargs={"store": store}, prefix="lines"
    )
    if bound and form.is_valid() and lines.is_valid():
        chosen = [(index, f) for index, f in enumerate(lines.forms) if not f.is_blank()]
        try:
            order = manual.manual_order_place(
                store=store,
                lines=[f.line() for _index, f in chosen],
                address=form.address(),
                customer_name=form.cleaned_data["customer_name"],
                customer_email=form.cleaned_data["customer_email"],
                shipping_method=form.cleaned_data["shipping_method"],
                currency=form.cleaned_data["currency"],
                number=form.cleaned_data["number"],
                actor=request.user,
            )
        except ApplicationError as exc:
            _error_show(exc, form, lines, [index for index, _f in chosen])
        else:
            _placed_message(request, order)
            return redirect(side.url("order_detail", order.pk))
    variants = lines.forms[0].fields["variant"].queryset if lines.forms else []
    context = {"store": store, "side": side, "form": form, "lines": lines, "has_variants": bool(list(variants[:1]))}
    return render(request, "orders/manual_order_form.html", context, status=200)


def _error_show(exc: ApplicationError, form: ManualOrderForm, lines: Any, chosen: list[int]) -> None:
    """The service's refusal under its field: lines-<n>-<field> names the n-th line given (blank rows skipped)."""
    field = exc.field or ""
    if field.startswith("lines-"):
        _prefix, position, name = field.split("-", 2)
        line_form = lines.forms[chosen[int(position)]]
        line_form.add_error(name if name in line_form.fields else None, exc.message)
        return
    if field.startswith("ship_") and field in form.fields:
        form.add_error(field, exc.message)
        return
    form.add_error(field if field in form.fields else None, exc.message)


def _placed_message(request: HttpRequest, order: Order) -> None:
    if order.status == Order.Status.ON_HOLD:
        messages.warning(request, f"Order {order.number} was placed and is on hold: {order.hold_detail}")
    else:
        messages.success(request, f"Order {order.number} was placed: it is received and goes to production.")


@portal_member_required
def store_order_place(request: HttpRequest, pk: int) -> HttpResponse:
    store, side = _portal_store(request, pk, change=True)
    return _place_page(request, store, side)


@staff_required
def staff_store_order_place(request: HttpRequest, pk: int) -> HttpResponse:
    return _place_page(request, _staff_store(pk), _STAFF)


# --- Import orders -------------------------------------------------------------------------------------------------


def _import_page(request: HttpRequest, store: Store, side: _Side) -> HttpResponse:
    form = OrderImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not side.can_change:
            raise PermissionDenied("Your role lets you see this store's orders, not import them.")
        if form.is_valid():
            try:
                row = order_imports.order_import_start(
                    store=store, upload=form.cleaned_data["file"], actor=request.user
                )
            except ApplicationError as exc:
                form.add_error("file", exc.message)
            else:
                return redirect(side.url("order_import_detail", row.pk))
    context = {
        "store": store,
        "side": side,
        "form": form,
        "imports": list(order_imports.order_imports_for_store(store=store)[:IMPORTS_SHOWN]),
        "columns": order_imports.COLUMNS,
        "required": order_imports.REQUIRED,
        "max_mb": order_imports._max_bytes() // (1024 * 1024),
        "max_rows": order_imports._max_rows(),
    }
    return render(request, "orders/order_import.html", context)


def _template_response() -> HttpResponse:
    response = HttpResponse(order_imports.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="orders-template.csv"'
    return response


def _detail_page(request: HttpRequest, row: OrderImport, side: _Side) -> HttpResponse:
    context = {"row": row, "store": row.store, "side": side, "orders_url": side.url("order_list")}
    return render(request, "orders/order_import_detail.html", context)


def _confirm(request: HttpRequest, row: OrderImport, side: _Side) -> HttpResponse:
    try:
        row = order_imports.order_import_confirm(order_import=row, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(side.url("order_import_detail", row.pk))
    if row.status == OrderImport.Status.IMPORTED:
        count = row.orders_created
        messages.success(request, f"{count} order{'s' if count != 1 else ''} imported from {row.original_name}.")
    else:
        messages.error(request, row.message or "Nothing was imported: the file has errors now; see the list below.")
    return redirect(side.url("order_import_detail", row.pk))


def _discard(request: HttpRequest, row: OrderImport, side: _Side) -> HttpResponse:
    try:
        order_imports.order_import_discard(order_import=row, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(side.url("order_import_detail", row.pk))
    messages.info(request, f"{row.original_name} was discarded; nothing was imported.")
    return redirect(side.url("store_order_import", row.store_id))


@portal_member_required
def store_order_import(request: HttpRequest, pk: int) -> HttpResponse:
    store, side = _portal_store(request, pk, change=request.method == "POST")
    return _import_page(request, store, side)


@portal_member_required
def store_order_import_template(request: HttpRequest, pk: int) -> HttpResponse:
    _portal_store(request, pk, change=False)
    return _template_response()


@portal_member_required
def order_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    row, side = _portal_import(request, pk, change=False)
    return _detail_page(request, row, side)


@portal_member_required
@require_POST
def order_import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    row, side = _portal_import(request, pk, change=True)
    return _confirm(request, row, side)


@portal_member_required
@require_POST
def order_import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    row, side = _portal_import(request, pk, change=True)
    return _discard(request, row, side)


@staff_required
def staff_store_order_import(request: HttpRequest, pk: int) -> HttpResponse:
    return _import_page(request, _staff_store(pk), _STAFF)


@staff_required
def staff_store_order_import_template(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_store(pk)
    return _template_response()


@staff_required
def staff_order_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, get_object_or_404(OrderImport.objects.select_related("store"), pk=pk), _STAFF)


@staff_required
@require_POST
def staff_order_import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _confirm(request, get_object_or_404(OrderImport, pk=pk), _STAFF)


@staff_required
@require_POST
def staff_order_import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    return _discard(request, get_object_or_404(OrderImport, pk=pk), _STAFF)
