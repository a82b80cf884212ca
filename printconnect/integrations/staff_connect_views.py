"""Staff console: connect a store for a client (the client's Stores tab), with the portal's form and service."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from printconnect.clients.access import staff_required
from printconnect.clients.models import Client
from printconnect.core.exceptions import ApplicationError
from printconnect.core.forms import add_application_error
from printconnect.integrations.portal_forms import WooCommerceConnectForm
from printconnect.integrations.portal_views import connected_message
from printconnect.integrations.services import store_connect
from printconnect.storefronts.models import Store


@staff_required
def staff_store_connect_woocommerce(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    form = WooCommerceConnectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            store = store_connect(
                client=client,
                platform=Store.Platform.WOOCOMMERCE,
                name=form.cleaned_data["name"],
                base_url=form.cleaned_data["base_url"],
                credentials=form.credentials,
                actor=request.user,
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, connected_message(store, until="it goes live on its integration page"))
            return redirect("staff_client_stores", pk=client.pk)
    context = {"client": client, "form": form, "tab": "stores"}
    return render(request, "staff/integrations/store_connect_woocommerce.html", context)
