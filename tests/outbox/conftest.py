from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from printconnect.orders.models import Order
from printconnect.storefronts.models import Store
from tests.factories.orders import received_order
from tests.outbox.receiver import Receiver


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "workers: real Celery worker processes, or feed runs racing each other")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _outbox_settings(settings: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the receiver and the sandbox are on loopback
    settings.OUTBOX_RETRY_BASE_SECONDS = 0  # due again at once, so a test needs no clock
    settings.OUTBOX_KICK_EVERY_SECONDS = 0
    settings.OUTBOUND_BACKOFF_BASE = 0.01  # the connector's own retries (the sandbox store down) stay quick
    settings.OUTBOUND_BACKOFF_MAX = 0.05


_numbers = iter(range(10_000, 10**9))


def make_order(store: Store, *, lines: tuple[tuple[str, int], ...] = (("1", 2),), **fields: Any) -> Order:
    """A received order (its lines mapped, the store given a default shipping method); extra fields set on the row."""
    number = str(next(_numbers))
    order = received_order(store, *lines, external_id=fields.pop("external_id", number), number=number)
    if fields:
        Order.objects.filter(pk=order.pk).update(**fields)
        order.refresh_from_db()
    return order
