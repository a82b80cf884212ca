"""The portal's side of the bell: a client team's unresolved errors on the stores their role shows them.

Mounted under the `portal` URL namespace (see printconnect/urls.py), so the access matrix covers it. Another
client's event answers 404; resolving or retrying needs the right to change the store (403 otherwise).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from guardian.core import ObjectPermissionChecker

from printconnect.clients.access import portal_member_required
from printconnect.core import permissions as perms
from printconnect.core.exceptions import ApplicationError
from printconnect.core.views import redirect_to_next
from printconnect.integrations import selectors
from printconnect.integrations.models import IntegrationEvent
from printconnect.integrations.services.events import event_resolve
from printconnect.integrations.services.retries import event_retry

PAGE_SIZE = 25


def _visible_events(request: HttpRequest, **filters: object):
    return selectors.events_for_user(user=request.user, **filters).filter(store__client=request.client)


@portal_member_required
def event_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    events = _visible_events(request, open_only=state == "open")
    if state == "resolved":
        events = events.filter(resolved_at__isnull=False)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    # One query for the permissions on every store of the page, not one per row.
    checker = ObjectPermissionChecker(request.user)
    checker.prefetch_perms(list({event.store_id: event.store for event in page.object_list}.values()))
    for event in page.object_list:
        event.can_act = checker.has_perm(perms.CHANGE_STORE, event.store)
        fix_view = (
            "portal:store_credentials"
            if event.can_act and event.code == IntegrationEvent.CODE_AUTH_REJECTED
            else "portal:store_detail"
        )
        event.fix_url = reverse(fix_view, args=[event.store_id])
        event.resolve_url = reverse("portal:event_resolve", args=[event.pk])
        event.retry_url = reverse("portal:event_retry", args=[event.pk])
    context = {
        "page": page,
        "page_query": urlencode({"state": state}),
        "state": state,
        "next": request.get_full_path(),
    }
    return render(request, "portal/integrations/event_list.html", context)


def _changeable_event(request: HttpRequest, pk: int) -> IntegrationEvent:
    event = get_object_or_404(_visible_events(request, severity="", open_only=False), pk=pk)
    if not request.user.has_perm(f"storefronts.{perms.CHANGE_STORE}", event.store):
        raise PermissionDenied("Your role lets you see this store's errors, not resolve them. Ask an Admin.")
    return event


@portal_member_required
@require_POST
def event_resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    event_resolve(event=_changeable_event(request, pk), actor=request.user)
    messages.success(request, "Marked resolved. If the problem comes back, it shows here again.")
    return redirect_to_next(request, inside="/portal/", fallback="portal:event_list")


@portal_member_required
@require_POST
def event_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = _changeable_event(request, pk)
    try:
        what = event_retry(event=event, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Retry queued: {what} The error closes by itself if it works.")
    return redirect_to_next(request, inside="/portal/", fallback="portal:event_list")
