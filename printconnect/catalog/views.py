"""Staff console: the PSP catalog, carriers and shipping methods, and a client store's products and their mappings.
Thin: forms check shapes, services act."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from printconnect.catalog import mapping_pages, selectors, services
from printconnect.catalog.forms import (
    ActiveFilterForm,
    CarrierForm,
    CatalogFilterForm,
    CatalogProductForm,
    ShippingMethodForm,
    ShippingRateForm,
    active_from_choice,
    specs_to_text,
)
from printconnect.catalog.models import Carrier, CatalogProduct, ShippingMethod, ShippingRate, StoreVariant
from printconnect.clients.access import staff_required
from printconnect.core.exceptions import ApplicationError
from printconnect.core.forms import add_application_error
from printconnect.storefronts.models import Store

PAGE_SIZE = 25


def _filters(request: HttpRequest, form_class: type) -> tuple[Any, dict[str, Any], str]:
    """The list filters (active only unless asked otherwise) and the query string the pagination keeps."""
    data = request.GET.copy()
    data.setdefault("active", "active")
    form = form_class(data)
    values = form.cleaned_data if form.is_valid() else {"q": "", "kind": "", "active": "active"}
    kept = {key: value for key, value in request.GET.items() if key != "page"}
    return form, values, urlencode(kept)


def _list_page(
    request: HttpRequest, form_class: type, rows: Callable[[dict[str, Any]], Any], template: str
) -> HttpResponse:
    form, values, page_query = _filters(request, form_class)
    page = Paginator(rows(values), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, template, {"form": form, "page": page, "page_query": page_query, "search": values["q"]})


def _form_save(
    request: HttpRequest, form: Any, save: Callable[..., Any], done: Callable[[Any], str], *, row: Model | None = None
) -> Any | None:
    """Run a service with a valid POSTed form's data: its result, with a success message; or None, with the form
    showing why (a refusal goes on its field, and `row`, which the service may have changed in memory, is re-read)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = save(actor=request.user, **form.cleaned_data)
    except ApplicationError as exc:
        if row is not None:
            row.refresh_from_db()
        add_application_error(form, exc)
        return None
    messages.success(request, done(result))
    return result


def _method_initial(method: ShippingMethod) -> dict[str, Any]:
    return {"code": method.code, "name": method.name, "carrier": method.carrier, "service_level": method.service_level}


def _toggle(request: HttpRequest, row: Model, service: Callable[..., Any], kwarg: str, done: str) -> None:
    try:
        service(**{kwarg: row, "actor": request.user})
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)


# --- catalog products --------------------------------------------------------------------------------------------


@staff_required
def product_list(request: HttpRequest) -> HttpResponse:
    def rows(values: dict[str, Any]) -> Any:
        active = active_from_choice(values["active"])
        return selectors.catalog_products_list(search=values["q"], kind=values.get("kind", ""), active=active)

    return _list_page(request, CatalogFilterForm, rows, "staff/catalog/product_list.html")


@staff_required
def product_create(request: HttpRequest) -> HttpResponse:
    form = CatalogProductForm(request.POST or None)
    if _form_save(request, form, services.catalog_product_create, lambda p: f"Catalog product {p.uid} created."):
        return redirect("catalog:product_list")
    return render(request, "staff/catalog/product_form.html", {"form": form, "product": None})


@staff_required
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(CatalogProduct, pk=pk)
    initial = {
        "uid": product.uid,
        "name": product.name,
        "kind": product.kind,
        "print_specs": specs_to_text(product.print_specs),
    }
    form = CatalogProductForm(request.POST or None, initial=initial)
    save = partial(services.catalog_product_update, product=product)
    if _form_save(request, form, save, lambda p: f"Catalog product {p.uid} saved.", row=product):
        return redirect("catalog:product_list")
    return render(request, "staff/catalog/product_form.html", {"form": form, "product": product})


@staff_required
@require_POST
def product_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(CatalogProduct, pk=pk)
    done = f"{product.uid} is inactive: it can no longer be picked for new mappings. Existing orders keep it."
    _toggle(request, product, services.catalog_product_deactivate, "product", done)
    return redirect("catalog:product_edit", pk=pk)


@staff_required
@require_POST
def product_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(CatalogProduct, pk=pk)
    _toggle(request, product, services.catalog_product_reactivate, "product", f"{product.uid} is active again.")
    return redirect("catalog:product_edit", pk=pk)


# --- carriers ----------------------------------------------------------------------------------------------------


@staff_required
def carrier_list(request: HttpRequest) -> HttpResponse:
    def rows(values: dict[str, Any]) -> Any:
        return selectors.carriers_list(search=values["q"], active=active_from_choice(values["active"]))

    return _list_page(request, ActiveFilterForm, rows, "staff/catalog/carrier_list.html")


@staff_required
def carrier_create(request: HttpRequest) -> HttpResponse:
    form = CarrierForm(request.POST or None)
    if _form_save(request, form, services.carrier_create, lambda c: f"Carrier {c.name} created."):
        return redirect("catalog:carrier_list")
    return render(request, "staff/catalog/carrier_form.html", {"form": form, "carrier": None})


@staff_required
def carrier_edit(request: HttpRequest, pk: int) -> HttpResponse:
    carrier = get_object_or_404(Carrier, pk=pk)
    initial = {"code": carrier.code, "name": carrier.name, "tracking_url_template": carrier.tracking_url_template}
    form = CarrierForm(request.POST or None, initial=initial)
    save = partial(services.carrier_update, carrier=carrier)
    if _form_save(request, form, save, lambda c: f"Carrier {c.name} saved.", row=carrier):
        return redirect("catalog:carrier_list")
    return render(request, "staff/catalog/carrier_form.html", {"form": form, "carrier": carrier})


@staff_required
@require_POST
def carrier_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    carrier = get_object_or_404(Carrier, pk=pk)
    done = f"{carrier.name} is inactive: new shipping methods cannot use it. Existing ones keep it."
    _toggle(request, carrier, services.carrier_deactivate, "carrier", done)
    return redirect("catalog:carrier_edit", pk=pk)


@staff_required
@require_POST
def carrier_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    carrier = get_object_or_404(Carrier, pk=pk)
    _toggle(request, carrier, services.carrier_reactivate, "carrier", f"{carrier.name} is active again.")
    return redirect("catalog:carrier_edit", pk=pk)


# --- shipping methods and rates ----------------------------------------------------------------------------------


@staff_required
def method_list(request: HttpRequest) -> HttpResponse:
    def rows(values: dict[str, Any]) -> Any:
        return selectors.shipping_methods_list(search=values["q"], active=active_from_choice(values["active"]))

    return _list_page(request, ActiveFilterForm, rows, "staff/catalog/method_list.html")


@staff_required
def method_create(request: HttpRequest) -> HttpResponse:
    form = ShippingMethodForm(request.POST or None, carriers=selectors.carriers_for_choice())
    done = lambda m: f"Shipping method {m.name} created. Add its prices below."  # noqa: E731
    if method := _form_save(request, form, services.shipping_method_create, done):
        return redirect("catalog:method_edit", pk=method.pk)
    return render(request, "staff/catalog/method_form.html", {"form": form, "method": None})


@staff_required
def method_edit(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(ShippingMethod.objects.select_related("carrier"), pk=pk)
    carriers = selectors.carriers_for_choice(include=method.carrier)
    form = ShippingMethodForm(request.POST or None, initial=_method_initial(method), carriers=carriers)
    save = partial(services.shipping_method_update, method=method)
    if _form_save(request, form, save, lambda m: f"Shipping method {m.name} saved.", row=method):
        return redirect("catalog:method_edit", pk=method.pk)
    return _method_page(request, method, form=form, rate_form=ShippingRateForm(initial={"currency": "EUR"}))


def _method_page(
    request: HttpRequest, method: ShippingMethod, *, form: ShippingMethodForm, rate_form: ShippingRateForm
) -> HttpResponse:
    context = {
        "form": form,
        "method": method,
        "rates": method.rates.order_by("country_group", "currency"),
        "rate_form": rate_form,
    }
    return render(request, "staff/catalog/method_form.html", context)


@staff_required
@require_POST
def method_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(ShippingMethod, pk=pk)
    done = f"{method.name} is inactive: stores can no longer map to it. Existing orders keep it."
    _toggle(request, method, services.shipping_method_deactivate, "method", done)
    return redirect("catalog:method_edit", pk=pk)


@staff_required
@require_POST
def method_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(ShippingMethod, pk=pk)
    _toggle(request, method, services.shipping_method_reactivate, "method", f"{method.name} is active again.")
    return redirect("catalog:method_edit", pk=pk)


@staff_required
@require_POST
def rate_create(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(ShippingMethod.objects.select_related("carrier"), pk=pk)
    rate_form = ShippingRateForm(request.POST)
    save = partial(services.shipping_rate_create, method=method)
    if _form_save(request, rate_form, save, lambda r: f"Price for {r.country_group} in {r.currency} added."):
        return redirect("catalog:method_edit", pk=method.pk)
    carriers = selectors.carriers_for_choice(include=method.carrier)
    form = ShippingMethodForm(initial=_method_initial(method), carriers=carriers)
    return _method_page(request, method, form=form, rate_form=rate_form)


@staff_required
def rate_edit(request: HttpRequest, pk: int, rate_pk: int) -> HttpResponse:
    rate = get_object_or_404(ShippingRate.objects.select_related("shipping_method"), pk=rate_pk, shipping_method_id=pk)
    initial = {
        "country_group": rate.country_group,
        "countries": ", ".join(rate.countries),
        "currency": rate.currency,
        "price": rate.price,
    }
    form = ShippingRateForm(request.POST or None, initial=initial)
    save = partial(services.shipping_rate_update, rate=rate)
    if _form_save(request, form, save, lambda r: f"Price for {r.country_group} in {r.currency} saved."):
        return redirect("catalog:method_edit", pk=pk)
    return render(request, "staff/catalog/rate_form.html", {"form": form, "rate": rate, "method": rate.shipping_method})


@staff_required
@require_POST
def rate_delete(request: HttpRequest, pk: int, rate_pk: int) -> HttpResponse:
    rate = get_object_or_404(ShippingRate, pk=rate_pk, shipping_method_id=pk)
    label = f"{rate.country_group} in {rate.currency}"
    services.shipping_rate_delete(rate=rate, actor=request.user)
    messages.success(request, f"Price for {label} removed.")
    return redirect("catalog:method_edit", pk=pk)


# --- a client store's products and their mappings (same pages as the portal's, see mapping_pages) -----------------


# Staff see every store: the same selectors as the portal's, which scope nothing for them.


def _staff_store(request: HttpRequest, pk: int) -> Store:
    return get_object_or_404(selectors.product_stores_for_user(user=request.user), pk=pk)


def _staff_variant(request: HttpRequest, pk: int) -> StoreVariant:
    return get_object_or_404(selectors.store_variants_for_user(user=request.user), pk=pk)


@staff_required
@require_GET
def store_products(request: HttpRequest, pk: int) -> HttpResponse:
    store = _staff_store(request, pk)
    template = "staff/catalog/store_products.html"
    return mapping_pages.products_tab(request, store, ns="catalog", template=template, can_change=True)


@staff_required
@require_GET
def catalog_search(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_store(request, pk)
    return mapping_pages.catalog_search(request)


@staff_required
@require_http_methods(["GET", "POST"])
def variant_connect(request: HttpRequest, pk: int) -> HttpResponse:
    template = "staff/catalog/variant_connect.html"
    return mapping_pages.variant_connect(request, _staff_variant(request, pk), ns="catalog", template=template)


@staff_required
@require_POST
def variant_disconnect(request: HttpRequest, pk: int) -> HttpResponse:
    return mapping_pages.variant_disconnect(request, _staff_variant(request, pk), ns="catalog")
