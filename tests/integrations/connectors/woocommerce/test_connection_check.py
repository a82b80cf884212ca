"""WooCommerce's connection check over real HTTP on loopback: one exact message per way a connection goes wrong."""

from __future__ import annotations

import socket

import pytest

from printconnect.core.http import SafeSession
from printconnect.integrations.connectors.types import ConnectionConfig
from printconnect.integrations.connectors.woocommerce.connector import WooCommerceConnector
from tests.integrations import loopback_sites
from tests.integrations.loopback_sites import closed_port_url, site

KEYS = "WooCommerce > Settings > Advanced > REST API"


@pytest.fixture
def shop(sandbox, request):
    slug = f"check-{request.node.name.replace('_', '-')}"[:48].strip("-").lower()
    return sandbox.app.create_store(slug, name=slug)


def check(base_url: str, key: str = "ck_test", secret: str = "cs_test", **session_options):  # noqa: S107
    session = SafeSession(allow_private=True, max_retries=1, sleep=lambda seconds: None, **session_options)
    config = ConnectionConfig(base_url=base_url, credentials={"consumer_key": key, "consumer_secret": secret})
    return WooCommerceConnector(config, session=session).check_connection()


def test_check_names_the_version_when_the_key_reads_and_writes(shop, sandbox):
    result = check(sandbox.store_url(shop.slug), shop.consumer_key, shop.consumer_secret)
    assert (result.ok, result.message) == (True, "Connected to WooCommerce 8.9.0.")


def test_check_says_which_credential_woocommerce_refused_when_the_secret_is_wrong(shop, sandbox):
    result = check(sandbox.store_url(shop.slug), shop.consumer_key, "cs_wrong")
    assert not result.ok
    assert result.message == (
        f"WooCommerce refused the consumer key and secret (“Consumer secret is invalid.”); enter them again from "
        f"{KEYS} (a key with Read/Write permission)."
    )


def test_check_reports_a_refused_key_when_the_store_answers_401(shop, sandbox):
    shop.set_faults(unauthorized=True)
    result = check(sandbox.store_url(shop.slug), shop.consumer_key, shop.consumer_secret)
    assert not result.ok
    assert result.message.startswith("WooCommerce refused the consumer key and secret (“Consumer key is invalid.”)")


def test_check_asks_for_read_write_when_the_key_is_read_only(sandbox):
    shop = sandbox.app.create_store("check-read-only-key", key_permissions="read")
    result = check(sandbox.store_url(shop.slug), shop.consumer_key, shop.consumer_secret)
    assert (result.ok, result.missing_permissions) == (False, ("write",))
    assert result.message == (
        f"The consumer key can read but not write; in {KEYS} set the key's Permissions to Read/Write "
        "(or create a new Read/Write key), then enter it again."
    )


def test_check_explains_a_403_when_a_firewall_blocks_the_api():
    with site("firewall") as firewall:
        result = check(firewall.url)
    assert not result.ok
    assert result.message.startswith("WooCommerce answered 403 Forbidden: the key's WordPress user must be an ")
    assert "firewall or security plugin" in result.message


def test_check_says_there_is_no_woocommerce_when_a_plain_site_answers_html():
    with site("html") as plain:
        result = check(plain.url)
    assert not result.ok
    assert result.message == (
        "No WooCommerce REST API at this URL: /wp-json/wc/v3/system_status answered a page (text/html), not JSON; "
        "check the store URL is the WordPress site itself and that no login page, firewall or cache sits in front "
        "of /wp-json/."
    )
    assert plain.requests == ["GET /wp-json/wc/v3/system_status"]  # nothing written to a site that is not a shop


def test_check_says_there_is_no_woocommerce_when_wp_json_is_404():
    with site("html404") as missing:
        result = check(missing.url)
    assert result.message == (
        "No WooCommerce REST API at this URL (its /wp-json/ answered 404); check the store URL is the shop's home "
        "page and that WordPress permalinks are not set to “Plain”."
    )


def test_check_says_woocommerce_is_missing_when_wordpress_has_no_wc_routes():
    with site("wordpress") as wordpress:
        result = check(wordpress.url)
    assert result.message.startswith("No WooCommerce REST API at this URL: WordPress answers there, but without")


def test_check_refuses_json_that_is_not_woocommerce_system_status():
    with site("not_woo_json") as other_api:
        result = check(other_api.url)
    assert not result.ok
    assert "answered JSON that is not WooCommerce's system status" in result.message


def test_check_says_the_certificate_is_self_signed_when_tls_cannot_be_verified():
    with site("html", tls=True) as untrusted:
        result = check(untrusted.url)
    assert not result.ok
    assert result.message == (
        "The store's https certificate for 127.0.0.1 is self-signed, so it cannot be trusted; install a certificate "
        "from a public authority (for example Let's Encrypt) on the site, then try again."
    )


def test_check_says_the_site_does_not_speak_https_when_the_port_is_plain_http():
    with site("html") as plain:
        port = plain.url.rsplit(":", 1)[1]
        result = check(f"https://127.0.0.1:{port}")
    assert result.message == (
        f"The https connection to 127.0.0.1:{port} failed (wrong version number); check the store URL: the site "
        "may not serve https at this address or port."
    )


def test_check_says_nothing_answers_when_the_connection_is_refused():
    url = closed_port_url()
    result = check(url)
    assert result.message == (
        f"Nothing answers on {url.removeprefix('http://')} (connection refused); check the store URL (and its port) "
        "and that the site is online."
    )


def test_check_says_the_name_does_not_exist_when_dns_has_no_such_host(monkeypatch):
    loopback_sites.answer_invalid_names_with_nxdomain(monkeypatch)
    result = check("https://no-such-shop.invalid")
    assert result.message == "The name no-such-shop.invalid does not exist (DNS); check the store URL for typos."


def test_check_says_the_store_did_not_accept_the_connection_when_connecting_times_out():
    # A listening socket whose accept queue is full: the kernel drops further connection attempts, as a firewall does.
    with socket.socket() as full:
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        port = full.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        try:
            result = check(f"http://127.0.0.1:{port}", connect_timeout=0.3)
        finally:
            for filler in fillers:
                filler.close()
    assert result.message == (
        f"127.0.0.1:{port} did not accept a connection within 0.3 s; check the store URL (and its port), that the site "
        "is online and that no firewall drops printconnect's connections."
    )


def test_check_says_the_store_was_too_slow_when_it_times_out(shop, sandbox):
    shop.set_faults(slow_ms=1500)
    result = check(sandbox.store_url(shop.slug), shop.consumer_key, shop.consumer_secret, read_timeout=0.2)
    assert result.message == (
        "The store accepted the connection but did not answer within 0.2 s; the site may be overloaded: try again "
        "in a few minutes."
    )


def test_check_says_the_store_failed_on_its_side_when_it_answers_5xx(shop, sandbox):
    shop.set_faults(error_burst={"count": 5, "statuses": [500]})
    result = check(sandbox.store_url(shop.slug), shop.consumer_key, shop.consumer_secret)
    assert result.message == (
        "The store answered 500 (a server error); the site has a problem of its own; try again in a few minutes, or "
        "check the site's error log."
    )


@pytest.mark.parametrize(
    ("key", "secret", "message"),
    [
        ("cs_abc", "ck_abc", "The consumer key and secret are swapped: the key starts with ck_, the secret cs_."),
        (
            "abc",
            "cs_abc",
            f"A WooCommerce consumer key starts with ck_ and its secret with cs_; copy both from {KEYS}.",
        ),
    ],
)
def test_check_catches_keys_copied_from_the_wrong_place_before_calling_the_store(key, secret, message):
    with site("html") as never_called:
        result = check(never_called.url, key, secret)
        assert never_called.requests == []
    assert result.message == message
