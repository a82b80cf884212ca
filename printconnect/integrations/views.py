"""Staff console: a store's integration (feeds, schedules, Run now, test mode / go live), Feed executions and the
events behind the bell. Thin: selectors read, services act."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from printconnect.clients.access import staff_required
from printconnect.core.exceptions import ApplicationError
from printconnect.core.forms import add_application_error
from printconnect.core.views import redirect_to_next
from printconnect.integrations import selectors
from printconnect.integrations.forms import FeedScheduleForm, ModeChangeForm, RunFilterForm
from printconnect.integrations.models import Feed, FeedRun, IntegrationEvent
from printconnect.integrations.portal_forms import CREDENTIAL_FORMS
from printconnect.integrations.product_pages import product_add_page, products_sync, staff_urls
from printconnect.integrations.services import store_credentials_update
from printconnect.integrations.services.events import event_resolve
from printconnect.integrations.services.feed_settings import feed_run_now, feed_schedule_update, schedule_label
from printconnect.integrations.services.retries import event_retry
from printconnect.integrations.services.store_mode import store_go_live, store_go_live_checks, store_test_mode
from printconnect.storefronts.models import Store

PAGE_SIZE = 25


def _store(pk: int) -> Store:
    return get_object_or_404(Store.objects.select_related("client"), pk=pk)


# --- a store's integration ------------------------------------------------------------------------------------------


@staff_required
def store_integration(request: HttpRequest, pk: int) -> HttpResponse:
    store = _store(pk)
    feeds = selectors.feeds_for_store(store=store)
    for feed in feeds:
        feed.schedule_label = schedule_label(feed)
    context = {
        "store": store,
        "client": store.client,
        "feeds": feeds,
        "checks": store_go_live_checks(store=store, check_credentials=False) if not store.is_live else [],
        "open_errors": selectors.events_for_user(user=request.user, store=store)[:10],
        "recent_runs": selectors.feed_runs_list(user=request.user, filters=selectors.RunFilters(store_id=store.pk))[
            :10
        ],
        "mode_form": ModeChangeForm(),
        "now": timezone.now(),
        "store_deliveries": selectors.outbox_deliveries_list(store=store, limit=50),
        "delivery_urls": {"redeliver": "integration:delivery_redeliver"},
    }
    return render(request, "staff/integrations/store_integration.html", context)


@staff_required
def feed_edit(request: HttpRequest, pk: int) -> HttpResponse:
    feed = get_object_or_404(Feed.objects.select_related("store", "store__client", "interval", "crontab"), pk=pk)
    form = FeedScheduleForm(request.POST or None, feed=feed)
    if request.method == "POST" and form.is_valid():
        try:
            feed_schedule_update(
                feed=feed, schedule=form.schedule, enabled=form.cleaned_data["enabled"], actor=request.user
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            feed.refresh_from_db()
            state = f"next run {feed.next_run_at:%d %b %H:%M} UTC" if feed.next_run_at else "no scheduled runs"
            messages.success(request, f"“{feed.get_kind_display()}” now runs: {schedule_label(feed)} ({state}).")
            return redirect("integration:store", pk=feed.store_id)
    return render(request, "staff/integrations/feed_edit.html", {"feed": feed, "form": form, "store": feed.store})


@staff_required
@require_POST
def feed_run(request: HttpRequest, pk: int) -> HttpResponse:
    feed = get_object_or_404(Feed.objects.select_related("store"), pk=pk)
    feed_run_now(feed=feed, actor=request.user)
    messages.success(
        request, f"“{feed.get_kind_display()}” is queued; its run appears below as soon as a worker starts it."
    )
    return redirect(f"{reverse('integration:run_list')}?{urlencode({'feed_id': feed.pk})}")


@staff_required
@require_POST
def store_live(request: HttpRequest, pk: int) -> HttpResponse:
    store = _store(pk)
    try:
        store_go_live(store=store, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{store.name} is live: stock, shipment and status feeds now write to the store.")
    return redirect("integration:store", pk=store.pk)


@staff_required
@require_POST
def store_test(request: HttpRequest, pk: int) -> HttpResponse:
    store = _store(pk)
    form = ModeChangeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        store_test_mode(store=store, actor=request.user, reason=reason)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{store.name} is back in test mode: nothing is written to the store.")
    return redirect("integration:store", pk=store.pk)


@staff_required
def store_credentials_staff(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff replace a store's keys (e.g. after the shop revoked them), checked before saving, as in the portal."""
    store = _store(pk)
    form_class = CREDENTIAL_FORMS.get(store.platform)
    if form_class is None:
        raise Http404("This store has no connection to a shop.")
    form = form_class(request.POST or None, initial={"base_url": store.base_url})
    if request.method == "POST" and form.is_valid():
        try:
            store = store_credentials_update(
                store=store, base_url=form.cleaned_data["base_url"], credentials=form.credentials, actor=request.user
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, f"{store.connection_check.message} The new credentials are saved.")
            return redirect("integration:store", pk=store.pk)
    context = {"store": store, "form": form, "saved": sorted(store.credentials), "crumb": "Update credentials"}
    return render(request, "staff/integrations/store_credentials.html", context)


# --- feed executions ---------------------------------------------------------------------------------------------


def _run_filters(request: HttpRequest) -> tuple[RunFilterForm, selectors.RunFilters, str]:
    form = RunFilterForm(request.GET or None)
    filters = selectors.RunFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.RunFilters(
            client_id=data["client"].pk if data["client"] else None,
            store_id=data["store"],
            store_name=data["store_name"].strip(),
            feed_kind=data["feed"],
            status=data["status"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
    feed_id = request.GET.get("feed_id", "")
    if feed_id.isdigit():
        filters = selectors.RunFilters(**{**filters.__dict__, "feed_id": int(feed_id)})
    kept = {key: value for key, value in request.GET.items() if key != "page" and value}
    return form, filters, urlencode(kept)


@staff_required
def run_list(request: HttpRequest) -> HttpResponse:
    form, filters, page_query = _run_filters(request)
    runs = selectors.feed_runs_list(user=request.user, filters=filters)
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "page_query": page_query,
        "any_running": any(run.status == FeedRun.Status.RUNNING for run in page.object_list),
        "filtered_feed": Feed.objects.select_related("store").filter(pk=filters.feed_id).first()
        if filters.feed_id
        else None,
        "filtered_store": Store.objects.filter(pk=filters.store_id).first() if filters.store_id else None,
    }
    if request.htmx and request.htmx.target == "run-table":
        return render(request, "staff/integrations/_run_table.html", context)
    return render(request, "staff/integrations/run_list.html", context)


@staff_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(FeedRun.objects.select_related("feed", "feed__store", "feed__store__client"), pk=pk)
    context = {
        "run": run,
        "events": run.events.order_by("-last_seen")[:200],
        "store": run.feed.store,
        "crumb": f"Run #{run.pk}",
    }
    if request.htmx and request.htmx.target == "run-progress":
        return render(request, "staff/integrations/_run_progress.html", context)
    return render(request, "staff/integrations/run_detail.html", context)


# --- events (the bell) ----------------------------------------------------------------------------------------------


def fix_url_for_staff(event: IntegrationEvent) -> str:
    """Where the cause of an event is fixed: the run that met it for a record, else the store's integration."""
    if event.object_type == "order" and event.feed_run_id:
        return reverse("integration:run_detail", args=[event.feed_run_id])
    if event.code == IntegrationEvent.CODE_AUTH_REJECTED:
        return reverse("integration:store_credentials", args=[event.store_id])
    return reverse("integration:store", args=[event.store_id])


@staff_required
def event_list(request: HttpRequest) -> HttpResponse:
    severity = request.GET.get("severity", IntegrationEvent.Severity.ERROR)
    if severity not in ("", *IntegrationEvent.Severity.values):
        severity = IntegrationEvent.Severity.ERROR
    state = request.GET.get("state", "open")
    client_id = request.GET.get("client", "")
    events = selectors.events_for_user(
        user=request.user,
        severity=severity,
        open_only=state == "open",
        client_id=int(client_id) if client_id.isdigit() else None,
    )
    if state == "resolved":
        events = events.filter(resolved_at__isnull=False)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page.object_list:
        event.fix_url = fix_url_for_staff(event)
        event.can_act = True
        event.resolve_url = reverse("integration:event_resolve", args=[event.pk])
        event.retry_url = reverse("integration:event_retry", args=[event.pk])
    kept = {key: value for key, value in request.GET.items() if key != "page"}
    context = {
        "page": page,
        "page_query": urlencode(kept),
        "severity": severity,
        "state": state,
        "severities": IntegrationEvent.Severity.choices,
        "next": request.get_full_path(),
    }
    return render(request, "staff/integrations/event_list.html", context)


@staff_required
@require_POST
def event_resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(IntegrationEvent, pk=pk)
    event_resolve(event=event, actor=request.user)
    messages.success(request, "Marked resolved. If the problem comes back, a new event opens.")
    return redirect_to_next(request, inside="/", fallback="integration:event_list")


@staff_required
@require_POST
def event_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(IntegrationEvent, pk=pk)
    try:
        what = event_retry(event=event, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Retry queued: {what} The event closes by itself if it works.")
    return redirect_to_next(request, inside="/", fallback="integration:event_list")


# --- a store's products: "Add product" and "Sync products" (the same pages as the portal's) -----------------------


@staff_required
def store_product_add_staff(request: HttpRequest, pk: int) -> HttpResponse:
    store = _store(pk)
    return product_add_page(request, store, urls=staff_urls(store), template="staff/integrations/product_add.html")


@staff_required
@require_POST
def store_products_sync_staff(request: HttpRequest, pk: int) -> HttpResponse:
    store = _store(pk)
    return products_sync(request, store, urls=staff_urls(store))
