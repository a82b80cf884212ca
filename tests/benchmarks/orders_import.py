"""Issue 3's order-import figures: one feed run importing N orders of 3 lines from the sandbox over HTTP.

The sandbox runs in its own process (`python -m printconnect.sandbox.server`), seeded through its admin API, so its
JSON rendering does not share the importer's GIL: the figures are the importer's, as against a real store.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests

ADMIN_TIMEOUT = 600  # seeding 10,000 orders with Faker takes a while


@dataclass
class RemoteShop:
    slug: str
    base_url: str
    consumer_key: str
    consumer_secret: str


class SandboxProcess:
    """`python -m printconnect.sandbox.server --port <free>` as a child process, driven through its admin API."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process = subprocess.Popen(
            [sys.executable, "-m", "printconnect.sandbox.server", "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        line = self._process.stdout.readline() if self._process.stdout else ""
        if "Sandbox listening" not in line:
            self.stop()
            raise RuntimeError(f"The sandbox did not start: {line.strip() or 'no output'}")

    def cpu_seconds(self) -> float | None:
        """CPU time the sandbox process has used (Linux /proc), to show how much of a run was the store's work."""
        try:
            with open(f"/proc/{self._process.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def admin(self, method: str, path: str, **body: Any) -> Any:
        response = requests.request(method, f"{self.url}/__sandbox__/{path}", json=body or None, timeout=ADMIN_TIMEOUT)
        if response.status_code >= 400:
            raise RuntimeError(f"Sandbox admin {method} {path}: {response.status_code} {response.text[:300]}")
        return response.json()

    def shop(self, slug: str, *, orders: int, lines: int, seed: int) -> RemoteShop:
        """A store with `orders` orders of `lines` lines, every one paid and open, so every one is imported."""
        info = self.admin(
            "POST",
            "stores",
            slug=slug,
            name=f"Bench {slug}",
            seed={"products": 12, "orders": orders, "lines": lines, "seed": seed},
        )
        shop = RemoteShop(slug, info["base_url"], info["consumer_key"], info["consumer_secret"])
        _pay_every_order(shop)
        return shop


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pay_every_order(shop: RemoteShop) -> None:
    """The seed mixes in unpaid and cancelled orders; move them to processing (paid) through the REST API, the way a
    shop owner would, in batches of 100 (WooCommerce's batch limit)."""
    api = f"{shop.base_url}/wp-json/wc/v3"
    auth = (shop.consumer_key, shop.consumer_secret)
    ids: list[int] = []
    page = 1
    while True:
        params = {"status": "pending,on-hold,cancelled", "per_page": 100, "page": page, "orderby": "id"}
        response = requests.get(f"{api}/orders", params=params, auth=auth, timeout=60)
        response.raise_for_status()
        ids += [order["id"] for order in response.json()]
        if page >= int(response.headers.get("X-WP-TotalPages", "0")):
            break
        page += 1
    for start in range(0, len(ids), 100):
        update = [{"id": order_id, "status": "processing"} for order_id in ids[start : start + 100]]
        requests.post(f"{api}/orders/batch", json={"update": update}, auth=auth, timeout=60).raise_for_status()


@contextlib.contextmanager
def per_page(size: int) -> Iterator[None]:
    """The WooCommerce client asks for 100 a page (the API's maximum); the page-size figure asks for fewer."""
    from printconnect.integrations.connectors.woocommerce import client

    before = client.PER_PAGE
    client.PER_PAGE = size
    try:
        yield
    finally:
        client.PER_PAGE = before


class QueryLog:
    """Counts the queries of a feed run, split into pages at each save of the feed's cursor (one per page).

    INSERTs are counted apart: Django splits a bulk INSERT into statements of at most 999 parameters on SQLite, so
    there their number follows the rows (100 orders take 2 statements, their 300 items 3); PostgreSQL takes one.
    """

    def __init__(self) -> None:
        self.pages: list[tuple[int, int]] = []  # (queries, of which INSERT statements)
        self._queries = self._inserts = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self._queries += 1
        self._inserts += sql.startswith("INSERT")
        if sql.startswith('UPDATE "integrations_feed" SET') and '"cursor"' in sql and '"synced_until"' not in sql:
            self.pages.append((self._queries, self._inserts))
            self._queries = self._inserts = 0
        return execute(sql, params, many, context)


def run(args: argparse.Namespace) -> None:
    from django.db import connection, transaction
    from django.test.utils import override_settings

    from printconnect.clients.models import Client
    from printconnect.integrations.models import Feed, FeedRun
    from printconnect.integrations.services import feed_run_execute
    from printconnect.orders.models import Order, OrderItem
    from printconnect.storefronts.models import Store

    n = args.orders
    print(f"\nOrder import through one feed run on {connection.vendor}: {n} orders of 3 lines from the sandbox")
    sandbox = SandboxProcess()
    client = Client.objects.create(name="Bench orders client")

    def connect(shop: RemoteShop) -> Feed:
        store = Store.objects.create(
            client=client, name=shop.slug, platform=Store.Platform.WOOCOMMERCE, base_url=shop.base_url
        )
        store.credentials = {"consumer_key": shop.consumer_key, "consumer_secret": shop.consumer_secret}
        store.save()
        return Feed.objects.create(store=store, kind=Feed.Kind.ORDERS_IMPORT)

    cpu: dict[str, tuple[float, float | None]] = {}

    def execute(feed: Feed, label: str = "") -> tuple[FeedRun, float]:
        start, own, store_side = time.perf_counter(), time.process_time(), sandbox.cpu_seconds()
        result = feed_run_execute(feed=feed, trigger=FeedRun.Trigger.MANUAL)
        after = sandbox.cpu_seconds()
        spent = None if after is None or store_side is None else after - store_side
        cpu[label] = (time.process_time() - own, spent)
        return result, time.perf_counter() - start

    try:
        started = time.perf_counter()
        big = sandbox.shop("bench", orders=n, lines=3, seed=5)
        small = sandbox.shop("pages", orders=args.page_orders, lines=3, seed=6)
        print(f"  sandbox process on port {sandbox.port} seeded in {time.perf_counter() - started:.1f} s")
        with override_settings(OUTBOUND_ALLOW_PRIVATE=True):
            feed = connect(big)
            first, first_s = execute(feed, "first")
            Feed.objects.filter(pk=feed.pk).update(cursor="", synced_until=None)  # fetch the same orders again
            second, second_s = execute(feed, "second")
            assert first.created == n and second.created == 0, (first.log, second.log)

            page_figures = []
            for size in (50, 100):
                page_feed = connect(RemoteShop(f"{small.slug}-{size}", small.base_url, *_credentials(small)))
                for label in ("new", "duplicates"):
                    log = QueryLog()
                    with per_page(size), connection.execute_wrapper(log):
                        done, _ = execute(page_feed)
                    assert done.seen == args.page_orders, done.log
                    page_figures.append((size, label, log.pages))
                    Feed.objects.filter(pk=page_feed.pk).update(cursor="", synced_until=None)

        baseline_s, items = _bulk_create_baseline(Order, OrderItem, feed.store, transaction)
    finally:
        sandbox.stop()

    print(
        f"  first run (all new)          {first_s:7.2f} s   {n / first_s:8.0f} orders/s   "
        f"{first_s / baseline_s:5.1f}x the bulk_create baseline ({baseline_s:.2f} s, {n / baseline_s:.0f} orders/s)"
    )
    print(
        f"  second run (all duplicates)  {second_s:7.2f} s   {n / second_s:8.0f} orders/s   "
        f"{first_s / second_s:5.1f}x faster than the first"
    )
    print(
        f"  items imported: {items} ({items / n:.1f} a order); load average {os.getloadavg()[0]:.1f}"
        f" on {os.cpu_count()} CPUs"
    )
    (first_cpu, first_store), (second_cpu, second_store) = cpu["first"], cpu["second"]
    print(
        f"  CPU seconds, importer / sandbox:  first {first_cpu:.2f} / {_seconds(first_store)},  second {second_cpu:.2f}"
        f" / {_seconds(second_store)}  (importer {first_cpu / second_cpu:.1f}x less on the second run; a run cannot"
        " take less time than the store needs to answer it)"
    )
    print(f"  queries per page over {args.page_orders} orders (pages after the first, which also opens the run)")
    for size, label, pages in page_figures:
        full = pages[1 : math.floor(args.page_orders / size)] or pages
        queries, inserts = {q for q, _ in full}, {i for _, i in full}
        other = {q - i for q, i in full}
        print(
            f"    {size:3d} a page, {label:<10}  {len(pages):3d} pages: {_span(queries)} queries a page, of which"
            f" {_span(inserts)} INSERT statements and {_span(other)} others"
        )
    print("  targets: >= 500 orders/s, <= 5x baseline, second run >= 3x faster, queries per page not growing with size")


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _span(values: set[int]) -> str:
    return f"{min(values)}" if len(values) == 1 else f"{min(values)}-{max(values)}"


def _credentials(shop: RemoteShop) -> tuple[str, str]:
    return shop.consumer_key, shop.consumer_secret


def _bulk_create_baseline(order_model: Any, item_model: Any, store: Any, transaction: Any) -> tuple[float, int]:
    """The same rows inserted with bulk_create in the same process: the floor an importer could reach."""
    orders = list(order_model.objects.filter(store=store).order_by("pk"))
    items = list(item_model.objects.filter(order__store=store).order_by("pk"))
    external_of = {order.pk: order.external_id for order in orders}
    item_orders = [external_of[item.order_id] for item in items]
    item_model.objects.filter(order__store=store).delete()
    order_model.objects.filter(store=store).delete()
    for row in (*orders, *items):
        row.pk = None
    start = time.perf_counter()
    with transaction.atomic():
        created = order_model.objects.bulk_create(orders, batch_size=500)
        by_external = {order.external_id: order for order in created}
        for item, external_id in zip(items, item_orders, strict=True):
            item.order = by_external[external_id]
        item_model.objects.bulk_create(items, batch_size=1000)
    return time.perf_counter() - start, len(items)
