"""A connected store gets the feeds its connector can serve, with DESIGN section 5's default schedules."""

from __future__ import annotations

import pytest
from django.utils import timezone

from printconnect.integrations.models import Feed
from printconnect.integrations.services import feeds_ensure_for_store
from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory

pytestmark = pytest.mark.django_db


def _woo_store() -> Store:
    return Store.objects.create(
        client=ClientFactory(), name="Woo", platform=Store.Platform.WOOCOMMERCE, base_url="http://127.0.0.1:1/woo/x"
    )


def test_feeds_ensure_gives_a_woocommerce_store_its_feeds_with_default_schedules():
    store = _woo_store()
    before = timezone.now()
    feeds = {feed.kind: feed for feed in feeds_ensure_for_store(store=store)}
    assert set(feeds) == {
        Feed.Kind.ORDERS_IMPORT,
        Feed.Kind.ORDERS_UPDATE,
        Feed.Kind.ORDERS_RETRY,
        Feed.Kind.PRODUCTS_IMPORT,
        Feed.Kind.PRODUCTS_UPDATE,
        Feed.Kind.IMAGES_IMPORT,
        Feed.Kind.STOCK_IMPORT,
        Feed.Kind.STOCK_EXPORT,
    }
    schedule = {kind: (f.interval.every, f.interval.period) if f.interval else None for kind, f in feeds.items()}
    assert schedule[Feed.Kind.ORDERS_IMPORT] == (15, "minutes")
    assert schedule[Feed.Kind.ORDERS_RETRY] == (1, "hours")
    assert schedule[Feed.Kind.PRODUCTS_UPDATE] == (1, "days")
    assert schedule[Feed.Kind.STOCK_IMPORT] is None  # run once
    assert all(f.enabled and f.next_run_at >= before for f in feeds.values())
    assert feeds[Feed.Kind.STOCK_EXPORT].is_outbound and not feeds[Feed.Kind.ORDERS_IMPORT].is_outbound


def test_feeds_ensure_again_keeps_changed_schedules_and_adds_nothing_twice():
    store = _woo_store()
    feeds_ensure_for_store(store=store)
    Feed.objects.filter(store=store, kind=Feed.Kind.ORDERS_IMPORT).update(enabled=False, interval=None)
    feeds_ensure_for_store(store=store)
    assert Feed.objects.filter(store=store).count() == 8
    kept = Feed.objects.get(store=store, kind=Feed.Kind.ORDERS_IMPORT)
    assert (kept.enabled, kept.interval) == (False, None)


def test_feeds_ensure_offers_a_manual_store_no_feeds():
    store = Store.objects.create(client=ClientFactory(), name="By hand", platform=Store.Platform.MANUAL)
    assert feeds_ensure_for_store(store=store) == []
    assert not Feed.objects.filter(store=store).exists()
