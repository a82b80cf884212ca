"""API tokens: the portal's Settings > API tokens (client Admins) and the staff console's page (any client, or
staff-wide). A new token is shown once, on the page that made it; afterwards only its prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from printconnect.api import selectors
from printconnect.api.forms import ApiTokenForm
from printconnect.api.models import ApiToken
from printconnect.api.services import api_token_create, api_token_revoke
from printconnect.clients.access import portal_member_required, require_client_permission, staff_required
from printconnect.clients.models import Client
from printconnect.core import permissions as perms
from printconnect.core.exceptions import ApplicationError
from printconnect.core.forms import add_application_error

MEGASCRIPT = Path(__file__).parent / "infigo" / "shipping_rates_megascript.js"


def _page(request: HttpRequest, *, client: Client | None, staff: bool) -> HttpResponse:
    form = ApiTokenForm(request.POST or None, client=None if staff else client)
    created: tuple[ApiToken, str] | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = api_token_create(
                name=data["name"],
                scopes=data["scopes"],
                client=data.get("client") if staff else client,
                store=data.get("store"),
                actor=request.user,
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            form = ApiTokenForm(client=None if staff else client)
    context: dict[str, Any] = {
        "form": form,
        "tokens": selectors.api_tokens_list(client=client, staff=staff),
        "staff": staff,
        "created": created[0] if created else None,
        "secret": created[1] if created else "",
        "api_base": request.build_absolute_uri("/api/v1/"),
        "revoke_url": "staff_api:token_revoke" if staff else "portal:api_token_revoke",
        "script_url": "staff_api:infigo_script" if staff else "portal:api_infigo_script",
    }
    return render(request, "api/token_list.html", context)


def _script() -> HttpResponse:
    response = HttpResponse(MEGASCRIPT.read_text(), content_type="text/javascript; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="printconnect-shipping-rates.js"'
    return response


def _revoke(request: HttpRequest, token: ApiToken) -> None:
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Token {token} revoked: requests with it are refused from now on.")


# --- portal (client Admins) -----------------------------------------------------------------------------------------


@portal_member_required
def api_token_list(request: HttpRequest) -> HttpResponse:
    require_client_permission(request, perms.MANAGE_MEMBERS)
    return _page(request, client=request.client, staff=False)


@require_POST
@portal_member_required
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    require_client_permission(request, perms.MANAGE_MEMBERS)
    _revoke(request, get_object_or_404(ApiToken, pk=pk, client=request.client))
    return redirect("portal:api_token_list")


@portal_member_required
def api_infigo_script(request: HttpRequest) -> HttpResponse:
    require_client_permission(request, perms.MANAGE_MEMBERS)
    return _script()


# --- staff ----------------------------------------------------------------------------------------------------------


@staff_required
def staff_token_list(request: HttpRequest) -> HttpResponse:
    return _page(request, client=None, staff=True)


@require_POST
@staff_required
def staff_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _revoke(request, get_object_or_404(ApiToken, pk=pk))
    return redirect("staff_api:token_list")


@staff_required
def staff_infigo_script(request: HttpRequest) -> HttpResponse:
    return _script()
