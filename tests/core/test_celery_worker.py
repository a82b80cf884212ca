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
def real_worker(tmp_path, settings):
    """A worker thread consuming the configured broker, with eager mode off for the test's duration."""
    original = (app.conf.task_always_eager, dict(app.conf.broker_transport_options or {}))
    app.conf.task_always_eager = False
    if app.conf.broker_url.startswith("filesystem://"):
        folder = tmp_path / "broker"
        for name in ("queue", "processed", "control"):
            (folder / name).mkdir(parents=True)
        app.conf.broker_transport_options = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
        }
    else:
        app.control.purge()  # nothing left over from another run may reach this worker
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=["default"]):
            yield
    finally:
        app.conf.task_always_eager, app.conf.broker_transport_options = original[0], original[1]
        app.pool.force_close_all()


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
