"""The Products tab and Connect product, shared by the portal (portal_views) and the staff console (views).

Both sides find the store or variant their own way (the portal through the user's permissions, staff directly) and
then hand over here: the pages, their forms and their messages are the same. `ns` is the URL namespace the links of
the page point into ("portal" or "catalog").
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import cached_property

from printconnect.catalog import selectors, services
from printconnect.catalog.forms import ProductsTabFilterForm, VariantConnectForm
from printconnect.catalog.models import CatalogProduct, StoreVariant
from printconnect.catalog.selectors import MappingFilter
from printconnect.core.exceptions import ApplicationError
from printconnect.storefronts.models import Store

PAGE_SIZE = 50
# The Products tab's own query parameters: the only ones "back to the Products tab" carries (never a URL).
TAB_PARAMS = ("q", "mapping", "inactive", "page")


def tab_query(params: QueryDict, *, drop: tuple[str, ...] = ()) -> str:
    return urlencode([(key, params[key]) for key in TAB_PARAMS if key not in drop and params.get(key)])


def _back_query(request: HttpRequest) -> str:
    """The Products tab's filters the Connect page came from, re-read so nothing but those parameters survives."""
    source = request.POST if request.method == "POST" else request.GET
    return tab_query(QueryDict(source.get("back", "")))


def products_tab_url(ns: str, store_id: int, back: str) -> str:
    url = reverse(f"{ns}:store_products", args=[store_id])
    return f"{url}?{back}" if back else url


def variant_label(variant: StoreVariant) -> str:
    """How people recognise a variant: its product's title and its attributes ("Poster (Size: A4)"), else its SKU."""
    title = variant.product.title or variant.product.sku or variant.sku or f"product {variant.product.external_id}"
    attributes = " · ".join(f"{name}: {value}" for name, value in (variant.attributes or {}).items())
    return f"{title} ({attributes})" if attributes else title


def held_orders_text(count: int) -> str:
    if count == 0:
        return "No held orders contain it."
    if count == 1:
        return "1 held order contains it; it will be re-processed."
    return f"{count} held orders contain it; they will be re-processed."


# --- the Products tab --------------------------------------------------------------------------------------------


class _CountedPaginator(Paginator):
    """Takes the row count the filter pills already counted, instead of counting a large store's variants again."""

    def __init__(self, object_list: object, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def products_tab(
    request: HttpRequest, store: Store, *, ns: str, template: str, can_change: bool, **extra: object
) -> HttpResponse:
    form = ProductsTabFilterForm(request.GET)
    values = form.cleaned_data if form.is_valid() else {"q": "", "mapping": "", "inactive": False}
    mapping = values["mapping"] or MappingFilter.ALL
    filters = {"search": values["q"], "include_inactive": values["inactive"]}
    counts = selectors.store_variant_counts(store=store, **filters)
    variants = selectors.store_variants_tab(store=store, mapping=mapping, **filters)
    page = _CountedPaginator(variants, PAGE_SIZE, count=counts[mapping]).get_page(request.GET.get("page"))
    for variant in page.object_list:
        variant.label = variant_label(variant)
    pill_query = tab_query(request.GET, drop=("mapping", "page"))
    pills = [
        {
            "key": key,
            "label": label,
            "count": counts[key],
            "active": key == mapping,
            "query": urlencode({"mapping": key}) + (f"&{pill_query}" if pill_query else ""),
        }
        for key, label in MappingFilter.CHOICES
    ]
    context = {
        "store": store,
        "form": form,
        "search": values["q"],
        "mapping": mapping,
        "include_inactive": values["inactive"],
        "pills": pills,
        "counts": counts,
        "page": page,
        "page_query": tab_query(request.GET, drop=("page",)),
        "back": tab_query(request.GET),
        "can_change": can_change,
        "ns": ns,
        **extra,
    }
    return render(request, template, context)


# --- the catalog picker ------------------------------------------------------------------------------------------


def _picker_context(request: HttpRequest) -> dict[str, object]:
    search = request.GET.get("q", "").strip()[:200]
    kind = request.GET.get("kind", "")
    kind = kind if kind in CatalogProduct.Kind.values else ""
    return {
        "results": selectors.catalog_products_search(search=search, kind=kind),
        "picker_search": search,
        "picker_kind": kind,
        "kinds": CatalogProduct.Kind.choices,
        "limit": selectors.CATALOG_SEARCH_LIMIT,
        "back": _back_query(request),
    }


def catalog_search(request: HttpRequest) -> HttpResponse:
    """The picker's results alone, for htmx to swap in while the user types."""
    return render(request, "portal/catalog/_catalog_results.html", _picker_context(request))


# --- Connect product ---------------------------------------------------------------------------------------------


def variant_connect(request: HttpRequest, variant: StoreVariant, *, ns: str, template: str) -> HttpResponse:
    back = _back_query(request)
    posted = request.method == "POST"
    source = request.POST if posted else request.GET
    current = variant.catalog_product
    # The product whose specs the page lists: the one typed or picked, else the one the variant is connected to.
    uid = source.get("product_uid", "").strip() or ("" if posted or current is None else current.uid)
    chosen = selectors.catalog_products_by_uid([uid]).get(uid.lower()) if uid else None
    # "Add a row" re-shows what was typed, unsaved and unchecked, with one more print-spec row.
    add_row = posted and "add_row" in request.POST
    initial = request.POST.dict() if add_row else {"product_uid": uid, "design_file_url": variant.design_file_url}
    form = VariantConnectForm(
        request.POST if posted and not add_row else None,
        attributes=variant.attributes or {},
        spec_keys=sorted({key.lower() for key in chosen.print_specs}) if chosen else [],
        initial=initial,
        initial_overrides=variant.print_spec_overrides,
        initial_attribute_specs=variant.attribute_specs,
        extra_rows=1 if add_row else 0,
    )
    if posted and not add_row and form.is_valid():
        try:
            saved = services.variant_mapping_save(variant=variant, data=form.mapping_data(), actor=request.user)
        except ApplicationError as exc:  # refused before anything is set on the variant
            form.add_service_error(exc)
        else:
            uid_saved = saved.variant.catalog_product.uid
            messages.success(
                request,
                f"Connected {variant_label(variant)} to {uid_saved}. {held_orders_text(saved.held_orders)}",
            )
            return redirect(products_tab_url(ns, variant.store_id, back))
    context = {
        "store": variant.store,
        "variant": variant,
        "variant_label": variant_label(variant),
        "form": form,
        "chosen": chosen,
        "current": current,
        "ns": ns,
        "tab_url": products_tab_url(ns, variant.store_id, back),
        **_picker_context(request),
        "back": back,
    }
    return render(request, template, context)


def variant_disconnect(request: HttpRequest, variant: StoreVariant, *, ns: str) -> HttpResponse:
    back = _back_query(request)
    if variant.catalog_product_id is None:
        messages.info(request, f"{variant_label(variant)} was not connected to a catalog product.")
    else:
        uid = variant.catalog_product.uid
        services.variant_mapping_clear(variant=variant, actor=request.user)
        messages.success(
            request,
            f"Disconnected {variant_label(variant)} from {uid}. New orders containing it are held "
            "(“unmapped product”) until it is connected again.",
        )
    return redirect(products_tab_url(ns, variant.store_id, back))
