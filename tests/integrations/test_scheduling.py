"""One beat entry dispatches due feeds from the Feed table; each due feed is queued once."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from printconnect.integrations.models import Feed
from printconnect.integrations.schedules import next_run_after
from printconnect.integrations.services import feeds_dispatch
from printconnect.integrations.tasks import feed_run_task
from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    sent = []
    monkeypatch.setattr(feed_run_task, "apply_async", lambda args, **kw: sent.append(tuple(args)))
    return sent


def make_feeds(n: int, *, next_run_at, interval=None, enabled=True) -> list[Feed]:
    client = ClientFactory()
    stores = Store.objects.bulk_create(
        Store(client=client, name=f"S{i}", webhook_token=f"t{i}-{client.pk}") for i in range(n)
    )
    return Feed.objects.bulk_create(
        Feed(store=s, kind=Feed.Kind.ORDERS_IMPORT, next_run_at=next_run_at, interval=interval, enabled=enabled)
        for s in stores
    )


def test_due_feeds_are_queued_once_and_move_to_their_next_run(queued, django_capture_on_commit_callbacks):
    now = timezone.now()
    every_15 = IntervalSchedule.objects.create(every=15, period=IntervalSchedule.MINUTES)
    due = make_feeds(3, next_run_at=now - timedelta(seconds=5), interval=every_15)
    make_feeds(2, next_run_at=now + timedelta(minutes=1), interval=every_15)  # not yet
    make_feeds(1, next_run_at=now - timedelta(minutes=1), interval=every_15, enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert feeds_dispatch(now=now) == 3
    assert sorted(queued) == sorted((feed.pk, "schedule") for feed in due)
    assert {f.next_run_at for f in Feed.objects.filter(pk__in=[f.pk for f in due])} == {now + timedelta(minutes=15)}
    with django_capture_on_commit_callbacks(execute=True):
        assert feeds_dispatch(now=now) == 0  # a second dispatcher at the same moment finds nothing
    assert len(queued) == 3


def test_dispatch_works_in_batches_beyond_one_batch(queued, django_capture_on_commit_callbacks):
    now = timezone.now()
    every_hour = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    make_feeds(1_234, next_run_at=now, interval=every_hour)
    with django_capture_on_commit_callbacks(execute=True):
        assert feeds_dispatch(now=now) == 1_234
    assert len(set(queued)) == 1_234


def test_crontab_schedules_give_the_next_matching_time():
    nightly = CrontabSchedule.objects.create(minute="30", hour="2", timezone="UTC")
    feed = Feed(crontab=nightly)
    moment = timezone.now().replace(hour=1, minute=0, second=0, microsecond=0)
    following = next_run_after(feed, moment)
    assert (following.hour, following.minute) == (2, 30)
    assert next_run_after(feed, following) - following == timedelta(days=1)
    mondays = CrontabSchedule.objects.create(minute="0", hour="9", day_of_week="1", timezone="Europe/Amsterdam")
    monday = next_run_after(Feed(crontab=mondays), moment)
    assert monday.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%A %H:%M") == "Monday 09:00"
    assert next_run_after(Feed(), moment) is None  # no schedule: run by hand only


def test_exactly_one_beat_entry_dispatches_feeds():
    entries = PeriodicTask.objects.filter(task="integrations.feeds_dispatch")
    assert entries.count() == 1
    assert entries.get().interval.every == 30
