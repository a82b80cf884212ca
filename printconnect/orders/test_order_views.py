"""Send test order (a store's form), Delete test order (a test order's confirm page) and Delete test orders (all of a
store's), for the portal and the staff console: same code, each side's access rule and URL names.

Portal: sending and deleting test orders is changing the store's orders (CHANGE_STORE_ORDERS: Admins and Order
managers). A Store manager sees no orders of the store (404, as for its held orders), so could neither follow nor
delete what they sent; Read-only members see the orders but change nothing (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from printconnect.clients.access import portal_member_required, staff_required
from printconnect.core import permissions as perms
from printconnect.core.exceptions import ApplicationError
from printconnect.core.forms import add_application_error
from printconnect.orders import test_orders
from printconnect.orders.forms import TestOrderForm
from printconnect.orders.models import Order
from printconnect.storefronts.models import Store
from printconnect.storefronts.selectors import stores_for_user

_REFUSED = "Your role lets you see this store's orders, not send or delete test orders."


@dataclass(frozen=True)
class _Side:
    staff: bool
    ns: str  # namespace of the order pages and of this module's URLs
    store_url: str  # the store's own page, for the breadcrumb

    def url(self, name: str, *args: Any) -> str:
        return reverse(f"{self.ns}:{name}", args=args)


def _staff_side(store: Store) -> _Side:
    return _Side(staff=True, ns="staff_orders", store_url=reverse("integration:store", args=[store.pk]))


def _portal_side(request: HttpRequest, store: Store) -> _Side:
    can_view = request.user.has_perm(f"storefronts.{perms.VIEW_STORE}", store)
    return _Side(
        staff=False, ns="portal", store_url=reverse("portal:store_detail", args=[store.pk]) if can_view else ""
    )


def _send_page(request: HttpRequest, store: Store, side: _Side) -> HttpResponse:
    form = TestOrderForm(request.POST or None, store=store)
    if request.method == "POST" and form.is_valid():
        try:
            order = test_orders.test_order_create(
                store=store,
                variant=form.cleaned_data["variant"],
                product=form.cleaned_data["store_product"],
                country=form.cleaned_data["country"],
                actor=request.user,
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            level = messages.WARNING if order.status == Order.Status.ON_HOLD else messages.SUCCESS
            messages.add_message(
                request,
                level,
                format_html(
                    '{} <a href="{}" data-testid="test-order-link">Open order {}</a>',
                    test_orders.test_order_summary(order),
                    side.url("order_detail", order.pk),
                    order.number,
                ),
            )
            return redirect(side.url("store_test_order", store.pk))
    context = {
        "store": store,
        "side": side,
        "form": form,
        "test_count": Order.objects.filter(store=store, is_test=True).count(),
        "list_url": f"{side.url('order_list')}?test=test"
        + (f"&client={store.client_id}&store={store.pk}" if side.staff else f"&store={store.pk}"),
    }
    return render(request, "orders/test_order_send.html", context)


def _delete_page(request: HttpRequest, order: Order, side: _Side) -> HttpResponse:
    if request.method == "POST":
        try:
            test_orders.test_order_delete(order=order, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect(side.url("order_detail", order.pk))
        messages.success(request, f"Test order {order.number} deleted, with its files, shipments and events.")
        return redirect(f"{side.url('order_list')}?test=test")
    return render(request, "orders/test_order_delete.html", {"order": order, "side": side})


def _bulk_delete(request: HttpRequest, store: Store, side: _Side) -> HttpResponse:
    deleted = test_orders.test_orders_delete(store=store, actor=request.user)
    if deleted:
        messages.success(request, f"{deleted} test order{'s' if deleted != 1 else ''} of {store.name} deleted.")
    else:
        messages.info(request, f"{store.name} has no test orders to delete.")
    return redirect(side.url("store_test_order", store.pk))


# --- staff console ---------------------------------------------------------------------------------------------


@staff_required
def staff_store_test_order(request: HttpRequest, pk: int) -> HttpResponse:
    store = get_object_or_404(Store, pk=pk)
    return _send_page(request, store, _staff_side(store))


@staff_required
def staff_test_order_delete(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order.objects.select_related("store"), pk=pk)
    return _delete_page(request, order, _staff_side(order.store))


@staff_required
@require_POST
def staff_store_test_orders_delete(request: HttpRequest, pk: int) -> HttpResponse:
    store = get_object_or_404(Store, pk=pk)
    return _bulk_delete(request, store, _staff_side(store))


# --- portal ----------------------------------------------------------------------------------------------------


def _portal_store(request: HttpRequest, pk: int) -> Store:
    """A store whose orders the member sees (else 404), and may change (else 403)."""
    stores = stores_for_user(user=request.user, perm=perms.VIEW_STORE_ORDERS).filter(client=request.client)
    store = get_object_or_404(stores, pk=pk)
    if not request.user.has_perm(f"storefronts.{perms.CHANGE_STORE_ORDERS}", store):
        raise PermissionDenied(_REFUSED)
    return store


@portal_member_required
def store_test_order(request: HttpRequest, pk: int) -> HttpResponse:
    store = _portal_store(request, pk)
    return _send_page(request, store, _portal_side(request, store))


@portal_member_required
def test_order_delete(request: HttpRequest, pk: int) -> HttpResponse:
    stores = stores_for_user(user=request.user, perm=perms.VIEW_STORE_ORDERS).filter(client=request.client)
    order = get_object_or_404(
        Order.objects.filter(client=request.client, store__in=stores.values("pk")).select_related("store"), pk=pk
    )
    if not request.user.has_perm(f"storefronts.{perms.CHANGE_STORE_ORDERS}", order.store):
        raise PermissionDenied(_REFUSED)
    return _delete_page(request, order, _portal_side(request, order.store))


@portal_member_required
@require_POST
def store_test_orders_delete(request: HttpRequest, pk: int) -> HttpResponse:
    store = _portal_store(request, pk)
    return _bulk_delete(request, store, _portal_side(request, store))
