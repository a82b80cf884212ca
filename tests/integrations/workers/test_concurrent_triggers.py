"""The same feed triggered several times at the same moment, from threads with their own database connections:
the per-feed lock lets exactly one run start (on PostgreSQL a row lock; on SQLite the write lock of
BEGIN IMMEDIATE), the others are recorded as skipped, and no order arrives twice."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection

from printconnect.integrations.models import FeedRun
from printconnect.integrations.services import feed_run_execute
from tests.celery_workers import wait_for

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]
MANUAL = FeedRun.Trigger.MANUAL
SCHEDULE = FeedRun.Trigger.SCHEDULE


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together by a barrier; return their results (or raise the first error)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = calls[index]()
        except BaseException as exc:  # handed to the test thread below
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a feed run did not finish within 60 s"
    if errors:
        raise errors[0]
    return results


@pytest.mark.parametrize("triggers", [2, 6])
def test_one_run_starts_and_the_rest_are_skipped_when_a_feed_is_triggered_at_once(make_shop, triggers):
    shop = make_shop(orders=220, slow_ms=150)  # 3 pages: a run lasts far longer than the threads take to start
    kinds = [(MANUAL, SCHEDULE)[index % 2] for index in range(triggers)]
    for round_no in range(2):  # a first import, then a run over orders that are all here already
        runs = at_once([partial(feed_run_execute, feed=shop.feed, trigger=kind) for kind in kinds])
        ran = [run for run in runs if run.status != FeedRun.Status.SKIPPED]
        skipped = [run for run in runs if run.status == FeedRun.Status.SKIPPED]
        assert len(ran) == 1, f"round {round_no}: {[run.status for run in runs]}"
        assert ran[0].status == FeedRun.Status.SUCCEEDED, ran[0].log
        assert len(skipped) == triggers - 1
        assert all(f"#{ran[0].pk}" in run.log for run in skipped)
        assert ran[0].created == (len(shop.importable()) if round_no == 0 else 0)
    assert FeedRun.objects.filter(feed=shop.feed).count() == 2 * triggers
    shop.assert_every_importable_order_once()


def test_every_order_arrives_once_when_two_runs_of_a_feed_overlap(make_shop, settings):
    # A live run taken for dead (a page outlasted the stale limit) goes on alongside its successor: both import the
    # same pages at the same time, and the unique (store, external id) keeps each order to one row.
    settings.FEED_RUN_STALE_AFTER_SECONDS = 0
    shop = make_shop(orders=320, slow_ms=100)

    def second_once_the_first_is_running() -> FeedRun:
        wait_for(FeedRun.objects.filter(feed=shop.feed).exists, timeout=10, what="the first run to start")
        return feed_run_execute(feed=shop.feed, trigger=SCHEDULE)

    first, second = at_once(
        [partial(feed_run_execute, feed=shop.feed, trigger=MANUAL), second_once_the_first_is_running]
    )
    assert (first.status, second.status) == (FeedRun.Status.SUCCEEDED,) * 2, (first.log, second.log)
    assert first.finished_at > second.started_at  # they overlapped
    assert first.created + second.created == len(shop.importable())  # each order created by exactly one run
    shop.assert_every_importable_order_once()
