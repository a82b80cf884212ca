"""The configured broker carries tasks: filesystem by default, Redis or RabbitMQ per CELERY_BROKER_URL."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from printconnect.celery import app
from printconnect.clients.services import invitation_create
from printconnect.core.permissions import Role
from tests.factories.clients import ClientFactory
from tests.factories.core import StaffFactory


@pytest.fixture
def real_worker():
    """A worker thread consuming the configured broker, with eager mode off for the test's duration.

    The queue is purged first so nothing left over from another run reaches this worker (tests keep their own
    var/test folders and database, apart from the demo's).
    """
    app.conf.task_always_eager = False
    app.control.purge()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=["default"]):
            yield
    finally:
        app.conf.task_always_eager = True


@pytest.mark.django_db(transaction=True)
def test_invitation_email_travels_through_the_broker_to_a_worker(real_worker, mailoutbox):
    invitation_create(
        client=ClientFactory(name="Broker Test Ltd"),
        email="via-broker@example.test",
        role=Role.ADMIN,
        actor=StaffFactory(),
        base_url="http://127.0.0.1:8000",
    )
    deadline = time.monotonic() + 20
    while not mailoutbox and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [m.to for m in mailoutbox] == [["via-broker@example.test"]]
    assert "Broker Test Ltd" in mailoutbox[0].subject
