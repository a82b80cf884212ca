"""When a feed runs next, from its django-celery-beat schedule (interval or crontab)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from printconnect.integrations.connectors.base import Capability
from printconnect.integrations.models import Feed

_MAX_DAYS_AHEAD = 4 * 366

# The feeds a store is offered, by the connector capability each needs, with DESIGN section 5's default schedule:
# (every, period) of an IntervalSchedule, or None for "run once" (the first run is queued at once, then none).
FEED_DEFAULTS: dict[str, tuple[Capability, tuple[int, str] | None]] = {
    Feed.Kind.ORDERS_IMPORT: (Capability.ORDERS_PULL, (15, "minutes")),
    Feed.Kind.ORDERS_UPDATE: (Capability.ORDERS_PULL, (15, "minutes")),
    Feed.Kind.ORDERS_RETRY: (Capability.ORDERS_PULL, (1, "hours")),
    Feed.Kind.PRODUCTS_IMPORT: (Capability.PRODUCTS_PULL, (1, "hours")),
    Feed.Kind.PRODUCTS_UPDATE: (Capability.PRODUCTS_PULL, (1, "days")),
    Feed.Kind.IMAGES_IMPORT: (Capability.IMAGES_PULL, (1, "hours")),
    Feed.Kind.STOCK_IMPORT: (Capability.STOCK_PULL, None),
    Feed.Kind.STOCK_EXPORT: (Capability.STOCK_PUSH, (15, "minutes")),
}  # a crontab such as "29 February, a Monday" may be years away


def next_run_after(feed: Feed, moment: datetime) -> datetime | None:
    """The next time the feed is due after `moment`; None for a feed without a schedule (run by hand only)."""
    if feed.interval is not None:
        return moment + timedelta(**{feed.interval.period: feed.interval.every})
    if feed.crontab is not None:
        return next_crontab_time(feed.crontab, moment)
    return None


def next_crontab_time(crontab: object, moment: datetime) -> datetime | None:
    """The first minute strictly after `moment` matching the crontab, in the crontab's time zone, as UTC.

    celery's own estimate counts from the real clock, so it cannot answer "after this moment"; the crontab's parsed
    field sets can, walking whole days first so a sparse schedule costs a few hundred steps, not minutes of a year.
    """
    schedule = crontab.schedule  # celery's crontab: minute/hour/... parsed into sets of ints
    zone = ZoneInfo(str(crontab.timezone))
    local = moment.astimezone(zone).replace(second=0, microsecond=0)
    hours, minutes = sorted(schedule.hour), sorted(schedule.minute)
    for offset in range(_MAX_DAYS_AHEAD):
        day = (local + timedelta(days=offset)).date()
        if day.month not in schedule.month_of_year or day.day not in schedule.day_of_month:
            continue
        if (day.isoweekday() % 7) not in schedule.day_of_week:  # celery counts Sunday as 0
            continue
        for hour in hours:
            for minute in minutes:
                candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                if candidate > moment:
                    return candidate.astimezone(UTC)
    return None
