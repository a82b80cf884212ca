"""Staff integration pages: a store's feeds and schedules, Run now, Feed executions, the bell, go live."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from printconnect.core.permissions import Role
from printconnect.integrations.models import Feed, FeedRun, IntegrationEvent
from printconnect.integrations.services import event_record, feed_run_execute, feeds_ensure_for_store
from printconnect.orders.models import Order
from printconnect.sandbox.woocommerce import seed
from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory
from tests.factories.core import StaffFactory
from tests.factories.storefronts import make_member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_allowed")]


@pytest.fixture
def shop(sandbox, request):
    slug = f"staff-{request.node.name.replace('_', '-')}"[:48].strip("-")
    remote = sandbox.app.create_store(slug, name=slug)
    seed.seed_store(remote, products=3, orders=40, seed=5)
    store = Store.objects.create(
        client=ClientFactory(), name=slug, platform=Store.Platform.WOOCOMMERCE, base_url=sandbox.store_url(slug)
    )
    store.credentials = {"consumer_key": remote.consumer_key, "consumer_secret": remote.consumer_secret}
    store.save()
    feeds_ensure_for_store(store=store)
    return remote, store


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def feed(store: Store, kind: str) -> Feed:
    return Feed.objects.get(store=store, kind=kind)


def test_store_page_lists_feeds_with_schedules_and_test_mode_checks(shop, staff_client):
    _remote, store = shop
    page = staff_client.get(reverse("integration:store", args=[store.pk])).content.decode()
    assert "Test mode" in page and "Every 15 minutes" in page and "Once, then by hand" in page
    assert "A successful order import" in page and "Run “Import new orders” once." in page
    assert page.count('data-testid="run-now-') == 8


def test_store_page_is_for_staff_only(shop, client):
    _remote, store = shop
    url = reverse("integration:store", args=[store.pk])
    assert client.get(url).status_code == 302  # to sign-in
    client.force_login(make_member(store.client, Role.ADMIN))
    assert client.get(url).status_code == 403


def test_schedule_change_to_a_crontab_sets_the_next_run(shop, staff_client):
    _remote, store = shop
    orders = feed(store, Feed.Kind.ORDERS_IMPORT)
    response = staff_client.post(
        reverse("integration:feed_edit", args=[orders.pk]),
        {"kind": "crontab", "crontab": "30 6 * * 1-5", "timezone": "Europe/Amsterdam", "enabled": "on"},
    )
    assert response.status_code == 302
    orders.refresh_from_db()
    assert orders.interval is None and orders.crontab.hour == "6" and str(orders.crontab.timezone) == "Europe/Amsterdam"
    local = orders.next_run_at.astimezone(orders.crontab.timezone)
    assert (local.hour, local.minute) == (6, 30) and local.isoweekday() <= 5 and orders.next_run_at > timezone.now()


def test_schedule_change_with_a_bad_crontab_says_why_and_changes_nothing(shop, staff_client):
    _remote, store = shop
    orders = feed(store, Feed.Kind.ORDERS_IMPORT)
    before = (orders.interval_id, orders.next_run_at)
    response = staff_client.post(
        reverse("integration:feed_edit", args=[orders.pk]),
        {"kind": "crontab", "crontab": "61 * * * *", "timezone": "UTC", "enabled": "on"},
    )
    assert response.status_code == 200
    assert "not in 0-59 for Minutes" in response.content.decode()
    orders.refresh_from_db()
    assert (orders.interval_id, orders.next_run_at) == before


def test_schedule_interval_and_switch_off(shop, staff_client):
    _remote, store = shop
    orders = feed(store, Feed.Kind.ORDERS_IMPORT)
    url = reverse("integration:feed_edit", args=[orders.pk])
    staff_client.post(url, {"kind": "interval", "every": "5", "period": "minutes", "enabled": "on"})
    orders.refresh_from_db()
    assert (orders.interval.every, orders.interval.period) == (5, "minutes") and orders.next_run_at is not None
    staff_client.post(url, {"kind": "interval", "every": "5", "period": "minutes"})
    orders.refresh_from_db()
    assert not orders.enabled and orders.next_run_at is None


def test_run_now_runs_the_feed_and_the_run_shows_in_feed_executions(shop, staff_client, run_on_commit):
    _remote, store = shop
    orders = feed(store, Feed.Kind.ORDERS_IMPORT)
    with run_on_commit():
        response = staff_client.post(reverse("integration:feed_run", args=[orders.pk]))
    assert response.status_code == 302 and f"feed_id={orders.pk}" in response.url
    run = FeedRun.objects.get(feed=orders)
    assert run.trigger == FeedRun.Trigger.MANUAL and run.status == FeedRun.Status.SUCCEEDED, run.log
    assert Order.objects.filter(store=store).count() == run.created > 0
    listing = staff_client.get(response.url).content.decode()
    assert f'data-run="{run.pk}"' in listing and "Succeeded" in listing
    assert 'hx-trigger="every 3s"' not in listing  # nothing running: no polling
    detail = staff_client.get(reverse("integration:run_detail", args=[run.pk])).content.decode()
    assert "Finished." in detail and 'data-status="succeeded"' in detail


def test_feed_executions_filter_by_status_client_and_date(shop, staff_client):
    _remote, store = shop
    ok = feed_run_execute(feed=feed(store, Feed.Kind.ORDERS_IMPORT), trigger=FeedRun.Trigger.MANUAL)
    url = reverse("integration:run_list")
    assert f'data-run="{ok.pk}"' in staff_client.get(url, {"status": "succeeded"}).content.decode()
    assert f'data-run="{ok.pk}"' not in staff_client.get(url, {"status": "failed"}).content.decode()
    other = ClientFactory()
    assert f'data-run="{ok.pk}"' not in staff_client.get(url, {"client": other.pk}).content.decode()
    assert f'data-run="{ok.pk}"' in staff_client.get(url, {"client": store.client_id}).content.decode()
    assert f'data-run="{ok.pk}"' not in staff_client.get(url, {"date_to": "2020-01-01"}).content.decode()
    assert f'data-run="{ok.pk}"' in staff_client.get(url, {"store_name": store.name[-8:].upper()}).content.decode()
    assert f'data-run="{ok.pk}"' not in staff_client.get(url, {"store_name": "no such shop"}).content.decode()
    bad = staff_client.get(url, {"date_from": "yesterday"})
    assert bad.status_code == 200 and "Enter a valid date." in bad.content.decode()


def test_a_running_run_polls_for_progress(shop, staff_client):
    _remote, store = shop
    running = FeedRun.objects.create(
        feed=feed(store, Feed.Kind.ORDERS_IMPORT), trigger="manual", started_at=timezone.now(), seen=100
    )
    page = staff_client.get(reverse("integration:run_detail", args=[running.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page and 'data-status="running"' in page
    partial = staff_client.get(
        reverse("integration:run_detail", args=[running.pk]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="run-progress"
    ).content.decode()
    assert "<html" not in partial and ">100<" in partial
    listing = staff_client.get(reverse("integration:run_list")).content.decode()
    assert 'hx-trigger="every 3s"' in listing


def test_a_revoked_key_lights_the_bell_and_resolving_puts_it_out(shop, staff_client):
    remote, store = shop
    remote.set_faults(unauthorized=True)
    run = feed_run_execute(feed=feed(store, Feed.Kind.ORDERS_IMPORT), trigger=FeedRun.Trigger.SCHEDULE)
    assert run.status == FeedRun.Status.FAILED
    page = staff_client.get(reverse("integration:event_list")).content.decode()
    assert 'data-testid="bell-count">1<' in page
    event = IntegrationEvent.objects.get(store=store, severity="error")
    assert f'data-event="{event.pk}"' in page and reverse("integration:store", args=[store.pk]) in page
    remote.set_faults(unauthorized=False)
    response = staff_client.post(reverse("integration:event_resolve", args=[event.pk]), {"next": "/staff/clients/"})
    assert response.status_code == 302 and response.url == "/staff/clients/"
    event.refresh_from_db()
    assert event.resolved_at is not None and event.resolved_by.is_staff
    assert 'data-testid="bell-count"' not in staff_client.get(reverse("integration:event_list")).content.decode()


def test_retry_now_on_an_order_event_imports_it_and_closes_the_event(shop, staff_client, run_on_commit):
    remote, store = shop
    paid = next(o for o in remote.orders.values() if o["status"] == "processing" and o.get("date_paid_gmt"))
    event = event_record(
        store=store, severity="error", code="order.unreadable", message="Cannot read total of record.",
        object_type="order", object_id=str(paid["id"]),
    )  # fmt: skip
    with run_on_commit():
        response = staff_client.post(reverse("integration:event_retry", args=[event.pk]))
    assert response.status_code == 302
    assert Order.objects.filter(store=store, external_id=str(paid["id"])).exists()
    event.refresh_from_db()
    assert event.resolved_at is not None and event.resolved_by is None


def test_retry_now_refuses_what_names_nothing_to_retry(shop, staff_client):
    _remote, store = shop
    event = event_record(store=store, severity="error", code="x", message="Something.")
    response = staff_client.post(reverse("integration:event_retry", args=[event.pk]), follow=True)
    assert "names nothing that can be retried" in response.content.decode()


def _import_orders_ready_for_production(store):
    """The order import, after the store's products are imported and connected and it has a default shipping
    method: its orders are received, not held (a held order is an open Error, which blocks going live)."""
    from printconnect.catalog.models import StoreVariant
    from tests.factories.orders import catalog_product, shipping_method, store_defaults

    feed_run_execute(feed=feed(store, Feed.Kind.PRODUCTS_IMPORT), trigger=FeedRun.Trigger.MANUAL)
    StoreVariant.objects.filter(store=store).update(catalog_product=catalog_product())
    store_defaults(store, default_shipping_method=shipping_method())
    feed_run_execute(feed=feed(store, Feed.Kind.ORDERS_IMPORT), trigger=FeedRun.Trigger.MANUAL)


def test_go_live_lists_what_blocks_it_then_goes_live_and_back(shop, staff_client):
    _remote, store = shop
    go_live = reverse("integration:store_go_live", args=[store.pk])
    response = staff_client.post(go_live, follow=True)
    assert "Not live yet: A successful order import" in response.content.decode()
    store.refresh_from_db()
    assert not store.is_live
    _import_orders_ready_for_production(store)
    Feed.objects.filter(store=store, kind=Feed.Kind.STOCK_EXPORT).update(next_run_at=None)
    response = staff_client.post(go_live, follow=True)
    assert "is live" in response.content.decode()
    store.refresh_from_db()
    assert store.is_live and feed(store, Feed.Kind.STOCK_EXPORT).next_run_at is not None
    response = staff_client.post(
        reverse("integration:store_test_mode", args=[store.pk]), {"reason": "Client asked to pause"}, follow=True
    )
    store.refresh_from_db()
    assert not store.is_live and "back in test mode" in response.content.decode()
    history = list(
        IntegrationEvent.objects.filter(store=store, code="store.mode_changed").values_list("message", flat=True)
    )
    assert len(history) == 2 and any("Reason: Client asked to pause" in m for m in history)


def test_go_live_is_refused_while_errors_are_open_or_the_key_is_revoked(shop, staff_client):
    remote, store = shop
    _import_orders_ready_for_production(store)
    remote.set_faults(unauthorized=True)
    response = staff_client.post(reverse("integration:store_go_live", args=[store.pk]), follow=True)
    assert "Credentials valid" in response.content.decode()
    remote.set_faults(unauthorized=False)
    event_record(store=store, severity="error", code="x", message="Open problem.")
    response = staff_client.post(reverse("integration:store_go_live", args=[store.pk]), follow=True)
    assert "No unresolved errors: 1 open" in response.content.decode()
    store.refresh_from_db()
    assert not store.is_live


def test_a_refused_key_links_staff_to_update_credentials_where_a_wrong_secret_changes_nothing(shop, staff_client):
    remote, store = shop
    remote.set_faults(unauthorized=True)
    feed_run_execute(feed=feed(store, Feed.Kind.ORDERS_IMPORT), trigger=FeedRun.Trigger.SCHEDULE)
    remote.set_faults(unauthorized=False)
    url = reverse("integration:store_credentials", args=[store.pk])
    assert url in staff_client.get(reverse("integration:event_list")).content.decode()
    before = store.credentials_encrypted
    response = staff_client.post(
        url, {"base_url": store.base_url, "consumer_key": remote.consumer_key, "consumer_secret": "cs_wrong_secret"}
    )
    assert response.status_code == 200 and "refused" in response.content.decode()
    assert "cs_wrong_secret" not in response.content.decode()
    store.refresh_from_db()
    assert store.credentials_encrypted == before
    response = staff_client.post(
        url,
        {"base_url": store.base_url, "consumer_key": remote.consumer_key, "consumer_secret": remote.consumer_secret},
    )
    assert response.status_code == 302
