"""Fixtures of the webhook tests: one sandbox per module, a connected shop per test, tasks caught at the broker."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from celery.signals import before_task_publish

from printconnect.celery import app as celery_app
from printconnect.sandbox.server import SandboxServer
from tests.integrations.webhooks.support import Shop, connect_shop

_shop_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _loopback(loopback_allowed: None) -> None:
    """Every webhook test reaches the sandbox (tests/conftest.py's `sandbox`, one per module)."""


@pytest.fixture
def shop(sandbox: SandboxServer, request: pytest.FixtureRequest) -> Shop:
    name = "".join(c if c.isalnum() else "-" for c in request.node.name.lower())
    return connect_shop(sandbox, f"wh{next(_shop_numbers)}-{name}"[:60].strip("-"))


@pytest.fixture
def published_tasks() -> Iterator[list[tuple[str, tuple[Any, ...], str]]]:
    """Eager mode off: tasks are published to the configured broker instead of run. Yields (task name, args,
    queue) of each message published; the queues are purged afterwards."""
    sent: list[tuple[str, tuple[Any, ...], str]] = []

    def record(sender: str | None = None, body: Any = None, routing_key: str = "", **kwargs: Any) -> None:
        sent.append((str(sender), tuple(body[0]), routing_key))

    celery_app.conf.task_always_eager = False
    before_task_publish.connect(record, weak=False)
    try:
        yield sent
    finally:
        before_task_publish.disconnect(record)
        celery_app.conf.task_always_eager = True
        with celery_app.connection_for_write() as connection:
            for queue in ("webhooks", "feeds"):
                connection.default_channel.queue_purge(queue)
