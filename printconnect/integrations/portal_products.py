"""Portal: a store's "Add product" (publish a catalog product to the store) and "Sync products". Changing a store's
products needs CHANGE_STORE_PRODUCTS: a member who may only see them gets 403, one who may not see them 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from printconnect.clients.access import portal_member_required
from printconnect.core import permissions as perms
from printconnect.integrations.product_pages import portal_urls, product_add_page, products_sync
from printconnect.storefronts import selectors as store_selectors
from printconnect.storefronts.models import Store


def _store_to_change(request: HttpRequest, pk: int) -> Store:
    stores = store_selectors.stores_for_user(user=request.user, perm=perms.VIEW_STORE_PRODUCTS)
    store = get_object_or_404(stores.filter(client=request.client), pk=pk)
    if not request.user.has_perm(f"storefronts.{perms.CHANGE_STORE_PRODUCTS}", store):
        raise PermissionDenied("Your role lets you see this store's products, not add or sync them.")
    return store


@portal_member_required
def store_product_add(request: HttpRequest, pk: int) -> HttpResponse:
    store = _store_to_change(request, pk)
    return product_add_page(request, store, urls=portal_urls(store), template="portal/integrations/product_add.html")


@portal_member_required
@require_POST
def store_products_sync(request: HttpRequest, pk: int) -> HttpResponse:
    store = _store_to_change(request, pk)
    return products_sync(request, store, urls=portal_urls(store))
