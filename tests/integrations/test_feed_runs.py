"""Feed runs importing orders from the WooCommerce sandbox over real HTTP: idempotent, resumable, one at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from printconnect.integrations.connectors.errors import RateLimitedError
from printconnect.integrations.models import Feed, FeedRun, IntegrationEvent
from printconnect.integrations.services import feed_run_execute, feed_run_start
from printconnect.orders.models import Order, OrderItem
from printconnect.sandbox.woocommerce import seed
from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_allowed")]
MANUAL = FeedRun.Trigger.MANUAL


@pytest.fixture
def shop(sandbox, request):
    slug = f"feed-{request.node.name.replace('_', '-')}"[:48].strip("-")
    remote = sandbox.app.create_store(slug, name=slug)
    seed.seed_store(remote, products=6, orders=150, seed=11)
    store = Store.objects.create(
        client=ClientFactory(), name=slug, platform=Store.Platform.WOOCOMMERCE, base_url=sandbox.store_url(slug)
    )
    store.credentials = {"consumer_key": remote.consumer_key, "consumer_secret": remote.consumer_secret}
    store.save()
    feed = Feed.objects.create(store=store, kind=Feed.Kind.ORDERS_IMPORT)
    return remote, store, feed


def importable(remote) -> set[str]:
    return {
        str(order_id)
        for order_id, record in remote.orders.items()
        if record["status"] in ("processing", "completed", "on-hold") and record.get("date_paid_gmt")
    }


def test_import_creates_paid_open_orders_once_and_sets_the_rest_aside(shop):
    remote, store, feed = shop
    run = feed_run_execute(feed=feed, trigger=MANUAL)
    assert run.status == FeedRun.Status.SUCCEEDED, run.log
    imported = set(Order.objects.filter(store=store).values_list("external_id", flat=True))
    assert imported == importable(remote)
    assert run.seen == 150 and run.created == len(imported) and run.skipped == 150 - len(imported)
    assert OrderItem.objects.filter(order__store=store).count() == sum(
        len(remote.orders[int(i)]["line_items"]) for i in imported
    )
    kinds = set(IntegrationEvent.objects.filter(store=store).values_list("code", "severity"))
    assert ("order.awaiting_payment", "retry") in kinds and ("order.not_open", "info") in kinds

    again = feed_run_execute(feed=feed, trigger=MANUAL)
    assert again.created == 0
    assert Order.objects.filter(store=store).count() == len(imported)
    awaiting = IntegrationEvent.objects.filter(store=store, code="order.awaiting_payment")
    assert awaiting.exists() and all(event.count == 1 for event in awaiting)  # nothing new since synced_until


def test_an_order_cancelled_in_the_store_is_cancelled_here(shop):
    remote, store, feed = shop
    feed_run_execute(feed=feed, trigger=MANUAL)
    order = Order.objects.filter(store=store).first()
    seed_order = remote.orders[int(order.external_id)]
    with remote.lock:
        seed_order["status"] = "cancelled"
        seed_order["date_modified_gmt"] = seed_order["date_modified"] = seed._now().replace(tzinfo=None)
    feed_run_execute(feed=feed, trigger=MANUAL)
    order.refresh_from_db()
    assert (order.status, order.store_status) == (Order.Status.CANCELLED, "cancelled")


def test_a_malformed_order_is_one_error_event_naming_it_and_the_others_import(shop):
    remote, store, feed = shop
    remote.set_faults(malformed=True)
    run = feed_run_execute(feed=feed, trigger=MANUAL)
    bad_id = str(remote.faults.last_malformed_id)
    assert run.status == FeedRun.Status.PARTIAL and run.failed == 1
    event = IntegrationEvent.objects.exclude(code__startswith="order.held.").get(store=store, severity="error")
    assert event.object_id == bad_id and bad_id in event.message
    assert Order.objects.filter(store=store).count() == len(importable(remote) - {bad_id})


def test_revoked_keys_fail_the_run_with_one_error_event_however_often_it_runs(shop):
    remote, store, feed = shop
    remote.set_faults(unauthorized=True)
    for _ in range(3):
        run = feed_run_execute(feed=feed, trigger=MANUAL)
        assert run.status == FeedRun.Status.FAILED
    event = IntegrationEvent.objects.get(store=store)
    assert (event.severity, event.count) == ("error", 3)
    assert "consumer key" in event.message
    assert not Order.objects.filter(store=store).exists()


def test_a_second_trigger_while_running_is_recorded_as_skipped(shop):
    _, _, feed = shop
    first = feed_run_start(feed=feed, trigger=MANUAL)
    second = feed_run_execute(feed=feed, trigger=FeedRun.Trigger.SCHEDULE)
    assert first.status == FeedRun.Status.RUNNING
    assert second.status == FeedRun.Status.SKIPPED and f"#{first.pk}" in second.log


def test_a_429_storm_fails_the_run_with_a_retry_event_and_the_next_run_completes(shop):
    remote, store, feed = shop
    remote.set_faults(rate_limit={"burst": 1000, "retry_after": 0})
    with pytest.raises(RateLimitedError):  # re-raised so the Celery task retries with backoff
        feed_run_execute(feed=feed, trigger=MANUAL)
    assert IntegrationEvent.objects.get(store=store, code="feed.RateLimitedError").severity == "retry"
    assert FeedRun.objects.get(feed=feed).status == FeedRun.Status.FAILED
    remote.set_faults(clear=True)
    assert feed_run_execute(feed=feed, trigger=MANUAL).status == FeedRun.Status.SUCCEEDED
    assert set(Order.objects.filter(store=store).values_list("external_id", flat=True)) == importable(remote)


def test_a_run_resumes_from_the_cursor_its_killed_predecessor_saved(shop):
    _, _, feed = shop
    # A worker died after committing page 1 (the cursor says page 2) while its run still says "running".
    dead = feed_run_start(feed=feed, trigger=MANUAL)
    FeedRun.objects.filter(pk=dead.pk).update(
        started_at=dead.started_at - timedelta(hours=3), heartbeat_at=dead.started_at - timedelta(minutes=16)
    )
    feed.cursor = "2"
    feed.save()
    run = feed_run_execute(feed=feed, trigger=FeedRun.Trigger.SCHEDULE)
    assert run.status == FeedRun.Status.SUCCEEDED
    assert FeedRun.objects.get(pk=dead.pk).status == FeedRun.Status.FAILED
    assert run.seen == 50  # pages 2 (orders 101-150 of 150 at 100 a page), not page 1 again
    feed.refresh_from_db()
    assert feed.cursor == "" and feed.synced_until is not None


def test_orders_another_run_inserted_meanwhile_fall_back_to_one_by_one_without_duplicates(shop, monkeypatch):
    _, store, feed = shop
    feed_run_execute(feed=feed, trigger=MANUAL)
    expected = Order.objects.filter(store=store).count()
    Order.objects.filter(store=store, pk__in=Order.objects.filter(store=store).values("pk")[:10]).delete()
    Feed.objects.filter(pk=feed.pk).update(cursor="", synced_until=None)
    # As if a concurrent run had not committed yet when this one looked: every order seems new.
    monkeypatch.setattr("printconnect.integrations.services.feeds.order_sync_states", lambda **kwargs: {})
    run = feed_run_execute(feed=feed, trigger=MANUAL)
    assert run.status == FeedRun.Status.SUCCEEDED, run.log
    assert run.created == 10
    assert Order.objects.filter(store=store).count() == expected
    assert OrderItem.objects.filter(order__store=store).values("order", "external_id").distinct().count() == (
        OrderItem.objects.filter(order__store=store).count()
    )


def test_a_batch_with_an_order_already_here_falls_back_to_one_by_one_without_duplicates(shop):
    from printconnect.integrations.services import order_data_from_external
    from printconnect.orders.services import Ingested, order_intake, orders_intake_batch

    _, store, _ = shop
    connector_orders = [o for page in _connector(store).fetch_orders() for o in page.items]
    datas = [order_data_from_external(o) for o in connector_orders if o.financial_status == "paid"][:3]
    order_intake(store=store, data=datas[1])
    results = orders_intake_batch(store=store, orders=datas)
    assert [r.outcome for r in results] == [Ingested.CREATED, Ingested.UNCHANGED, Ingested.CREATED]
    assert sorted(Order.objects.filter(store=store).values_list("external_id", flat=True)) == sorted(
        d.external_id for d in datas
    )


def _connector(store):
    from printconnect.integrations.services import connector_for_store

    return connector_for_store(store)


def test_a_long_run_whose_heartbeat_is_fresh_is_not_taken_over(shop):
    _, _, feed = shop
    long_run = feed_run_start(feed=feed, trigger=MANUAL)
    FeedRun.objects.filter(pk=long_run.pk).update(started_at=long_run.started_at - timedelta(hours=3))
    second = feed_run_start(feed=feed, trigger=FeedRun.Trigger.SCHEDULE)
    assert second.status == FeedRun.Status.SKIPPED
    assert FeedRun.objects.get(pk=long_run.pk).status == FeedRun.Status.RUNNING


def test_a_run_taken_for_abandoned_keeps_that_mark_when_it_finishes_after_all(shop):
    from printconnect.integrations.services.feeds import _finish

    _, _, feed = shop
    slow = feed_run_start(feed=feed, trigger=MANUAL)
    FeedRun.objects.filter(pk=slow.pk).update(heartbeat_at=slow.started_at - timedelta(minutes=16))
    successor = feed_run_start(feed=feed, trigger=FeedRun.Trigger.SCHEDULE)
    assert successor.status == FeedRun.Status.RUNNING
    slow.seen = 7
    _finish(slow, FeedRun.Status.SUCCEEDED, "Finished.")
    slow.refresh_from_db()
    assert slow.status == FeedRun.Status.FAILED and slow.seen == 7
    assert "Abandoned" in slow.log and "went on after it had been taken for abandoned" in slow.log


def test_a_cancellation_after_production_started_is_an_error_not_a_cancel(shop):
    from tests.integrations.sandbox_shop import touch

    remote, store, feed = shop
    feed_run_execute(feed=feed, trigger=MANUAL)
    order = Order.objects.filter(store=store, status=Order.Status.ON_HOLD).first()
    Order.objects.filter(pk=order.pk).update(status=Order.Status.IN_PRODUCTION)
    record = remote.orders[int(order.external_id)]
    record["status"] = "cancelled"
    touch(record)
    run = feed_run_execute(feed=feed, trigger=MANUAL)
    assert run.status == FeedRun.Status.SUCCEEDED, run.log
    order.refresh_from_db()
    assert (order.status, order.store_status) == (Order.Status.IN_PRODUCTION, "cancelled")
    event = IntegrationEvent.objects.get(store=store, code="order.cancelled_in_production")
    assert event.severity == "error" and event.object_id == order.external_id and order.number in event.message
    feed_run_execute(feed=feed, trigger=MANUAL)  # the same state again: no new event, no second count
    assert IntegrationEvent.objects.get(pk=event.pk).count == 1


def test_a_redelivered_task_takes_its_own_dead_run_over_at_once(shop):
    _, _, feed = shop
    dead = feed_run_start(feed=feed, trigger=MANUAL, task_id="task-1")  # its worker died; heartbeat still fresh
    other = feed_run_start(feed=feed, trigger=FeedRun.Trigger.SCHEDULE, task_id="task-2")
    assert other.status == FeedRun.Status.SKIPPED
    again = feed_run_start(feed=feed, trigger=MANUAL, task_id="task-1")
    assert again.status == FeedRun.Status.RUNNING and again.task_id == "task-1"
    dead.refresh_from_db()
    assert dead.status == FeedRun.Status.FAILED and "Abandoned" in dead.log
