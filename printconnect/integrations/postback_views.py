"""Postbacks: the portal's Settings > Postbacks (client Admins only) and the same pages per client for staff.

Both go through the `_Pages` helpers with their own URL names; the services and templates are shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from printconnect.clients.access import portal_member_required, require_client_permission, staff_required
from printconnect.clients.models import Client
from printconnect.core import permissions as perms
from printconnect.core.exceptions import ApplicationError
from printconnect.core.forms import add_application_error
from printconnect.integrations import selectors
from printconnect.integrations.models import OutboxDelivery, PostbackSubscription
from printconnect.integrations.postback_forms import PostbackForm
from printconnect.integrations.services.outbox import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    outbox_delivery_redeliver,
    postback_subscription_create,
    postback_subscription_delete,
    postback_subscription_rotate_secret,
    postback_subscription_update,
)


@dataclass(frozen=True)
class _Urls:
    """URL names of one side (portal or staff); the templates link through these."""

    list: str
    add: str
    edit: str
    rotate: str
    delete: str
    log: str
    redeliver: str
    staff: bool


PORTAL = _Urls(
    "portal:postback_list", "portal:postback_add", "portal:postback_edit", "portal:postback_rotate",
    "portal:postback_delete", "portal:postback_log", "portal:postback_redeliver", staff=False,
)  # fmt: skip
STAFF = _Urls(
    "integration:client_postbacks", "integration:client_postback_add", "integration:postback_edit",
    "integration:postback_rotate", "integration:postback_delete", "integration:postback_log",
    "integration:delivery_redeliver", staff=True,
)  # fmt: skip


def _context(client: Client, urls: _Urls, **extra: Any) -> dict[str, Any]:
    return {"client": client, "urls": urls, "list_url_arg": client.pk if urls.staff else None, **extra}


def _list_redirect(urls: _Urls, client: Client) -> HttpResponse:
    return redirect(urls.list, client.pk) if urls.staff else redirect(urls.list)


def _list(request: HttpRequest, client: Client, urls: _Urls) -> HttpResponse:
    subscriptions = selectors.postback_subscriptions_for_client(client=client)
    return render(
        request, "integrations/postbacks/postback_list.html", _context(client, urls, subscriptions=subscriptions)
    )


def _secret_page(
    request: HttpRequest, client: Client, urls: _Urls, subscription: PostbackSubscription, secret: str, *, rotated: bool
) -> HttpResponse:
    context = _context(
        client, urls, subscription=subscription, secret=secret, rotated=rotated,
        signature_header=SIGNATURE_HEADER, timestamp_header=TIMESTAMP_HEADER,
    )  # fmt: skip
    return render(request, "integrations/postbacks/postback_secret.html", context)


def _add(request: HttpRequest, client: Client, urls: _Urls) -> HttpResponse:
    form = PostbackForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            subscription, secret = postback_subscription_create(
                client=client, url=data["url"], events=data["events"], store=data["store"], name=data["name"],
                actor=request.user,
            )  # fmt: skip
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            return _secret_page(request, client, urls, subscription, secret, rotated=False)
    return render(
        request, "integrations/postbacks/postback_form.html", _context(client, urls, form=form, subscription=None)
    )


def _edit(request: HttpRequest, subscription: PostbackSubscription, urls: _Urls) -> HttpResponse:
    client = subscription.client
    form = PostbackForm(request.POST or None, client=client, subscription=subscription)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            postback_subscription_update(
                subscription=subscription, url=data["url"], events=data["events"], store=data["store"],
                name=data["name"], active=data["active"], actor=request.user,
            )  # fmt: skip
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, f"Postback {subscription} saved.")
            return _list_redirect(urls, client)
    context = _context(client, urls, form=form, subscription=subscription)
    return render(request, "integrations/postbacks/postback_form.html", context)


def _rotate(request: HttpRequest, subscription: PostbackSubscription, urls: _Urls) -> HttpResponse:
    secret = postback_subscription_rotate_secret(subscription=subscription, actor=request.user)
    return _secret_page(request, subscription.client, urls, subscription, secret, rotated=True)


def _delete(request: HttpRequest, subscription: PostbackSubscription, urls: _Urls) -> HttpResponse:
    client = subscription.client
    if request.method == "POST":
        postback_subscription_delete(subscription=subscription, actor=request.user)
        messages.success(request, f"Postback {subscription} deleted; nothing more is sent to it.")
        return _list_redirect(urls, client)
    return render(
        request, "integrations/postbacks/postback_delete.html", _context(client, urls, subscription=subscription)
    )


def _log(request: HttpRequest, subscription: PostbackSubscription, urls: _Urls) -> HttpResponse:
    deliveries = selectors.outbox_deliveries_list(subscription=subscription, limit=100)
    context = _context(subscription.client, urls, subscription=subscription, deliveries=deliveries)
    return render(request, "integrations/postbacks/postback_log.html", context)


def _redeliver(request: HttpRequest, delivery: OutboxDelivery) -> None:
    try:
        done = outbox_delivery_redeliver(delivery=delivery, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return
    attempt = done.attempts_log.first()
    if done.status == OutboxDelivery.Status.DELIVERED:
        messages.success(request, f"Redelivered: the receiver answered {attempt.status_code}.")
    else:
        messages.error(request, f"Redelivery failed: {done.last_error} It will be retried automatically.")


# --- portal (client Admins) -----------------------------------------------------------------------------------------


def _portal_subscription(request: HttpRequest, pk: int) -> PostbackSubscription:
    require_client_permission(request, perms.MANAGE_MEMBERS)
    return get_object_or_404(
        PostbackSubscription.objects.select_related("client", "store"), pk=pk, client=request.client
    )


@portal_member_required
def postback_list(request: HttpRequest) -> HttpResponse:
    require_client_permission(request, perms.MANAGE_MEMBERS)
    return _list(request, request.client, PORTAL)


@portal_member_required
def postback_add(request: HttpRequest) -> HttpResponse:
    require_client_permission(request, perms.MANAGE_MEMBERS)
    return _add(request, request.client, PORTAL)


@portal_member_required
def postback_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, _portal_subscription(request, pk), PORTAL)


@require_POST
@portal_member_required
def postback_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    return _rotate(request, _portal_subscription(request, pk), PORTAL)


@portal_member_required
def postback_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _delete(request, _portal_subscription(request, pk), PORTAL)


@portal_member_required
def postback_log(request: HttpRequest, pk: int) -> HttpResponse:
    return _log(request, _portal_subscription(request, pk), PORTAL)


@require_POST
@portal_member_required
def postback_redeliver(request: HttpRequest, pk: int) -> HttpResponse:
    require_client_permission(request, perms.MANAGE_MEMBERS)
    delivery = get_object_or_404(
        OutboxDelivery.objects.select_related("subscription"),
        pk=pk, target=OutboxDelivery.Target.POSTBACK, subscription__client=request.client,
    )  # fmt: skip
    _redeliver(request, delivery)
    return redirect(PORTAL.log, delivery.subscription_id)


# --- staff ----------------------------------------------------------------------------------------------------------


def _staff_subscription(pk: int) -> PostbackSubscription:
    return get_object_or_404(PostbackSubscription.objects.select_related("client", "store"), pk=pk)


@staff_required
def client_postbacks(request: HttpRequest, pk: int) -> HttpResponse:
    return _list(request, get_object_or_404(Client, pk=pk), STAFF)


@staff_required
def client_postback_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add(request, get_object_or_404(Client, pk=pk), STAFF)


@staff_required
def staff_postback_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, _staff_subscription(pk), STAFF)


@require_POST
@staff_required
def staff_postback_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    return _rotate(request, _staff_subscription(pk), STAFF)


@staff_required
def staff_postback_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _delete(request, _staff_subscription(pk), STAFF)


@staff_required
def staff_postback_log(request: HttpRequest, pk: int) -> HttpResponse:
    return _log(request, _staff_subscription(pk), STAFF)


@require_POST
@staff_required
def delivery_redeliver(request: HttpRequest, pk: int) -> HttpResponse:
    """A postback's or a store update's delivery, sent again now."""
    delivery = get_object_or_404(OutboxDelivery.objects.select_related("subscription", "store"), pk=pk)
    _redeliver(request, delivery)
    if delivery.target == OutboxDelivery.Target.POSTBACK:
        return redirect(STAFF.log, delivery.subscription_id)
    if delivery.store_id is None:
        raise Http404
    return redirect("integration:store", delivery.store_id)
