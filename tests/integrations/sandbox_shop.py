"""A printconnect store connected to a seeded WooCommerce sandbox store, for feed tests over real HTTP."""

from __future__ import annotations

from typing import Any

from printconnect.integrations.models import Feed, FeedRun
from printconnect.integrations.services import feed_run_execute, feeds_ensure_for_store
from printconnect.sandbox.server import SandboxServer
from printconnect.sandbox.woocommerce import seed
from printconnect.sandbox.woocommerce.app import Store as RemoteStore
from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory

MANUAL = FeedRun.Trigger.MANUAL


def slug_for(node_name: str) -> str:
    return f"f-{node_name.replace('_', '-').lower()}"[:60].strip("-")


def connect_shop(
    sandbox: SandboxServer, slug: str, *, products: int = 12, orders: int = 0, live: bool = False, seed_no: int = 7
) -> tuple[RemoteStore, Store]:
    remote = sandbox.app.create_store(slug, name=slug)
    seed.seed_store(remote, products=products, orders=orders, seed=seed_no)
    store = Store.objects.create(
        client=ClientFactory(),
        name=slug,
        platform=Store.Platform.WOOCOMMERCE,
        base_url=sandbox.store_url(slug),
        mode=Store.Mode.PRODUCTION if live else Store.Mode.TEST,
    )
    store.credentials = {"consumer_key": remote.consumer_key, "consumer_secret": remote.consumer_secret}
    store.save()
    feeds_ensure_for_store(store=store)
    return remote, store


def run_feed(store: Store, kind: str) -> FeedRun:
    return feed_run_execute(feed=Feed.objects.get(store=store, kind=kind), trigger=MANUAL)


def touch(record: dict[str, Any]) -> None:
    """Mark a sandbox record modified now, as WooCommerce does on every save."""
    now = seed._now()
    record["date_modified"] = record["date_modified_gmt"] = now


def api_calls(remote: RemoteStore, method: str | None = None) -> list[str]:
    """The REST paths the store was asked for since its log was last cleared (method filter optional)."""
    return [
        entry["path"]
        for entry in remote.requests()
        if entry["path"].startswith("/wp-json/") and (method is None or entry["method"] == method)
    ]
