"""A store's Bulk operations in the portal: export of its products for mapping, upload and preview of a filled-in
file, confirmation, history. Thin: selectors read, catalog.mapping_imports acts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from printconnect.clients.access import portal_member_required
from printconnect.core import permissions as perms
from printconnect.storefronts import selectors as store_selectors
from printconnect.storefronts.models import Store


def _store(request: HttpRequest, pk: int, perm: str = perms.VIEW_STORE_PRODUCTS) -> Store:
    stores = store_selectors.stores_for_user(user=request.user, perm=perm).filter(client=request.client)
    return get_object_or_404(stores, pk=pk)


@portal_member_required
def store_bulk(request: HttpRequest, pk: int) -> HttpResponse:
    store = _store(request, pk)
    return render(request, "portal/catalog/bulk/store_bulk.html", {"store": store})
