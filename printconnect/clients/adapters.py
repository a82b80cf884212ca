from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from printconnect.clients.selectors import membership_for_user


class AccountAdapter(DefaultAccountAdapter):
    """Accounts come from invitations only; portal users sign in only while their client has access."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def pre_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse | None:
        response = super().pre_login(request, user, **kwargs)
        if response is not None or user.is_staff:
            return response
        membership = membership_for_user(user)
        if membership is None or not membership.client.storefront_access:
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            client_name = membership.client.name if membership else None
            return render(request, "account/portal_access_off.html", {"client_name": client_name}, status=403)
        return None
