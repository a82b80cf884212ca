"""What staff change on a feed: its schedule, its switch, and "Run now"."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from zoneinfo import available_timezones

from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule
from django_celery_beat.validators import crontab_validator

from printconnect.core.exceptions import ApplicationError
from printconnect.core.models import User
from printconnect.integrations.models import Feed, FeedRun
from printconnect.integrations.schedules import next_run_after
from printconnect.integrations.tasks import feed_run_task

logger = logging.getLogger(__name__)

INTERVAL_PERIODS = ("minutes", "hours", "days")
# Faster than this would hammer the store's API for no gain: its own rate limits are per minute.
MIN_INTERVAL_MINUTES = 1


@dataclass(frozen=True)
class FeedSchedule:
    """One of: every N minutes/hours/days; a crontab (five fields, a time zone); or none (run by hand only)."""

    kind: str  # "interval", "crontab" or "none"
    every: int | None = None
    period: str = ""
    crontab: str = ""  # "minute hour day_of_month month_of_year day_of_week"
    timezone: str = "UTC"


@transaction.atomic
def feed_schedule_update(*, feed: Feed, schedule: FeedSchedule, enabled: bool, actor: User) -> Feed:
    """Set the feed's schedule (kept in django-celery-beat's models) and switch; the next run follows from them."""
    feed = Feed.objects.select_for_update().get(pk=feed.pk)
    feed.interval, feed.crontab = None, None
    if schedule.kind == "interval":
        if schedule.period not in INTERVAL_PERIODS:
            raise ApplicationError("Choose minutes, hours or days.", field="period")
        if schedule.every is None or schedule.every < 1:
            raise ApplicationError("Run it every 1 or more minutes, hours or days.", field="every")
        if schedule.period == "minutes" and schedule.every < MIN_INTERVAL_MINUTES:
            raise ApplicationError(f"Run it at most every {MIN_INTERVAL_MINUTES} minute.", field="every")
        feed.interval, _ = IntervalSchedule.objects.get_or_create(every=schedule.every, period=schedule.period)
    elif schedule.kind == "crontab":
        feed.crontab = _crontab(schedule)
    elif schedule.kind != "none":
        raise ApplicationError("Choose how often the feed runs.", field="kind")
    feed.enabled = enabled
    feed.next_run_at = next_run_after(feed, timezone.now()) if enabled else None
    feed.save(update_fields=["interval", "crontab", "enabled", "next_run_at", "updated_at"])
    logger.info("integrations.feed.schedule_changed", extra={"feed_id": feed.pk, "actor_id": actor.pk})
    return feed


def _crontab(schedule: FeedSchedule) -> CrontabSchedule:
    fields = schedule.crontab.split()
    if len(fields) != 5:
        raise ApplicationError(
            "Write the crontab as five fields: minute hour day-of-month month day-of-week, e.g. “0 3 * * *”.",
            field="crontab",
        )
    try:
        crontab_validator(" ".join(fields))
    except Exception as exc:  # django-celery-beat raises ValidationError or ValueError by field
        raise ApplicationError(
            f"That crontab is not valid: {exc}. Example: “*/30 6-22 * * 1-5”.", field="crontab"
        ) from exc
    if schedule.timezone not in available_timezones():
        raise ApplicationError("Choose a time zone such as UTC or Europe/Amsterdam.", field="timezone")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
        timezone=schedule.timezone,
    )
    return crontab


def feed_run_now(*, feed: Feed, actor: User) -> None:
    """Queue a run at once, whatever the schedule; the run page shows it when a worker takes it."""
    transaction.on_commit(lambda: feed_run_task.delay(feed.pk, FeedRun.Trigger.MANUAL))
    logger.info("integrations.feed.run_now", extra={"feed_id": feed.pk, "actor_id": actor.pk})


def schedule_of(feed: Feed) -> FeedSchedule:
    if feed.interval is not None:
        return FeedSchedule(kind="interval", every=feed.interval.every, period=feed.interval.period)
    if feed.crontab is not None:
        c = feed.crontab
        text = f"{c.minute} {c.hour} {c.day_of_month} {c.month_of_year} {c.day_of_week}"
        return FeedSchedule(kind="crontab", crontab=text, timezone=str(c.timezone))
    return FeedSchedule(kind="none")


def schedule_label(feed: Feed) -> str:
    """The schedule in words, for lists: "Every 15 minutes", "Cron 0 3 * * * (UTC)", "By hand only"."""
    schedule = schedule_of(feed)
    if schedule.kind == "interval":
        unit = schedule.period if schedule.every != 1 else schedule.period.rstrip("s")
        return f"Every {schedule.every} {unit}" if schedule.every != 1 else f"Every {unit}"
    if schedule.kind == "crontab":
        return f"Cron {schedule.crontab} ({schedule.timezone})"
    return "By hand only" if feed.kind != Feed.Kind.STOCK_IMPORT else "Once, then by hand"
