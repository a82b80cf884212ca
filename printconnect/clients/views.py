"""Staff console: clients, their settings and storefront access. Thin: forms validate, services act."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from printconnect.clients import selectors, services
from printconnect.clients.access import staff_required
from printconnect.clients.forms import ClientForm, StorefrontAccessEnableForm
from printconnect.clients.models import Client, Invitation
from printconnect.core.exceptions import ApplicationError
from printconnect.core.forms import add_application_error

PAGE_SIZE = 25


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("account_login")
    if request.user.is_staff:
        return redirect("staff:client_list")
    return redirect("portal:dashboard")


@staff_required
def client_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")
    page = Paginator(selectors.clients_list(search=search), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "search": search}
    if request.htmx and request.htmx.target == "client-table":
        return render(request, "staff/clients/_client_table.html", context)
    return render(request, "staff/clients/client_list.html", context)


@staff_required
def client_create(request: HttpRequest) -> HttpResponse:
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, f"Client “{client.name}” created. Turn on storefront access in Settings.")
            return redirect("staff:client_detail", pk=client.pk)
    return render(request, "staff/clients/client_form.html", {"form": form, "client": None})


@staff_required
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    initial = {"name": client.name, "reference": client.reference or "", "description": client.description}
    form = ClientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.client_update(client=client, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            client.refresh_from_db()
            add_application_error(form, exc)
        else:
            messages.success(request, "Client details saved.")
            return redirect("staff:client_detail", pk=client.pk)
    return render(request, "staff/clients/client_form.html", {"form": form, "client": client})


@staff_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    context = {
        "client": client,
        "tab": "overview",
        "members": selectors.members_for_client(client=client),
        "invitations": selectors.invitations_open_for_client(client=client),
    }
    return render(request, "staff/clients/client_detail.html", context)


@staff_required
def client_settings(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    needs_admin = services.client_needs_admin_invitation(client)
    form = StorefrontAccessEnableForm(request.POST or None, needs_admin=needs_admin)
    if request.method == "POST":
        if request.POST.get("storefront_access") == "off":
            services.storefront_access_disable(client=client, actor=request.user)
            messages.success(request, f"Storefront access is off: no user of {client.name} can sign in to the portal.")
            return redirect("staff:client_settings", pk=client.pk)
        if form.is_valid():
            try:
                invitation = services.storefront_access_enable(
                    client=client,
                    actor=request.user,
                    base_url=request.build_absolute_uri("/"),
                    **form.cleaned_data,
                )
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                if invitation:
                    messages.success(request, f"Storefront access is on. Invitation sent to {invitation.email}.")
                else:
                    messages.success(request, f"Storefront access is on: {client.name}'s users can sign in again.")
                return redirect("staff:client_settings", pk=client.pk)
    context = {
        "client": client,
        "tab": "settings",
        "form": form,
        "admin_invitation": selectors.client_admin_invitation(client=client),
        "admins": selectors.client_admins(client=client),
        "open_form": request.method == "POST",
    }
    return render(request, "staff/clients/client_settings.html", context)


@staff_required
@require_POST
def client_invitation_resend(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_pk, client_id=pk)
    try:
        services.invitation_resend(invitation=invitation, actor=request.user, base_url=request.build_absolute_uri("/"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"A new invitation was sent to {invitation.email}; earlier links no longer work.")
    return redirect("staff:client_settings", pk=pk)
