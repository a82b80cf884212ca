"""POST /webhooks/<platform>/<store token>/: verify on the raw body, store once, answer at once, process in a task.

Orders are fetched from the WooCommerce sandbox over HTTP, as in production; the webhook is only a hint.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging

import pytest

from printconnect.integrations.models import Feed, FeedRun, WebhookDelivery
from printconnect.integrations.services import feed_run_execute
from printconnect.orders.models import Order
from tests.integrations.webhooks.support import connect_shop, deliveries, post

pytestmark = pytest.mark.django_db


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_signed_order_created_imports_the_order_once_when_delivered(client, shop, run_on_commit):
    order_id = shop.paid_order_id()
    body, headers = shop.request("order.created", order_id)
    with run_on_commit():
        response = post(client, shop.url, body, headers)
    assert response.status_code == 200, response.content
    [delivery] = deliveries(shop.store)
    assert (delivery.status, delivery.attempts, delivery.topic, delivery.external_id) == (
        WebhookDelivery.Status.PROCESSED,
        1,
        "order.created",
        str(order_id),
    )
    assert delivery.processed_at is not None and "imported" in delivery.outcome
    order = Order.objects.get(store=shop.store)
    assert order.external_id == str(order_id)
    assert order.number == shop.remote.orders[order_id]["number"]
    assert shop.order_fetches(order_id) == 1  # fetched fresh from the store, not taken from the body


def test_the_same_delivery_twice_is_one_row_and_one_processing(client, shop, run_on_commit):
    order_id = shop.paid_order_id()
    body, headers = shop.request("order.created", order_id)
    with run_on_commit():
        first = post(client, shop.url, body, headers)
        second = post(client, shop.url, body, headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.content == b"ok (already received)"
    [delivery] = deliveries(shop.store)
    assert delivery.attempts == 1
    assert shop.order_fetches(order_id) == 1
    assert Order.objects.filter(store=shop.store).count() == 1


def test_a_duplicate_delivery_queues_nothing(client, shop, run_on_commit, published_tasks):
    body, headers = shop.request("order.created", shop.paid_order_id())
    with run_on_commit():
        assert post(client, shop.url, body, headers).status_code == 200
    with run_on_commit():
        assert post(client, shop.url, body, headers).status_code == 200
    [delivery] = deliveries(shop.store)
    assert published_tasks == [("integrations.webhook_deliveries_queue", (), "webhooks")]
    assert delivery.status == WebhookDelivery.Status.PENDING  # queued, not run: the answer did not wait


def test_a_burst_of_deliveries_costs_one_queueing_task_which_queues_each_once(
    client, shop, run_on_commit, published_tasks, settings
):
    settings.WEBHOOK_QUEUE_EVERY_SECONDS = 60
    from printconnect.integrations.services import webhook_deliveries_queue, webhooks

    webhooks._last_kick = 0.0
    for order_id in list(shop.remote.orders)[:3]:
        body, headers = shop.request("order.updated", order_id)
        with run_on_commit():
            assert post(client, shop.url, body, headers).status_code == 200
    stored = deliveries(shop.store)
    assert len(stored) == 3 and all(d.queued_at is None for d in stored)
    assert published_tasks == [("integrations.webhook_deliveries_queue", (), "webhooks")]
    with run_on_commit():
        assert webhook_deliveries_queue() == 3
    assert sorted(args for name, args, _ in published_tasks if name == "integrations.webhook_process") == sorted(
        (d.pk,) for d in stored
    )
    assert all(d.queued_at is not None for d in deliveries(shop.store))
    with run_on_commit():
        assert webhook_deliveries_queue() == 0  # queued once: a second sweep finds nothing


def test_two_deliveries_sharing_woocommerces_delivery_id_within_a_second_are_both_kept(client, shop, run_on_commit):
    # WooCommerce's delivery id is wp_hash(webhook id . current second): two orders in one second share it.
    with shop.remote.lock:
        paid = [
            oid for oid, r in sorted(shop.remote.orders.items()) if r["status"] == "processing" and r["date_paid_gmt"]
        ][:2]
    requests = [shop.request("order.created", oid) for oid in paid]
    shared_id = requests[0][1]["X-WC-Webhook-Delivery-ID"]
    with run_on_commit():
        for body, headers in requests:
            assert post(client, shop.url, body, {**headers, "X-WC-Webhook-Delivery-ID": shared_id}).status_code == 200
    assert len(deliveries(shop.store)) == 2
    assert set(Order.objects.filter(store=shop.store).values_list("external_id", flat=True)) == {str(o) for o in paid}


def test_webhook_then_poll_of_the_same_order_make_one_order(client, shop, run_on_commit):
    order_id = shop.paid_order_id()
    body, headers = shop.request("order.created", order_id)
    with run_on_commit():
        assert post(client, shop.url, body, headers).status_code == 200
    feed = Feed.objects.create(store=shop.store, kind=Feed.Kind.ORDERS_IMPORT)
    run = feed_run_execute(feed=feed, trigger=FeedRun.Trigger.MANUAL)
    assert run.status == FeedRun.Status.SUCCEEDED, run.log
    assert Order.objects.filter(store=shop.store, external_id=str(order_id)).count() == 1
    assert run.created == Order.objects.filter(store=shop.store).count() - 1  # the webhook's order was known


def test_poll_then_webhook_of_the_same_order_make_one_order(client, shop, run_on_commit):
    feed = Feed.objects.create(store=shop.store, kind=Feed.Kind.ORDERS_IMPORT)
    feed_run_execute(feed=feed, trigger=FeedRun.Trigger.MANUAL)
    before = Order.objects.filter(store=shop.store).count()
    order_id = shop.paid_order_id()
    body, headers = shop.request("order.updated", order_id)
    with run_on_commit():
        assert post(client, shop.url, body, headers).status_code == 200
    [delivery] = deliveries(shop.store)
    assert delivery.status == WebhookDelivery.Status.PROCESSED and "unchanged" in delivery.outcome
    assert Order.objects.filter(store=shop.store).count() == before
    assert Order.objects.filter(store=shop.store, external_id=str(order_id)).count() == 1


FORGERIES = {
    "missing": lambda body, sig, secret: (body, None),
    "empty": lambda body, sig, secret: (body, ""),
    "forged": lambda body, sig, secret: (body, base64.b64encode(b"x" * 32).decode()),
    "wrong secret": lambda body, sig, secret: (body, sign(body, secret + "x")),
    "body changed after signing": lambda body, sig, secret: (body.replace(b'"total"', b'"totaI"', 1), sig),
    "body appended after signing": lambda body, sig, secret: (body + b" ", sig),
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_bad_signature_answers_401_and_leaves_no_row_when_forged(client, shop, run_on_commit, caplog, forgery):
    body, headers = shop.request("order.created", shop.paid_order_id())
    forged_body, signature = FORGERIES[forgery](body, headers["X-WC-Webhook-Signature"], shop.remote.webhook_secret)
    headers = {k: v for k, v in headers.items() if k != "X-WC-Webhook-Signature"}
    if signature is not None:
        headers["X-WC-Webhook-Signature"] = signature
    caplog.set_level(logging.WARNING, logger="printconnect.integrations.webhooks")
    with run_on_commit():
        response = post(client, shop.url, forged_body, headers)
    assert response.status_code == 401
    assert b"secret" in response.content  # says what to check
    assert not WebhookDelivery.objects.exists()
    assert not Order.objects.exists()
    assert shop.order_fetches(shop.paid_order_id()) == 0
    [record] = [r for r in caplog.records if r.getMessage() == "integrations.webhook.bad_signature"]
    assert record.store_id == shop.store.pk
    logged = f"{record.getMessage()} {record.__dict__}"
    assert shop.remote.webhook_secret not in logged and (signature or "\0") not in logged


@pytest.mark.parametrize(
    "url",
    [
        "/webhooks/woocommerce/not-a-token/",
        "/webhooks/shopify/{token}/",  # right token, wrong platform
        "/webhooks/manual/{token}/",  # a platform without webhooks
        "/webhooks/nonsense/{token}/",
        "/webhooks/woocommerce/{token}x/",
        "/webhooks/woocommerce/" + "a" * 300 + "/",
    ],
)
def test_an_unknown_store_or_platform_answers_404_with_no_detail(client, shop, url):
    body, headers = shop.request("order.created", shop.paid_order_id())
    response = post(client, url.format(token=shop.store.webhook_token), body, headers)
    assert response.status_code == 404
    assert response.content == b""
    assert not WebhookDelivery.objects.exists()


def test_the_unsigned_ping_answers_200_and_is_ignored_never_an_order(client, shop, run_on_commit, load_sample):
    body, headers = shop.request(ping=True)
    assert body == load_sample("woocommerce", "webhook-ping-body.txt")  # the real ping's bytes
    with run_on_commit():
        response = post(client, shop.url, body, headers)
        again = post(client, shop.url, body, headers)
    assert (response.status_code, again.status_code) == (200, 200)
    [delivery] = deliveries(shop.store)
    assert (delivery.status, delivery.topic) == (WebhookDelivery.Status.IGNORED, "ping")
    assert "webhook 142" in delivery.outcome
    assert not Order.objects.exists()
    assert not [entry for entry in shop.remote.requests() if "/orders" in entry["path"]]


def test_an_unsigned_ping_cannot_claim_the_delivery_id_of_a_real_delivery(client, shop, run_on_commit):
    order_id = shop.paid_order_id()
    body, headers = shop.request("order.created", order_id)
    ping_body, ping_headers = shop.request(ping=True)
    claim = {**ping_headers, "X-WC-Webhook-Delivery-ID": headers["X-WC-Webhook-Delivery-ID"]}
    with run_on_commit():
        assert post(client, shop.url, ping_body, claim).status_code == 200
        assert post(client, shop.url, body, headers).status_code == 200
    assert len(deliveries(shop.store)) == 2
    assert Order.objects.filter(store=shop.store, external_id=str(order_id)).exists()


def test_only_platform_headers_are_stored_when_the_request_carries_others(client, shop):
    body, headers = shop.request("order.created", shop.paid_order_id())
    extra = {
        "Cookie": "sessionid=abc",
        "Authorization": "Basic c2VjcmV0",
        "X-Forwarded-For": "203.0.113.9",
        "X-WC-Webhook-Secret-Hint": "nope",
    }
    assert post(client, shop.url, body, {**headers, **extra}).status_code == 200
    [delivery] = deliveries(shop.store)
    stored = {name.lower(): value for name, value in delivery.headers.items()}
    assert stored["x-wc-webhook-topic"] == "order.created"
    assert stored["x-wc-webhook-delivery-id"] == headers["X-WC-Webhook-Delivery-ID"]
    assert stored["user-agent"].startswith("WooCommerce/")
    for name in ("cookie", "authorization", "x-forwarded-for", "x-wc-webhook-signature", "x-wc-webhook-secret-hint"):
        assert name not in stored
    assert headers["X-WC-Webhook-Signature"] not in str(delivery.headers)
    assert delivery.body.encode() == body


def test_other_methods_answer_405(client, shop):
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        response = client.generic(method, shop.url)
        assert response.status_code == 405, method
        assert response["Allow"] == "POST"


def test_a_body_over_2_mb_answers_413_before_it_is_read(client, shop):
    body = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    headers = {"Content-Type": "application/json", "X-WC-Webhook-Signature": sign(body, shop.remote.webhook_secret)}
    response = post(client, shop.url, body, headers)
    assert response.status_code == 413 and b"2 MB" in response.content
    assert not WebhookDelivery.objects.exists()


def test_the_endpoint_needs_no_csrf_token(shop):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    body, headers = shop.request(ping=True)
    assert post(strict, shop.url, body, headers).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_fires_a_signed_webhook_at_a_live_server_and_the_order_arrives(sandbox, live_server):
    shop = connect_shop(sandbox, "wh-live-server")
    order_id = shop.paid_order_id()
    result = sandbox.app.fire_webhook(
        shop.remote.slug, delivery_url=f"{live_server.url}{shop.url}", topic="order.created", resource_id=order_id
    )
    assert result["status"] == 200, result
    [delivery] = deliveries(shop.store)
    assert delivery.status == WebhookDelivery.Status.PROCESSED, delivery.outcome
    assert Order.objects.filter(store=shop.store, external_id=str(order_id)).count() == 1
    ping = sandbox.app.fire_webhook(shop.remote.slug, delivery_url=f"{live_server.url}{shop.url}", ping=True)
    assert ping["status"] == 200


def test_a_rotated_webhook_secret_is_used_at_once_when_the_store_is_saved(client, shop):
    old_body, old_headers = shop.request("order.created", shop.paid_order_id())
    assert post(client, shop.url, old_body, old_headers).status_code == 200  # the store is now known to this process
    shop.remote.webhook_secret = "rotated-secret-0123456789"
    shop.store.credentials = {**shop.store.credentials, "webhook_secret": shop.remote.webhook_secret}
    shop.store.save()
    new_body, new_headers = shop.request("order.updated", shop.paid_order_id())
    assert post(client, shop.url, new_body, new_headers).status_code == 200
    stale_signature = {**new_headers, "X-WC-Webhook-Signature": sign(new_body, "the old one")}
    assert post(client, shop.url, new_body, stale_signature).status_code == 401


def test_a_secret_changed_by_another_process_is_picked_up_within_the_recheck_interval(client, shop, monkeypatch):
    from printconnect.integrations.services import webhooks as webhook_services
    from printconnect.storefronts.models import Store

    body, headers = shop.request("order.created", shop.paid_order_id())
    assert post(client, shop.url, body, headers).status_code == 200
    # Another web process saved the new secret: this process's signal never fired.
    store = Store.objects.get(pk=shop.store.pk)
    store.credentials = {**store.credentials, "webhook_secret": "changed-elsewhere-0123456789"}
    Store.objects.filter(pk=store.pk).update(credentials_encrypted=store.credentials_encrypted)
    shop.remote.webhook_secret = "changed-elsewhere-0123456789"
    body, headers = shop.request("order.updated", shop.paid_order_id())
    assert post(client, shop.url, body, headers).status_code == 401  # read moments ago: not read again yet
    monkeypatch.setattr(webhook_services, "_RECHECK_AFTER", 0.0)
    assert post(client, shop.url, body, headers).status_code == 200


def test_a_deleted_store_answers_404_at_once(client, shop):
    body, headers = shop.request("order.created", shop.paid_order_id())
    assert post(client, shop.url, body, headers).status_code == 200
    WebhookDelivery.objects.filter(store=shop.store).delete()
    shop.store.delete()
    assert post(client, shop.url, body, headers).status_code == 404


def test_pings_with_made_up_webhook_ids_store_one_row_per_store(client, shop, run_on_commit):
    with run_on_commit():
        for webhook_id in range(1, 51):
            assert post(client, shop.url, f"webhook_id={webhook_id}".encode(), {}).status_code == 200
    assert [d.delivery_id for d in deliveries(shop.store)] == ["ping"]
