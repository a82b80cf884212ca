"""Portal pages of a store's products: the Products tab and Connect product (mounted in the `portal` namespace).

Stores and variants are looked up through selectors scoped to the member's product permissions on their client's
stores, so another client's id, or a store the role does not show (an Order manager's), answers 404; seeing a
variant without the right to map it (Read-only) answers 403 on changes. The pages are shared with the staff console
(catalog.mapping_pages).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from printconnect.catalog import mapping_pages, selectors
from printconnect.catalog.models import StoreVariant
from printconnect.clients.access import portal_member_required
from printconnect.core import permissions as perms
from printconnect.storefronts.models import Store

NS = "portal"


def _can_change(request: HttpRequest, store: Store) -> bool:
    return request.user.has_perm(f"storefronts.{perms.CHANGE_STORE_PRODUCTS}", store)


def _product_store(request: HttpRequest, pk: int) -> Store:
    return get_object_or_404(selectors.product_stores_for_user(user=request.user).filter(client=request.client), pk=pk)


def _changeable_variant(request: HttpRequest, pk: int) -> StoreVariant:
    variants = selectors.store_variants_for_user(user=request.user).filter(store__client=request.client)
    variant = get_object_or_404(variants, pk=pk)
    if not _can_change(request, variant.store):
        raise PermissionDenied("Your role lets you see this store's products, not connect them.")
    return variant


@portal_member_required
@require_GET
def store_products(request: HttpRequest, pk: int) -> HttpResponse:
    store = _product_store(request, pk)
    return mapping_pages.products_tab(
        request,
        store,
        ns=NS,
        template="portal/catalog/store_products.html",
        can_change=_can_change(request, store),
    )


@portal_member_required
@require_GET
def catalog_search(request: HttpRequest, pk: int) -> HttpResponse:
    _product_store(request, pk)  # the picker belongs to a store the member may see
    return mapping_pages.catalog_search(request)


@portal_member_required
@require_http_methods(["GET", "POST"])
def variant_connect(request: HttpRequest, pk: int) -> HttpResponse:
    variant = _changeable_variant(request, pk)
    return mapping_pages.variant_connect(request, variant, ns=NS, template="portal/catalog/variant_connect.html")


@portal_member_required
@require_POST
def variant_disconnect(request: HttpRequest, pk: int) -> HttpResponse:
    return mapping_pages.variant_disconnect(request, _changeable_variant(request, pk), ns=NS)
