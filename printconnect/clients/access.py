"""Who may enter which part of the site. Views use these; the rules behind them live in core.permissions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from printconnect.clients.selectors import membership_for_portal

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """The staff console: PSP staff only. Anonymous users go to sign-in, client users get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied("The staff console is for print shop staff.")
        return view(request, *args, **kwargs)

    return wrapper


def portal_member_required(view: View) -> View:
    """The portal: members of a client whose storefront access is on. Sets request.membership and .client."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.user.is_staff:
            messages.info(request, "You are signed in as print shop staff; the portal is for clients' teams.")
            return redirect("staff:client_list")
        membership = membership_for_portal(request.user)
        if membership is None:
            raise PermissionDenied("Your account is not part of any client's team.")
        if not membership.client.storefront_access:
            logout(request)
            messages.error(
                request,
                f"Portal access for {membership.client.name} has been switched off by your print shop. "
                "Contact them to have it turned back on.",
            )
            return redirect("account_login")
        request.membership = membership
        request.client = membership.client
        return view(request, *args, **kwargs)

    return wrapper


def require_client_permission(request: HttpRequest, codename: str) -> None:
    """403 unless the signed-in member's role grants `codename` on their client."""
    if not request.user.has_perm(f"clients.{codename}", request.client):
        raise PermissionDenied("Your role does not allow this. Ask an Admin of your team.")
