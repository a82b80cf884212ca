"""Worker processes killed in the middle of a feed run, with two real workers sharing the feeds queue.

The workers are `celery -A printconnect worker -Q feeds -P prefork -c 1` on the test database and the configured
broker (the filesystem transport on SQLite; Redis when CELERY_BROKER_URL says so), importing orders from the
sandbox over HTTP. Whatever is killed, every importable order ends up here exactly once and the dead run is closed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.utils import timezone

from printconnect.celery import app
from printconnect.integrations.models import Feed, FeedRun, IntegrationEvent
from printconnect.integrations.tasks import feed_run_task
from tests.celery_workers import STALE_AFTER, WorkerPair, broker_is_redis, broker_purge, wait_for

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]
RUNNING = FeedRun.Status.RUNNING
MANUAL, SCHEDULE = FeedRun.Trigger.MANUAL, FeedRun.Trigger.SCHEDULE


@pytest.fixture(scope="module")
def worker_pair(django_db_setup: None) -> Iterator[WorkerPair]:
    log_dir = settings.VAR_DIR / "worker-logs"
    for old in log_dir.glob("*.log"):
        old.unlink()
    pair = WorkerPair(log_dir)
    try:
        yield pair
    finally:
        pair.stop()


@pytest.fixture
def workers(worker_pair: WorkerPair) -> Iterator[WorkerPair]:
    """Both workers up, an empty queue, and tasks sent to the broker rather than run in the test process."""
    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    try:
        broker_purge(app)
        worker_pair.ensure_running()
        yield worker_pair
    finally:
        app.conf.task_always_eager = eager
        print(worker_pair.logs()[-20000:])  # shown when the test fails


def send(feed: Feed, trigger: str = MANUAL) -> str:
    return feed_run_task.apply_async((feed.pk, trigger)).id


def running_run(feed: Feed, *, seen_at_least: int = 0, exclude: tuple[int, ...] = ()) -> FeedRun | None:
    return FeedRun.objects.filter(feed=feed, status=RUNNING, seen__gte=seen_at_least).exclude(pk__in=exclude).first()


def finished_after(feed: Feed, dead: FeedRun) -> FeedRun | None:
    """The run that completed the work after `dead`, once no run of the feed is running any more."""
    if FeedRun.objects.filter(feed=feed, status=RUNNING).exists():
        return None
    return FeedRun.objects.filter(feed=feed, pk__gt=dead.pk, status=FeedRun.Status.SUCCEEDED).first()


def assert_dead_run_closed(dead: FeedRun) -> None:
    dead.refresh_from_db()
    assert dead.status == FeedRun.Status.FAILED and dead.finished_at is not None
    assert "Abandoned" in dead.log


def test_every_order_arrives_once_when_the_pool_process_running_a_feed_is_killed(make_shop, workers):
    shop = make_shop(orders=400, slow_ms=400)  # 4 pages of 100
    task_id = send(shop.feed)
    dead = wait_for(lambda: running_run(shop.feed, seen_at_least=100), timeout=30, what="page 1 to be committed")
    holder = workers.holding(task_id)
    holder.kill_pool_process()

    # The worker's main process puts the task back (reject_on_worker_lost); a worker takes it again, finds the dead
    # run still looking alive, and comes back once its heartbeat is stale to take it over from the cursor.
    done = wait_for(lambda: finished_after(shop.feed, dead), timeout=40, what="the work to be finished")
    assert f"integrations.feed_run.redelivered: task {task_id}" in workers.logs()
    assert_dead_run_closed(dead)
    assert done.seen <= 300  # resumed after the committed page 1, not from the start
    shop.assert_every_importable_order_once()


def test_every_order_arrives_once_when_a_whole_worker_is_killed_mid_run(make_shop, workers):
    shop = make_shop(orders=400, slow_ms=400)
    task_id = send(shop.feed)
    dead = wait_for(lambda: running_run(shop.feed, seen_at_least=100), timeout=30, what="page 1 to be committed")
    holder = workers.holding(task_id)
    holder.kill()  # main process and pool together: nothing is left to put the task back
    survivor = next(worker for worker in workers.workers if worker is not holder)

    if broker_is_redis():
        # Redis still holds the unacknowledged task; after the visibility timeout it goes to the other worker.
        done = wait_for(lambda: finished_after(shop.feed, dead), timeout=40, what="Redis to redeliver the task")
        assert f"integrations.feed_run.redelivered: task {task_id}" in survivor.log()
    else:
        # The filesystem transport lost the task with its worker: the feed's next trigger does the work. Until the
        # dead run's heartbeat is stale it looks alive, so a trigger is skipped; after that one takes over.
        skipped_id = send(shop.feed, SCHEDULE)
        skipped = wait_for(
            lambda: FeedRun.objects.filter(feed=shop.feed, status=FeedRun.Status.SKIPPED).first(),
            timeout=20,
            what=f"trigger {skipped_id} to be skipped",
        )
        assert f"#{dead.pk}" in skipped.log
        dead.refresh_from_db()
        wait_for(
            lambda: (timezone.now() - dead.heartbeat_at).total_seconds() > STALE_AFTER,
            timeout=STALE_AFTER + 2,
            what="the dead run's heartbeat to go stale",
        )
        send(shop.feed, SCHEDULE)
        done = wait_for(lambda: finished_after(shop.feed, dead), timeout=30, what="the next run to finish the work")
    assert_dead_run_closed(dead)
    assert done.seen <= 300
    shop.assert_every_importable_order_once()


def test_two_workers_given_the_same_feed_at_once_run_it_once(make_shop, workers):
    shop = make_shop(orders=300, slow_ms=600)
    task_ids = [send(shop.feed), send(shop.feed, SCHEDULE)]
    wait_for(
        lambda: FeedRun.objects.filter(feed=shop.feed).exclude(status=RUNNING).count() == 2,
        timeout=30,
        what="both triggers to be handled",
    )
    statuses = sorted(FeedRun.objects.filter(feed=shop.feed).values_list("status", flat=True))
    assert statuses == [FeedRun.Status.SKIPPED, FeedRun.Status.SUCCEEDED]
    assert {workers.holding(task_id).name for task_id in task_ids} == {"w1", "w2"}  # one each
    shop.assert_every_importable_order_once()


def test_a_feed_run_that_keeps_killing_its_worker_is_given_up_when_it_reaches_the_cap(make_shop, workers):
    shop = make_shop(orders=400, slow_ms=400)
    task_id = send(shop.feed)
    killed: list[int] = []
    for _ in range(settings.TASK_MAX_REDELIVERIES):  # the workers run with the same default
        run = wait_for(lambda: running_run(shop.feed, exclude=tuple(killed)), timeout=30, what="the next delivery")
        workers.holding(task_id).kill_pool_process()
        killed.append(run.pk)

    wait_for(
        lambda: f"integrations.feed_run.gave_up: task {task_id}" in workers.logs(),
        timeout=20,
        what="the task to be given up",
    )
    last = FeedRun.objects.get(pk=killed[-1])
    wait_for(lambda: not FeedRun.objects.filter(feed=shop.feed, status=RUNNING).exists(), timeout=5, what="close")
    last.refresh_from_db()
    assert last.status == FeedRun.Status.FAILED
    assert f"its worker died {settings.TASK_MAX_REDELIVERIES} times" in last.log
    for pk in killed[:-1]:  # each taken over by the task's next delivery once its heartbeat was stale
        assert "Abandoned" in FeedRun.objects.get(pk=pk).log
    assert not FeedRun.objects.filter(feed=shop.feed, status=FeedRun.Status.SUCCEEDED).exists()
    event = IntegrationEvent.objects.get(store=shop.store, code="feed.worker_lost")
    assert (event.severity, event.feed_run_id) == ("error", last.pk)
