"""`make bench`: performance figures, each as a ratio against a baseline measured in the same process.

Runs on a throw-away test database (SQLite by default, PostgreSQL when DATABASE_URL says so); never in the suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "printconnect.settings")


def timed(fn: Callable[[], object], *, repeat: int) -> float:
    """Median seconds per call after one warm-up call."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def count_queries(fn: Callable[[], object]) -> int:
    """Queries one call makes (Django empties connection.queries at each request, so count at the cursor)."""
    from django.db import connection

    seen = []
    with connection.execute_wrapper(
        lambda execute, sql, params, many, context: seen.append(sql) or execute(sql, params, many, context)
    ):
        fn()
    return len(seen)


def report(name: str, measured: float, baseline: float, unit_note: str = "") -> None:
    print(
        f"  {name:<58} {measured * 1000:9.2f} ms   baseline {baseline * 1000:8.2f} ms"
        f"   ratio {measured / baseline:5.2f}x{'   ' + unit_note if unit_note else ''}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stores", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--orders", type=int, default=10_000, help="orders for the feed-run import figure")
    parser.add_argument("--page-orders", type=int, default=1_000, help="orders for the queries-per-page figure")
    parser.add_argument("--webhook-seconds", type=int, default=8, help="seconds of each wrk run (webhooks)")
    parser.add_argument("--webhook-deliveries", type=int, default=15_000, help="signed deliveries a round (webhooks)")
    parser.add_argument("--mapping-rows", type=int, default=100_000, help="variants for the bulk mapping figures")
    parser.add_argument("--postback-events", type=int, default=10_000, help="events for the postback figure")
    parser.add_argument("--list-orders", type=int, default=1_000_000, help="orders for the order list figure")
    parser.add_argument(
        "--only",
        choices=["access", "orders", "dispatch", "webhooks", "mapping", "postbacks", "order_list"],
        help="run one section",
    )
    args = parser.parse_args()

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    db_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        sections = {
            "access": run,
            "orders": run_orders_import,
            "dispatch": run_feeds_dispatch,
            "webhooks": run_webhooks,
            "mapping": run_mapping_bulk,
            "postbacks": run_postbacks,
            "order_list": run_order_list,
        }
        for name, section in sections.items():
            if args.only in (None, name):
                section(args)
        return 0
    finally:
        connection.creation.destroy_test_db(db_name, verbosity=0)


def run(args: argparse.Namespace) -> int:
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.test import Client as HttpClient

    from printconnect.clients.models import Client, Membership
    from printconnect.clients.selectors import clients_list
    from printconnect.core.models import User
    from printconnect.core.permissions import Role
    from printconnect.storefronts.models import Store
    from printconnect.storefronts.selectors import stores_for_user
    from printconnect.storefronts.services import membership_permissions_sync

    print(f"printconnect bench on {connection.vendor}: {args.stores} stores, {args.clients} clients")
    client = Client.objects.create(name="Big client", storefront_access=True)
    Store.objects.bulk_create(Store(client=client, name=f"Store {n:05d}") for n in range(args.stores))
    users = {}
    for role in (Role.ADMIN, Role.STORE_MANAGER):
        user = User.objects.create(email=f"{role}@bench.test", password=make_password("bench-pass-123"))
        membership = Membership.objects.create(client=client, user=user, role=role)
        half = list(Store.objects.filter(client=client).values_list("pk", flat=True)[: args.stores // 2])
        start = time.perf_counter()
        membership_permissions_sync(membership=membership, store_ids=half)
        print(
            f"  grant {role:<14} on {args.stores if role == Role.ADMIN else len(half)} stores: "
            f"{(time.perf_counter() - start) * 1000:.0f} ms"
        )
        users[role] = User.objects.get(pk=user.pk)
    Client.objects.bulk_create(Client(name=f"Client {n:05d}", reference=f"R{n:05d}") for n in range(args.clients))

    print("\nPermission-scoped reads (guardian, direct-FK permission tables) against plain queries")
    admin, manager = users[Role.ADMIN], users[Role.STORE_MANAGER]
    baseline = timed(lambda: list(Store.objects.filter(client=client).values_list("pk", flat=True)), repeat=args.repeat)
    report(
        "stores_for_user, Admin (all stores)",
        timed(lambda: list(stores_for_user(user=admin).values_list("pk", flat=True)), repeat=args.repeat),
        baseline,
    )
    report(
        "stores_for_user, Store manager (half the stores)",
        timed(lambda: list(stores_for_user(user=manager).values_list("pk", flat=True)), repeat=args.repeat),
        baseline,
    )

    page_baseline = timed(lambda: list(Store.objects.filter(client=client).order_by("name")[:25]), repeat=args.repeat)
    report(
        "first page of 25 stores, Admin",
        timed(lambda: list(stores_for_user(user=admin).order_by("name")[:25]), repeat=args.repeat),
        page_baseline,
    )

    list_baseline = timed(lambda: list(Client.objects.order_by("name")[:25]), repeat=args.repeat)
    report(
        "staff clients list page with store/user counts",
        timed(lambda: list(clients_list()[:25]), repeat=args.repeat),
        list_baseline,
    )

    print("\nWhole requests through Django (middleware, permissions, template), same process")
    http = HttpClient()
    plain = timed(lambda: http.get("/accounts/login/"), repeat=args.repeat)  # the sign-in page, anonymous
    http.force_login(admin)
    for url in ("/portal/", "/portal/stores/"):
        assert http.get(url).status_code == 200, url
    for label, url in (
        ("portal Stores page, 2,000 stores, paginated", "/portal/stores/"),
        ("portal dashboard, 2,000 stores", "/portal/"),
    ):
        queries = count_queries(lambda url=url: http.get(url))
        measured = timed(lambda url=url: http.get(url), repeat=args.repeat)
        report(f"{label} vs sign-in page", measured, plain, f"{queries} queries")
    return 0


def run_orders_import(args: argparse.Namespace) -> None:
    """Issue 3: one feed run importing N orders of 3 lines from the sandbox (its own process) over HTTP."""
    from tests.benchmarks import orders_import

    orders_import.run(args)


def run_feeds_dispatch(args: argparse.Namespace) -> None:
    """Issue 3: 2,000 feeds due in the same minute, two dispatchers at once, queued to the configured broker."""
    import threading
    from collections import Counter

    from django.conf import settings
    from django.db import connection, connections
    from django.utils import timezone
    from django_celery_beat.models import IntervalSchedule

    from printconnect.clients.models import Client
    from printconnect.integrations.models import Feed
    from printconnect.integrations.services import feeds_dispatch
    from printconnect.integrations.tasks import feed_run_task
    from printconnect.storefronts.models import Store

    n = 2_000
    print(f"\nFeed dispatch on {connection.vendor}, broker {settings.CELERY_BROKER_URL.split(':')[0]}: {n} feeds due")
    client = Client.objects.create(name="Dispatch bench client")
    stores = Store.objects.bulk_create(
        Store(client=client, name=f"D{i}", webhook_token=f"dispatch-{i}") for i in range(n // 10)
    )
    every_15 = IntervalSchedule.objects.create(every=15, period=IntervalSchedule.MINUTES)
    now = timezone.now()
    Feed.objects.bulk_create(
        Feed(store=store, kind=kind, interval=every_15, next_run_at=now)
        for store in stores
        for kind in list(Feed.Kind)[:10]
    )
    queued: Counter[int] = Counter()
    lock = threading.Lock()
    original = feed_run_task.apply_async

    def counting_apply_async(task_args, **kwargs):
        with lock:
            queued[task_args[0]] += 1
        return original(task_args, **kwargs)

    feed_run_task.apply_async = counting_apply_async

    def dispatcher() -> None:
        try:
            feeds_dispatch(now=now)
        finally:
            connections.close_all()

    try:
        start = time.perf_counter()
        threads = [threading.Thread(target=dispatcher) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
    finally:
        feed_run_task.apply_async = original
    twice = sum(1 for count in queued.values() if count > 1)
    print(
        f"  {len(queued)} feeds queued by 2 dispatchers in {elapsed:.2f} s ({len(queued) / elapsed:.0f}/s); "
        f"queued twice: {twice}; target: all {n} within 10 s, none twice"
    )


def run_webhooks(args: argparse.Namespace) -> None:
    """Issue 3: the webhook endpoint under gunicorn against a trivial view on the same server (wrk)."""
    from tests.benchmarks import webhooks

    webhooks.run(args)


def run_mapping_bulk(args: argparse.Namespace) -> None:
    """Issue 4: export of N variants, dry run and apply of an N-row mapping import."""
    from tests.benchmarks import mapping_bulk

    mapping_bulk.run(args)


def run_postbacks(args: argparse.Namespace) -> None:
    """Issue 5: the outbox dispatcher delivering 10,000 postbacks to a local receiver, against plain POSTs."""
    from tests.benchmarks import postbacks

    postbacks.run(args)


def run_order_list(args: argparse.Namespace) -> None:
    """Issue 5: the staff order list over 1,000,000 orders against 1,000, and the guardian-scoped portal list."""
    from tests.benchmarks import order_list

    order_list.run(args)


if __name__ == "__main__":
    sys.exit(main())
