"""1,000 status changes while processes die: nothing committed is left unsent, nothing rolled back is sent, and the
receiver never applies an event twice.

A fifth of the changes are made in a forked process that SIGKILLs itself right after its commit, before the
after-commit kick could queue a dispatch (the sweep must find them); another fifth raise after the write inside
the transaction (rolled back: no outbox row, nothing sent). Two real Celery workers consume the postbacks queue and
their pool processes are SIGKILLed every couple of seconds while sending, so claims are left to expire and some
postbacks are sent again; the receiver (a threaded HTTP server here) dedupes on the Idempotency-Key, as documented.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
import time
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connections, transaction

from printconnect.celery import app
from printconnect.integrations.models import OutboxDelivery
from printconnect.integrations.services.outbox import postback_subscription_create
from printconnect.integrations.tasks import outbox_dispatch_task
from printconnect.orders.models import Order, OutboxEvent
from printconnect.orders.services import order_status_change
from tests.celery_workers import WorkerPair, broker_purge, wait_for
from tests.factories.clients import ClientFactory
from tests.factories.storefronts import make_store
from tests.outbox.conftest import make_order

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]
S = Order.Status
WORKER_OUTBOX_ENV = {
    "OUTBOX_CLAIM_SECONDS": "3",  # a dead worker's claims expire quickly
    "OUTBOX_RETRY_BASE_SECONDS": "0.2",
    "OUTBOX_RETRY_MAX_SECONDS": "1",
    "OUTBOX_KICK_EVERY_SECONDS": "0.2",
    "OUTBOX_DISPATCH_BUDGET_SECONDS": "4",
}


@pytest.fixture
def workers(django_db_setup: None) -> Iterator[WorkerPair]:
    log_dir = settings.VAR_DIR / "worker-logs-outbox"
    for old in log_dir.glob("*.log") if log_dir.exists() else ():
        old.unlink()
    pair = WorkerPair(log_dir, queues="postbacks", env=WORKER_OUTBOX_ENV)
    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    try:
        with contextlib.suppress(Exception):  # a queue that was never declared has nothing to purge
            broker_purge(app, "postbacks")
        pair.ensure_running()
        yield pair
    finally:
        app.conf.task_always_eager = eager
        pair.stop()
        print(pair.logs()[-8000:])


class _Boom(Exception):
    pass


def _change_then_die(order: Order, to_status: str) -> None:
    """In a forked child: commit the change, then die before anything else runs (the kick included)."""
    connections.close_all()  # the parent's connections stay the parent's; close before forking
    pid = os.fork()
    if pid == 0:  # the child
        try:
            with transaction.atomic():
                # Registered first, so it runs before the kick the outbox row registers: killed right after commit.
                transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))
                order_status_change(order=order, to_status=to_status, source="staff")
        finally:
            os._exit(3)  # only reached when the change failed
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, "the child must die after its commit"


def test_1000_changes_with_kills_after_commit_and_rollbacks_are_each_delivered_once(workers, receiver, settings):
    settings.OUTBOX_KICK_EVERY_SECONDS = 0.2
    store = make_store(ClientFactory())
    postback_subscription_create(client=store.client, url=receiver.url, events=["order.status_changed"])
    orders = [make_order(store) for _ in range(50)]
    rng = random.Random(5)
    stop = threading.Event()
    killed_pools: list[int] = []

    def kill_workers() -> None:
        # Whole workers (main process and pool, as when a machine dies), then started again. Killing only pool
        # processes this often leaves billiard holding a task it handed to a dead child, and the worker stalls.
        # Lost tasks do not matter here: the outbox rows are the truth, and the next dispatch finds them.
        while not stop.wait(3.0):
            worker = rng.choice(workers.workers)
            if worker.alive:
                worker.kill()
                killed_pools.append(worker.process.pid)
                worker.start()
                with contextlib.suppress(AssertionError):
                    worker.wait_ready(timeout=60)

    killer = threading.Thread(target=kill_workers, daemon=True)
    killer.start()
    kinds = ["ok", "ok", "ok", "die", "raise"] * 200
    rng.shuffle(kinds)
    rolled_back = 0
    started = time.monotonic()
    try:
        for index, kind in enumerate(kinds):
            order = orders[index % len(orders)]
            order.refresh_from_db()
            to_status = S.IN_PRODUCTION if order.status in (S.RECEIVED, S.PRINTED) else S.PRINTED
            if kind == "die":
                _change_then_die(order, to_status)
            elif kind == "raise":
                with pytest.raises(_Boom), transaction.atomic():
                    order_status_change(order=order, to_status=to_status, source="staff")
                    raise _Boom  # after the write: history and outbox row roll back with the status
                rolled_back += 1
            else:
                order_status_change(order=order, to_status=to_status, source="staff")
        committed = {str(pk) for pk in OutboxEvent.objects.filter(order__store=store).values_list("pk", flat=True)}
        assert len(committed) == 800 and rolled_back == 200
        changes_done = time.monotonic()

        def all_in() -> bool:
            outbox_dispatch_task.apply_async()  # what beat's sweep does every 10 s, here every second
            time.sleep(1.0)
            return set(receiver.effects) >= committed

        wait_for(all_in, timeout=240, what="every committed change to reach the receiver", interval=0)
    finally:
        stop.set()
        killer.join(timeout=5)

    assert set(receiver.effects) == committed  # nothing for a rolled-back change, nothing committed left unsent
    assert len(receiver.effects) == len(set(receiver.effects))  # no duplicate effect
    for order in orders:
        ids = [str(pk) for pk in OutboxEvent.objects.filter(order=order).order_by("pk").values_list("pk", flat=True)]
        assert receiver.order_sequence(order.pk) == ids  # in order per order, kills and all
    wait_for(
        lambda: not OutboxDelivery.objects.filter(target="postback").exclude(status="delivered").exists(),
        timeout=30, what="every delivery to be recorded as delivered",
    )  # fmt: skip
    print(
        f"\noutbox crash test: {len(committed)} committed, {rolled_back} rolled back, {len(killed_pools)} workers "
        f"killed, {receiver.duplicates()} duplicate receipts dropped by the Idempotency-Key; changes took "
        f"{changes_done - started:.0f} s, the rest arrived {time.monotonic() - changes_done:.0f} s later"
    )
    assert killed_pools, "the test must have killed workers while they sent"
