"""How often the broker has handed a task to a worker, so a task that keeps killing its workers can stop.

Late acknowledgement puts a task back whenever its worker process dies. That is what makes a killed worker lose
nothing, but a task that kills every worker running it (memory, a crash in native code, a record that hangs)
would go round for ever. Celery keeps no such count itself, so each delivery counts itself in the cache.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.core.cache import cache

logger = logging.getLogger(__name__)

# Longer than any task lives, retries included (TASK_RETRY_COUNTDOWN_MAX times max_retries, plus the runs).
COUNT_TTL = 3 * 24 * 60 * 60


@dataclass(frozen=True)
class Deliveries:
    attempt: int  # deliveries of this attempt (each retry is a new attempt): above 1, a worker died holding it
    lost: int  # deliveries of the task, all attempts together, whose worker died
    first_at: float  # when the task was first delivered (a Unix time)


def task_delivery_record(*, task_id: str, retries: int) -> Deliveries:
    """Count this delivery of the task (Celery's `self.request.id` and `.retries`) and say how many were lost.

    A retry is a new message under the same id, so the deliveries not explained by retries are the lost ones.
    The file-based cache counts without a lock; two deliveries of one task at once are rare enough (the counts
    only decide when to give up). A cache that is down counts nothing rather than stopping every task.
    """
    key = f"task-deliveries:{task_id}"
    try:
        cache.add(f"{key}:first", time.time(), COUNT_TTL)
        for name in (key, f"{key}:{retries}"):
            cache.add(name, 0, COUNT_TTL)
        total = cache.incr(key)
        attempt = cache.incr(f"{key}:{retries}")
        first_at = cache.get(f"{key}:first") or time.time()
    except Exception:  # any cache failure: count nothing, run the task
        logger.warning("core.deliveries.cache_unavailable: delivery of task %s not counted", task_id, exc_info=True)
        return Deliveries(attempt=1, lost=0, first_at=time.time())
    return Deliveries(attempt=attempt, lost=max(total - (retries + 1), 0), first_at=first_at)
