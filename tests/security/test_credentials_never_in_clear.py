"""Store credentials never appear in plain text: not in a database dump, not in the logs of a sync run (every
logger at DEBUG, urllib3 included), not in any page staff or client users open, not in dumpdata's output."""

from __future__ import annotations

import io
import json
import logging
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from printconnect.core.permissions import Role
from printconnect.integrations.models import Feed, FeedRun, IntegrationEvent
from printconnect.integrations.services import feed_run_execute, feeds_ensure_for_store
from printconnect.sandbox.woocommerce import seed
from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory
from tests.factories.core import StaffFactory
from tests.factories.storefronts import make_member

WEBHOOK_SECRET = "whsec-never-shown-7f3a9c"

pytestmark = pytest.mark.usefixtures("loopback_allowed")


_STANDARD_RECORD_KEYS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        extra = {
            k: v for k, v in record.__dict__.items() if k not in logging.LogRecord("", 0, "", 0, "", (), None).__dict__
        }
        self.lines.append(f"{record.name} {record.getMessage()} {extra!r}")


@pytest.fixture
def all_logs() -> Iterator[_Capture]:
    capture = _Capture()
    root = logging.getLogger()
    saved = root.level, {name: logging.getLogger(name).level for name in ("urllib3", "printconnect", "django")}
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    for name in saved[1]:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield capture
    root.removeHandler(capture)
    root.setLevel(saved[0])
    for name, level in saved[1].items():
        logging.getLogger(name).setLevel(level)


def _database_dump() -> str:
    """What a backup holds: the whole database as the engine stores it."""
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump())
    if connection.vendor == "postgresql":
        pg_dump = shutil.which("pg_dump")
        assert pg_dump, "pg_dump is needed to check the PostgreSQL dump (Debian: postgresql-client)"
        params = connection.get_connection_params()
        command = [
            pg_dump,
            "--data-only",
            "-h",
            params.get("host") or "127.0.0.1",
            "-p",
            str(params.get("port") or 5432),
        ]
        command += ["-U", params.get("user") or "postgres", connection.settings_dict["NAME"]]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120).stdout
    pytest.fail(f"No dump check for the {connection.vendor} database engine.")


@pytest.mark.django_db(transaction=True)
def test_credentials_are_in_no_dump_log_or_page(sandbox, client, all_logs):
    remote = sandbox.app.create_store("leak-check", name="Leak check")
    seed.seed_store(remote, products=4, orders=30, seed=3)
    secrets = {
        "consumer key": remote.consumer_key,
        "consumer secret": remote.consumer_secret,
        "webhook secret": WEBHOOK_SECRET,
    }
    owner = ClientFactory(name="Leak Client")
    store = Store.objects.create(
        client=owner, name="Leak shop", platform=Store.Platform.WOOCOMMERCE, base_url=sandbox.store_url("leak-check")
    )
    store.credentials = {
        "consumer_key": remote.consumer_key,
        "consumer_secret": remote.consumer_secret,
        "webhook_secret": WEBHOOK_SECRET,
    }
    store.save()
    feeds_ensure_for_store(store=store)
    for feed in Feed.objects.filter(store=store):
        try:
            feed_run_execute(feed=feed, trigger=FeedRun.Trigger.MANUAL)
        except Exception:  # noqa: S112 - a feed failing is fine here; what it logs is what is checked
            continue
    remote.set_faults(unauthorized=True)  # an auth failure logs and records an event: neither may hold the key
    feed_run_execute(feed=Feed.objects.get(store=store, kind=Feed.Kind.ORDERS_IMPORT), trigger=FeedRun.Trigger.MANUAL)
    remote.set_faults(clear=True)
    assert IntegrationEvent.objects.filter(store=store, severity="error").exists()
    assert any("printconnect" in line or "urllib3" in line for line in all_logs.lines), "the capture saw nothing"

    dumps = {"database dump": _database_dump()}
    out = io.StringIO()
    call_command("dumpdata", "storefronts.store", stdout=out)
    dumps["dumpdata"] = out.getvalue()
    assert json.loads(dumps["dumpdata"])[0]["fields"]["credentials_encrypted"].startswith("gAAAAA")

    staff = StaffFactory(is_superuser=True)
    client.force_login(staff)
    run = FeedRun.objects.filter(feed__store=store).first()
    staff_pages = [
        reverse("staff_client_stores", args=[owner.pk]),
        reverse("integration:store", args=[store.pk]),
        reverse("integration:run_list"),
        reverse("integration:run_detail", args=[run.pk]),
        reverse("integration:event_list"),
        reverse("integration:event_list") + "?severity=&state=all",
        reverse("integration:feed_edit", args=[Feed.objects.filter(store=store).first().pk]),
        reverse("admin:storefronts_store_change", args=[store.pk]),
        reverse("admin:storefronts_store_changelist"),
        reverse("admin:integrations_feedrun_change", args=[run.pk]),
        reverse("admin:integrations_integrationevent_changelist"),
    ]
    pages = {url: client.get(url) for url in staff_pages}
    client.force_login(make_member(owner, Role.ADMIN))
    for url in (reverse("portal:store_detail", args=[store.pk]), reverse("portal:store_list")):
        pages[url] = client.get(url)
    for url, response in pages.items():
        assert response.status_code == 200, url
        dumps[f"page {url}"] = response.content.decode()
    dumps["logs of the sync runs"] = "\n".join(all_logs.lines)

    leaks = [f"{what} in {where}" for where, text in dumps.items() for what, value in secrets.items() if value in text]
    assert leaks == []


@pytest.mark.django_db
def test_dumpdata_then_loaddata_restores_the_credentials(tmp_path):
    store = Store.objects.create(client=ClientFactory(), name="Round trip", platform=Store.Platform.WOOCOMMERCE)
    store.credentials = {"consumer_secret": "cs_round_trip_secret"}
    store.save()
    fixture = tmp_path / "stores.json"
    call_command("dumpdata", "storefronts.store", output=str(fixture))
    assert "cs_round_trip_secret" not in fixture.read_text()
    Store.objects.filter(pk=store.pk).update(credentials_encrypted="")
    call_command("loaddata", str(fixture), verbosity=0)
    assert Store.objects.get(pk=store.pk).credentials == {"consumer_secret": "cs_round_trip_secret"}
