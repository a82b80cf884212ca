"""The Celery settings that keep a killed worker from losing work, and the delivery count that caps redelivery."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings

from printconnect.celery import app
from printconnect.core.deliveries import task_delivery_record
from printconnect.integrations.tasks import feed_run_task


def test_feed_runs_are_acknowledged_late_and_put_back_when_their_worker_dies():
    assert feed_run_task.acks_late and feed_run_task.reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    # Redis must not hand a live task to a second worker: its timeout exceeds the longest hold of a message.
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", float("inf")) > (
        settings.TASK_RETRY_COUNTDOWN_MAX + settings.CELERY_TASK_TIME_LIMIT
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CELERY_VISIBILITY_TIMEOUT": "3000"}, "CELERY_VISIBILITY_TIMEOUT (3000 s) must exceed"),
        ({"CELERY_TASK_SOFT_TIME_LIMIT": "2000"}, "CELERY_TASK_SOFT_TIME_LIMIT must be above 0 and below"),
        ({"FEED_RUN_STALE_AFTER_SECONDS": "1800"}, "FEED_RUN_STALE_AFTER_SECONDS must be below"),
    ],
)
def test_settings_refuse_to_load_when_limits_let_redis_run_a_task_twice(env, message, tmp_path):
    completed = subprocess.run(
        [sys.executable, "-c", "import printconnect.settings"],
        env={**os.environ, "PRINTCONNECT_VAR_DIR": str(tmp_path), "CELERY_BROKER_URL": "redis://127.0.0.1:1/0", **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert completed.returncode != 0
    assert "ImproperlyConfigured" in completed.stderr and message in completed.stderr


def test_a_delivery_counts_as_lost_when_the_same_attempt_comes_again():
    task_id = str(uuid.uuid4())
    first = task_delivery_record(task_id=task_id, retries=0)
    assert (first.attempt, first.lost) == (1, 0)
    again = task_delivery_record(task_id=task_id, retries=0)  # its worker died; the broker handed it out again
    assert (again.attempt, again.lost) == (2, 1)
    retried = task_delivery_record(task_id=task_id, retries=1)  # a retry is a new attempt, not a lost delivery
    assert (retried.attempt, retried.lost) == (1, 1)
    assert retried.first_at == first.first_at
    other = task_delivery_record(task_id=str(uuid.uuid4()), retries=0)
    assert (other.attempt, other.lost) == (1, 0)
