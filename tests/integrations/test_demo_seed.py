"""`seed_demo` gives Acme a WooCommerce store on the sandbox's demo shop, with its feeds, without the sandbox running;
once the sandbox runs (`run_sandbox --seed-demo`, as `make run` starts it) that store's credentials work over HTTP."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from printconnect.integrations.models import Feed, FeedRun
from printconnect.integrations.services import connector_for_store, feed_run_execute
from printconnect.orders.models import Order
from printconnect.sandbox.server import start_sandbox
from printconnect.sandbox.woocommerce import seed
from printconnect.storefronts.models import Store

pytestmark = pytest.mark.django_db


def _demo_store() -> Store:
    return Store.objects.get(client__reference="ACME-001", platform=Store.Platform.WOOCOMMERCE)


def test_seed_demo_connects_acme_to_the_sandbox_shop_with_feeds_and_is_idempotent():
    call_command("seed_demo", sandbox_url="http://127.0.0.1:8100")  # nothing listens there: not needed
    store = _demo_store()
    assert (store.name, store.base_url, store.mode) == (
        "Acme web shop",
        "http://127.0.0.1:8100/woo/drukwerk-atelier",
        Store.Mode.TEST,
    )
    assert store.credentials == seed.demo_credentials("drukwerk-atelier")
    feeds = Feed.objects.filter(store=store)
    assert feeds.count() == 8 and feeds.get(kind=Feed.Kind.ORDERS_IMPORT).interval.every == 15

    before = (Store.objects.count(), Feed.objects.count(), list(Store.objects.values_list("pk", "updated_at")))
    call_command("seed_demo", sandbox_url="http://127.0.0.1:8100")
    assert (Store.objects.count(), Feed.objects.count(), list(Store.objects.values_list("pk", "updated_at"))) == before


def test_the_demo_store_imports_orders_from_a_sandbox_seeded_like_make_run(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    server = start_sandbox()
    try:
        seed.seed_demo(server.app, orders=20)
        call_command("seed_demo", sandbox_url=server.url)
        store = _demo_store()
        assert connector_for_store(store).check_connection().ok
        run = feed_run_execute(feed=Feed.objects.get(store=store, kind=Feed.Kind.ORDERS_IMPORT), trigger="manual")
        assert run.status == FeedRun.Status.SUCCEEDED, run.log
        assert run.created > 0 and Order.objects.filter(store=store).count() == run.created
    finally:
        server.stop()
