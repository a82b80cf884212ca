"""store_connect and store_credentials_update against the WooCommerce sandbox over HTTP: a store is saved only when
its connection check passes, with encrypted credentials and its feeds; a failed check saves nothing."""

from __future__ import annotations

import itertools
import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from printconnect.core.exceptions import ApplicationError
from printconnect.core.permissions import Role
from printconnect.integrations.models import Feed
from printconnect.integrations.services import connections, store_connect, store_credentials_update
from printconnect.integrations.services.connections import store_url_normalize
from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory
from tests.factories.core import StaffFactory
from tests.factories.storefronts import make_member, make_store
from tests.integrations import loopback_sites
from tests.integrations.loopback_sites import closed_port_url, site

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_allowed")]
next_shop_number = itertools.count(1).__next__  # one sandbox store per test, parametrized ones too
WOO = Store.Platform.WOOCOMMERCE


@pytest.fixture
def remote(sandbox, request):
    slug = f"conn-{next_shop_number()}"
    shop = sandbox.app.create_store(slug, name=slug, webhook_secret="whsec-connect-test")
    shop.url = sandbox.store_url(slug)
    return shop


@pytest.fixture
def client_a():
    return ClientFactory(name="Acme Prints")


def creds(shop, **changes) -> dict[str, str]:
    return {"consumer_key": shop.consumer_key, "consumer_secret": shop.consumer_secret, **changes}


def connect(client, url, credentials, name="Web shop"):
    return store_connect(
        client=client, platform=WOO, name=name, base_url=url, credentials=credentials, actor=StaffFactory()
    )


def nothing_saved() -> tuple[int, int]:
    return Store.objects.count(), Feed.objects.count()


# --- connecting ------------------------------------------------------------------------------------------------------


def test_connect_saves_the_store_in_test_mode_with_encrypted_credentials_and_its_feeds_when_the_check_passes(
    remote, client_a
):
    admin = make_member(client_a, Role.ADMIN)
    before = timezone.now()
    store = connect(client_a, remote.url + "/", creds(remote, webhook_secret=" whsec-connect-test "))
    assert store.connection_check.message == "Connected to WooCommerce 8.9.0."
    store = Store.objects.get(pk=store.pk)
    assert (store.platform, store.mode, store.base_url) == (WOO, Store.Mode.TEST, remote.url)
    assert store.credentials == creds(remote, webhook_secret="whsec-connect-test")
    assert before <= store.activation_date <= timezone.now()  # orders placed before connecting are not imported
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials_encrypted FROM storefronts_store WHERE id = %s", [store.pk])
        raw = cursor.fetchone()[0]
    assert remote.consumer_secret not in raw and remote.consumer_key not in raw
    kinds = set(Feed.objects.filter(store=store).values_list("kind", flat=True))
    assert Feed.Kind.ORDERS_IMPORT in kinds and len(kinds) == 8
    assert admin.has_perm("storefronts.change_store", store)


def test_connect_saves_nothing_and_says_why_when_the_store_answers_401(remote, client_a):
    remote.set_faults(unauthorized=True)
    with pytest.raises(ApplicationError) as excinfo:
        connect(client_a, remote.url, creds(remote))
    assert excinfo.value.message == (
        "WooCommerce refused the consumer key and secret (“Consumer key is invalid.”); enter them again from "
        "WooCommerce > Settings > Advanced > REST API (a key with Read/Write permission)."
    )
    assert nothing_saved() == (0, 0)


def test_connect_saves_nothing_when_the_key_is_read_only(sandbox, client_a):
    shop = sandbox.app.create_store("conn-read-only", key_permissions="read")
    with pytest.raises(ApplicationError, match="can read but not write"):
        connect(client_a, sandbox.store_url(shop.slug), creds(shop))
    assert nothing_saved() == (0, 0)


@pytest.mark.parametrize(
    ("page", "tls", "starts"),
    [
        ("html", False, "No WooCommerce REST API at this URL: /wp-json/wc/v3/system_status answered a page"),
        ("html404", False, "No WooCommerce REST API at this URL (its /wp-json/ answered 404)"),
        ("firewall", False, "WooCommerce answered 403 Forbidden: the key's WordPress user must be"),
        ("html", True, "The store's https certificate for 127.0.0.1 is self-signed, so it cannot be trusted"),
    ],
)
def test_connect_saves_nothing_when_the_site_is_not_a_reachable_woocommerce(client_a, page, tls, starts):
    with site(page, tls=tls) as other, pytest.raises(ApplicationError) as excinfo:
        connect(client_a, other.url, {"consumer_key": "ck_abc", "consumer_secret": "cs_abc"})
    assert excinfo.value.message.startswith(starts)
    assert nothing_saved() == (0, 0)


def test_connect_saves_nothing_when_nothing_listens_or_the_name_does_not_exist(client_a, monkeypatch):
    url = closed_port_url()
    with pytest.raises(ApplicationError, match=r"^Nothing answers on 127\.0\.0\.1:\d+ \(connection refused\)"):
        connect(client_a, url, {"consumer_key": "ck_abc", "consumer_secret": "cs_abc"})
    loopback_sites.answer_invalid_names_with_nxdomain(monkeypatch)
    with pytest.raises(ApplicationError) as excinfo:
        connect(client_a, "no-such-shop.invalid", {"consumer_key": "ck_abc", "consumer_secret": "cs_abc"})
    assert excinfo.value.message == "The name no-such-shop.invalid does not exist (DNS); check the store URL for typos."
    assert nothing_saved() == (0, 0)


def test_connect_gives_up_after_the_check_timeout_when_the_store_is_slow(remote, client_a, settings):
    settings.OUTBOUND_READ_TIMEOUT = 0.2
    remote.set_faults(slow_ms=1500)
    with pytest.raises(ApplicationError, match=r"^The store accepted the connection but did not answer within 0\.2 s"):
        connect(client_a, remote.url, creds(remote))
    assert nothing_saved() == (0, 0)


def test_connect_saves_nothing_when_creating_the_feeds_fails(remote, client_a, monkeypatch):
    def broken(*, store):
        raise RuntimeError("feeds could not be created")

    monkeypatch.setattr(connections, "feeds_ensure_for_store", broken)
    with pytest.raises(RuntimeError):
        connect(client_a, remote.url, creds(remote))
    assert nothing_saved() == (0, 0)  # the store and its feeds are one transaction


def test_connect_refuses_a_taken_name_or_a_shop_already_connected_before_calling_the_store(remote, client_a):
    connect(client_a, remote.url, creds(remote))
    make_store(client_a, name="Counter")
    remote.clear_requests()
    with pytest.raises(ApplicationError) as taken:
        connect(client_a, remote.url + "/wp-admin/", creds(remote), name="Another name")
    assert (taken.value.field, taken.value.message) == (
        "base_url",
        "Acme Prints already has this shop connected as “Web shop”; update that store's credentials instead of "
        "connecting it twice.",
    )
    with pytest.raises(ApplicationError) as named:
        connect(client_a, "https://other.example", creds(remote), name=" counter ")
    assert (named.value.field, named.value.message) == ("name", "Acme Prints already has a store called “counter”.")
    assert remote.requests() == []
    assert Store.objects.count() == 2


def test_connect_another_client_may_connect_the_same_shop(remote, client_a):
    connect(client_a, remote.url, creds(remote))
    connect(ClientFactory(), remote.url, creds(remote))
    assert Store.objects.filter(base_url=remote.url).count() == 2


@pytest.mark.parametrize(
    ("credentials", "field", "message"),
    [
        ({"consumer_key": " ", "consumer_secret": "cs_1"}, "consumer_key", "Enter the consumer key."),
        ({"consumer_key": "ck_1"}, "consumer_secret", "Enter the consumer secret."),
    ],
)
def test_connect_names_the_missing_credential_when_one_is_blank(client_a, credentials, field, message):
    with pytest.raises(ApplicationError) as excinfo:
        connect(client_a, "https://shop.example", credentials)
    assert (excinfo.value.field, excinfo.value.message) == (field, message)


def test_connect_refuses_a_platform_without_a_connector(client_a):
    with pytest.raises(ApplicationError, match="cannot connect Manual"):
        store_connect(
            client=client_a, platform=Store.Platform.MANUAL, name="x", base_url="https://shop.example",
            credentials={}, actor=StaffFactory(),
        )  # fmt: skip


def test_connect_logs_no_credential_when_it_succeeds_or_fails(remote, client_a, caplog):
    caplog.set_level(logging.DEBUG)
    connect(client_a, remote.url, creds(remote))
    with pytest.raises(ApplicationError):
        connect(client_a, remote.url, creds(remote, consumer_secret="cs_wrong-secret-value"), name="Second")
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "integrations.store.connected" in logged
    for secret in (remote.consumer_secret, remote.consumer_key, "cs_wrong-secret-value"):
        assert secret not in logged


# --- the store URL ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("shop.example.com", "https://shop.example.com"),
        ("  HTTPS://Shop.Example.com/  ", "https://shop.example.com"),
        ("https://shop.example.com/wp-admin/admin.php?page=wc-settings", "https://shop.example.com"),
        ("https://shop.example.com/store/wp-json/wc/v3", "https://shop.example.com/store"),
        ("https://shop.example.com:443/#top", "https://shop.example.com"),
        ("https://shop.example.com:8443/", "https://shop.example.com:8443"),
        ("https://bücher.example/", "https://xn--bcher-kva.example"),
        ("http://127.0.0.1:8100/woo/demo/", "http://127.0.0.1:8100/woo/demo"),
        ("http://localhost:8100", "http://localhost:8100"),
    ],
)
def test_store_url_normalize_keeps_the_shop_address_when_typed_loosely(typed, stored):
    assert store_url_normalize(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the store URL, for example https://shop.example.com."),
        ("ftp://shop.example.com", "The store URL must start with https:// (not ftp://); for example https://shop.example.com."),
        ("https://shop example.com", "The store URL contains spaces or a backslash; enter it as https://shop.example.com."),
        ("https://me:pw@shop.example.com", "Remove the user name and password from the store URL; the store is "
                                           "reached with its API keys."),
        ("https://shop.example.com:99999", "The port in the store URL must be a number from 1 to 65535; most "
                                           "shops need none."),
        ("https://shop!.example.com", "“shop!.example.com” is not a valid host name; check the store URL for typos."),
        ("https://myshop", "“myshop” is not a complete host name; enter the full address, for example https://shop.example.com."),
        ("http://shop.example.com", "The store URL must start with https://: shops accept API keys only over https."),
        ("https://", "The store URL has no host name; enter it as https://shop.example.com."),
    ],
)  # fmt: skip
def test_store_url_normalize_says_what_is_wrong_when_the_url_is_malformed(typed, message):
    with pytest.raises(ApplicationError) as excinfo:
        store_url_normalize(typed)
    assert (excinfo.value.field, excinfo.value.message) == ("base_url", message)


@pytest.mark.parametrize(
    "typed", ["http://127.0.0.1:8100/woo/x", "https://localhost", "https://10.1.2.3", "https://[::1]"]
)
def test_store_url_normalize_refuses_loopback_and_private_hosts_unless_allowed(settings, typed):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    with pytest.raises(ApplicationError, match="it is a loopback or private address; use the shop's public https"):
        store_url_normalize(typed)


def test_connect_refuses_a_malformed_url_without_saving(client_a):
    with pytest.raises(ApplicationError, match="must start with https://"):
        connect(client_a, "http://shop.example.com", {"consumer_key": "ck_1", "consumer_secret": "cs_1"})
    assert nothing_saved() == (0, 0)


# --- updating credentials ---------------------------------------------------------------------------------------------


def test_update_keeps_saved_secrets_when_their_fields_are_blank(remote, client_a):
    store = connect(client_a, remote.url, creds(remote, webhook_secret="whsec-connect-test"))
    store_credentials_update(
        store=store, credentials={"consumer_key": "", "consumer_secret": "", "webhook_secret": ""},
        actor=StaffFactory(),
    )  # fmt: skip
    assert Store.objects.get(pk=store.pk).credentials == creds(remote, webhook_secret="whsec-connect-test")


def test_update_saves_new_credentials_only_after_the_check_passes(sandbox, remote, client_a):
    store = connect(client_a, remote.url, creds(remote))
    with pytest.raises(ApplicationError, match="Consumer secret is invalid"):
        store_credentials_update(store=store, credentials={"consumer_secret": "cs_typo"}, actor=StaffFactory())
    assert Store.objects.get(pk=store.pk).credentials == creds(remote)

    moved = sandbox.app.create_store(f"{remote.slug[:40]}-moved")  # the shop moved, with new keys
    updated = store_credentials_update(
        store=store, base_url=sandbox.store_url(moved.slug), credentials=creds(moved), actor=StaffFactory()
    )
    assert updated.connection_check.ok
    saved = Store.objects.get(pk=store.pk)
    assert (saved.base_url, saved.credentials) == (sandbox.store_url(moved.slug), creds(moved))
    assert Feed.objects.filter(store=store).count() == 8  # feeds kept, none added twice


def test_update_keeps_everything_when_the_store_refuses_the_key(remote, client_a):
    store = connect(client_a, remote.url, creds(remote))
    Store.objects.filter(pk=store.pk).update(activation_date=timezone.now() - timedelta(days=3))
    remote.set_faults(unauthorized=True)
    with pytest.raises(ApplicationError, match="refused the consumer key"):
        store_credentials_update(store=store, credentials=creds(remote), base_url=remote.url, actor=StaffFactory())
    saved = Store.objects.get(pk=store.pk)
    assert (saved.base_url, saved.credentials) == (remote.url, creds(remote))
