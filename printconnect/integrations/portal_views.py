"""Portal pages for connecting a store to its platform (mounted in the `portal` namespace, see portal_urls.py).

Thin: the service checks the connection and saves; a refused check re-renders the form with the message and the
entered values, secrets blank. Stores are looked up through storefronts' selector, so another client's id is 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from printconnect.clients.access import portal_member_required, require_client_permission
from printconnect.core import permissions as perms
from printconnect.core.exceptions import ApplicationError
from printconnect.core.forms import add_application_error
from printconnect.integrations.portal_forms import CREDENTIAL_FORMS, WooCommerceConnectForm
from printconnect.integrations.services import store_connect, store_credentials_update
from printconnect.storefronts import selectors as store_selectors
from printconnect.storefronts.models import Store


def connected_message(store: Store, *, until: str = "your print shop switches it live") -> str:
    return (
        f"{store.connection_check.message} “{store.name}” is in test mode: its orders are imported, and nothing is "
        f"sent back to the shop until {until}."
    )


@portal_member_required
def store_connect_woocommerce(request: HttpRequest) -> HttpResponse:
    require_client_permission(request, perms.ADD_STORE)
    form = WooCommerceConnectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            store = store_connect(
                client=request.client,
                platform=Store.Platform.WOOCOMMERCE,
                name=form.cleaned_data["name"],
                base_url=form.cleaned_data["base_url"],
                credentials=form.credentials,
                actor=request.user,
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, connected_message(store))
            return redirect("portal:store_detail", pk=store.pk)
    return render(request, "portal/integrations/store_connect_woocommerce.html", {"form": form})


@portal_member_required
def store_credentials(request: HttpRequest, pk: int) -> HttpResponse:
    store = get_object_or_404(store_selectors.stores_for_user(user=request.user).filter(client=request.client), pk=pk)
    form_class = CREDENTIAL_FORMS.get(store.platform)
    if form_class is None:
        raise Http404("This store has no connection to a shop.")
    if not request.user.has_perm(f"storefronts.{perms.CHANGE_STORE}", store):
        raise PermissionDenied("Your role lets you see this store, not change its connection.")
    form = form_class(request.POST or None, initial={"base_url": store.base_url})
    if request.method == "POST" and form.is_valid():
        try:
            store = store_credentials_update(
                store=store, base_url=form.cleaned_data["base_url"], credentials=form.credentials, actor=request.user
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(
                request, f"{store.connection_check.message} The new credentials of “{store.name}” are saved."
            )
            return redirect("portal:store_detail", pk=store.pk)
    saved = sorted(store.credentials)  # names only, for "saved" hints; values never leave the service
    return render(request, "portal/integrations/store_credentials.html", {"store": store, "form": form, "saved": saved})
