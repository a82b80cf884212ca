"""Feed runs under real concurrency: worker processes killed mid-run, the same feed triggered at once.

Run these alone with `pytest -m workers` (they also run in `make test`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from printconnect.integrations.models import Feed
from printconnect.orders.models import Order, OrderItem
from printconnect.sandbox.server import SandboxServer
from printconnect.sandbox.woocommerce import seed
from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "workers: real Celery worker processes, or feed runs racing each other")


@pytest.fixture(autouse=True)
def _loopback_allowed(settings: Any) -> None:
    # The sandbox (tests/conftest.py, threads in this process) is on loopback; the workers reach it over HTTP.
    settings.OUTBOUND_ALLOW_PRIVATE = True


@dataclass
class Shop:
    remote: Any  # the sandbox's store
    store: Store
    feed: Feed

    def importable(self) -> set[str]:
        """The order ids the import feed must bring in: open and paid."""
        return {
            str(order_id)
            for order_id, record in self.remote.orders.items()
            if record["status"] in ("processing", "completed", "on-hold") and record.get("date_paid_gmt")
        }

    def assert_every_importable_order_once(self) -> None:
        imported = list(Order.objects.filter(store=self.store).values_list("external_id", flat=True))
        assert len(imported) == len(set(imported))
        assert set(imported) == self.importable()
        wanted_items = sum(len(self.remote.orders[int(i)]["line_items"]) for i in imported)
        items = OrderItem.objects.filter(order__store=self.store)
        assert items.count() == wanted_items
        assert items.values("order_id", "external_id").distinct().count() == wanted_items


@pytest.fixture
def make_shop(sandbox: SandboxServer, request: pytest.FixtureRequest) -> Callable[..., Shop]:
    """A sandbox store with `orders` orders answering every request `slow_ms` late, connected here with its
    orders import feed."""

    def make(*, orders: int, slow_ms: int = 0) -> Shop:
        slug = re.sub(r"[^a-z0-9]+", "-", f"w-{request.node.name.lower()}")[:40].strip("-")
        slug = f"{slug}-{len(sandbox.app.stores)}"
        remote = sandbox.app.create_store(slug, name=slug)
        seed.seed_store(remote, products=6, orders=orders, seed=7)
        remote.set_faults(slow_ms=slow_ms)
        store = Store.objects.create(
            client=ClientFactory(), name=slug, platform=Store.Platform.WOOCOMMERCE, base_url=sandbox.store_url(slug)
        )
        store.credentials = {"consumer_key": remote.consumer_key, "consumer_secret": remote.consumer_secret}
        store.save()
        feed = Feed.objects.create(store=store, kind=Feed.Kind.ORDERS_IMPORT)
        return Shop(remote=remote, store=store, feed=feed)

    return make
