"""A feed run whose task keeps killing its workers: stop redelivering it, close its run, tell a person."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from printconnect.integrations.connectors.errors import Severity
from printconnect.integrations.models import Feed, FeedRun
from printconnect.integrations.services.events import event_record


@transaction.atomic
def feed_run_give_up(*, feed: Feed, since: datetime, lost: int, task_id: str = "") -> FeedRun | None:
    """Close the run the given-up task left running and record an Error; returns that run, if any was left.

    That run is the one this task opened (its task id), else the feed's running run opened since the task was
    first delivered: one run per feed runs at a time,
    and while the dead one still looked alive any other trigger was recorded as skipped. The feed's cursor stays
    where the last committed page left it, so the next run resumes there.
    """
    Feed.objects.select_for_update().get(pk=feed.pk)  # the per-feed lock, as feed_run_start takes it
    running = FeedRun.objects.filter(feed=feed, status=FeedRun.Status.RUNNING, started_at__gte=since)
    run = (running.filter(task_id=task_id) if task_id else running).order_by("-started_at", "-pk").first()
    if run is not None:
        run.status = FeedRun.Status.FAILED
        run.finished_at = timezone.now()
        run.log = f"{run.log}\nStopped: its worker died {lost} times while running it; it is not retried.".strip()
        run.save(update_fields=["status", "finished_at", "log"])
    event_record(
        store=feed.store,
        severity=Severity.ERROR,
        code="feed.worker_lost",
        message=(
            f"The {feed.get_kind_display()} feed stopped its worker {lost} times (killed, or out of memory) and is "
            "no longer retried. The next run resumes where it stopped; if that one stops too, look in the worker "
            "log for what it was doing, then resolve this."
        ),
        object_type="feed",
        object_id=str(feed.pk),
        feed_run=run,
    )
    return run
