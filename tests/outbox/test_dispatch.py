"""The outbox dispatcher against a real receiver on loopback and the WooCommerce sandbox over HTTP."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from printconnect.catalog.models import Carrier
from printconnect.core.exceptions import ApplicationError
from printconnect.integrations.models import DeliveryAttempt, IntegrationEvent, OutboxDelivery
from printconnect.integrations.services.outbox import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    outbox_delivery_redeliver,
    outbox_dispatch,
    postback_signature,
    postback_subscription_create,
    postback_subscription_rotate_secret,
    postback_url_clean,
    postback_verify,
)
from printconnect.orders.models import Order, OutboxEvent, StoreOrderSettings
from printconnect.orders.services import order_status_change
from printconnect.orders.shipments import shipment_create
from printconnect.sandbox.woocommerce import seed
from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory
from tests.factories.storefronts import make_store
from tests.outbox.conftest import make_order

pytestmark = pytest.mark.django_db
S = Order.Status
D = OutboxDelivery.Status


@pytest.fixture
def store(db) -> Store:
    return make_store(ClientFactory())


def subscribe(store: Store, url: str, **kw):
    return postback_subscription_create(
        client=store.client, url=url, events=kw.pop("events", ["order.status_changed", "order.shipment_created"]), **kw
    )


def test_postbacks_arrive_signed_with_the_event_id_as_idempotency_key_when_the_receiver_is_up(store, receiver):
    subscription, secret = subscribe(store, receiver.url)
    receiver.secrets = [secret]
    order = make_order(store)
    order_status_change(order=order, to_status=S.IN_PRODUCTION, source="staff")
    result = outbox_dispatch()
    assert (result.fanned_out, result.delivered) == (1, 1)
    (receipt,) = receiver.receipts
    event = OutboxEvent.objects.get(order=order)
    assert receipt.headers["Idempotency-Key"] == str(event.pk) == receipt.event_id
    assert receipt.signed_ok == {secret: True}
    assert receipt.body["type"] == "order.status_changed" and receipt.body["data"]["status"] == S.IN_PRODUCTION
    delivery = OutboxDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts) == (D.DELIVERED, 1)
    attempt = delivery.attempts_log.get()
    assert attempt.status_code == 200 and attempt.latency_ms >= 0 and '"ok"' in attempt.response_excerpt
    # The store (manual) hears nothing and says why.
    assert OutboxDelivery.objects.get(event=event, destination="store").status == D.SKIPPED


def test_signature_verification_example_refuses_a_changed_body_a_wrong_secret_and_an_old_timestamp():
    body, now = b'{"id":"1"}', int(time.time())
    headers = {
        TIMESTAMP_HEADER: str(now),
        SIGNATURE_HEADER: f"v1={postback_signature(secret='s1', timestamp=now, body=body)}",
    }
    assert postback_verify(secret="s1", headers=headers, body=body)
    assert not postback_verify(secret="s1", headers=headers, body=b'{"id":"2"}')
    assert not postback_verify(secret="s2", headers=headers, body=body)
    assert not postback_verify(secret="s1", headers=headers, body=body, now=now + 301)
    # The exact format: hex HMAC-SHA256 over "<timestamp>.<body>".
    import hashlib
    import hmac

    assert headers[SIGNATURE_HEADER] == "v1=" + hmac.new(b"s1", f"{now}.".encode() + body, hashlib.sha256).hexdigest()


def test_receiver_down_for_a_while_then_up_gets_everything_in_order_per_order(store, receiver):
    subscribe(store, receiver.url)
    orders = [make_order(store) for _ in range(3)]
    receiver.status = 503
    for order in orders:
        for status in (S.IN_PRODUCTION, S.PRINTED, S.SHIPPED):
            order_status_change(order=order, to_status=status, source="staff")
    for _ in range(3):  # down: every try fails and is retried; later events of an order wait for the first
        result = outbox_dispatch()
        assert result.delivered == 0
    postbacks = OutboxDelivery.objects.filter(target="postback")
    assert set(postbacks.values_list("status", flat=True)) == {D.RETRYING, D.PENDING}
    # Only the first event of each order was tried.
    assert set(DeliveryAttempt.objects.values_list("delivery__event__payload__status", flat=True)) == {S.IN_PRODUCTION}
    receiver.status = 200
    outbox_dispatch()
    assert postbacks.filter(status=D.DELIVERED).count() == 9
    for order in orders:
        ids = [str(pk) for pk in OutboxEvent.objects.filter(order=order).order_by("pk").values_list("pk", flat=True)]
        assert receiver.order_sequence(order.pk) == ids
    assert receiver.duplicates() == 0


def test_a_delivery_gives_up_after_48_hours_with_an_error_and_no_longer_blocks_the_next(store, receiver, settings):
    subscribe(store, receiver.url)
    order = make_order(store)
    order_status_change(order=order, to_status=S.IN_PRODUCTION, source="staff")
    receiver.status = 500
    outbox_dispatch()
    OutboxEvent.objects.filter(order=order).update(created_at=timezone.now() - timedelta(hours=49))
    outbox_dispatch()
    delivery = OutboxDelivery.objects.get(target="postback")
    assert delivery.status == D.GAVE_UP and delivery.attempts == 2
    error = IntegrationEvent.objects.get(code="outbox.gave_up.postback")
    assert order.number in error.message and "Redeliver" in error.message
    receiver.status = 200
    order_status_change(order=order, to_status=S.PRINTED, source="staff")
    outbox_dispatch()
    assert [r.body["data"]["status"] for r in receiver.receipts] == [S.PRINTED]
    # Redeliver by hand sends it again, under the same key.
    redone = outbox_delivery_redeliver(delivery=delivery)
    assert redone.status == D.DELIVERED and redone.attempts_log.filter(manual=True).count() == 1
    assert receiver.receipts[-1].headers["Idempotency-Key"] == str(delivery.event_id)


def test_retries_back_off_exponentially(store, receiver, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    subscribe(store, receiver.url)
    order = make_order(store)
    order_status_change(order=order, to_status=S.IN_PRODUCTION, source="staff")
    receiver.status = 502
    waits = []
    for _ in range(3):
        before = timezone.now()
        OutboxDelivery.objects.filter(target="postback").update(next_attempt_at=before)
        outbox_dispatch()
        delivery = OutboxDelivery.objects.get(target="postback")
        waits.append(round((delivery.next_attempt_at - before).total_seconds() / 30))
    assert waits == [1, 2, 4]


def test_secret_rotation_signs_with_both_secrets_during_the_grace_period_then_only_the_new_one(
    store, receiver, settings
):
    subscription, old = subscribe(store, receiver.url)
    new = postback_subscription_rotate_secret(subscription=subscription)
    assert new != old and new.startswith("pcsec_")
    receiver.secrets = [old, new]
    order = make_order(store)
    order_status_change(order=order, to_status=S.IN_PRODUCTION, source="staff")
    outbox_dispatch()
    assert receiver.receipts[-1].signed_ok == {old: True, new: True}
    assert receiver.receipts[-1].headers[SIGNATURE_HEADER].count("v1=") == 2
    type(subscription).objects.filter(pk=subscription.pk).update(
        previous_secret_until=timezone.now() - timedelta(seconds=1)
    )
    order_status_change(order=order, to_status=S.PRINTED, source="staff")
    outbox_dispatch()
    assert receiver.receipts[-1].signed_ok == {old: False, new: True}
    # Encrypted at rest.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM integrations_postbacksubscription WHERE id = %s", [subscription.pk])
        assert new not in cursor.fetchone()[0]


def test_events_and_store_scope_choose_the_subscriptions(store, receiver):
    other_store = make_store(store.client)
    only_shipments, _ = subscribe(store, receiver.url, events=["order.shipment_created"])
    other, _ = postback_subscription_create(
        client=store.client, url=receiver.url, events=["order.status_changed"], store=other_store
    )
    order = make_order(store)
    order_status_change(order=order, to_status=S.IN_PRODUCTION, source="staff")
    outbox_dispatch()
    assert not OutboxDelivery.objects.filter(subscription__in=[only_shipments, other]).exists()
    assert receiver.receipts == []


def test_a_postback_url_must_be_https_and_public_except_loopback_in_tests(settings):
    assert postback_url_clean("https://erp.example.com/hook") == "https://erp.example.com/hook"
    assert postback_url_clean("http://127.0.0.1:9000/hook")  # tests allow loopback
    settings.OUTBOUND_ALLOW_PRIVATE, settings.DEBUG = False, False
    for url, message in [
        ("http://erp.example.com/hook", "https"),
        ("https://127.0.0.1/hook", "localhost"),
        ("https://10.0.0.5/hook", "private"),
        ("https://user:pw@erp.example.com/", "password"),
        ("erp.example.com", "https://"),
    ]:
        with pytest.raises(ApplicationError, match=message):
            postback_url_clean(url)


# --- store updates through the WooCommerce connector (sandbox over HTTP) -------------------------------------------


_shops = iter(range(1, 10**6))


@pytest.fixture
def woo(sandbox, store):
    slug = f"outbox-{next(_shops)}"
    remote = sandbox.app.create_store(slug, name="Outbox shop")
    seed.seed_store(remote, products=2, orders=3, seed=3)
    live = Store.objects.create(
        client=store.client, name=f"Woo {store.pk}", platform=Store.Platform.WOOCOMMERCE,
        base_url=sandbox.store_url(slug), mode=Store.Mode.PRODUCTION,
    )  # fmt: skip
    live.credentials = {"consumer_key": remote.consumer_key, "consumer_secret": remote.consumer_secret}
    live.save()
    return live, remote


def woo_order(live: Store, remote, **fields) -> Order:
    external = str(sorted(remote.orders)[len(Order.objects.filter(store=live))])
    return make_order(live, external_id=external, **fields)


def test_production_store_gets_its_status_and_tracking_through_the_connector(woo):
    live, remote = woo
    carrier = Carrier.objects.create(code="dhl", name="DHL", tracking_url_template="https://dhl.example/{tracking}")
    StoreOrderSettings.objects.create(store=live, default_carrier=carrier)
    order = woo_order(live, remote)
    for status in (S.IN_PRODUCTION, S.PRINTED):
        order_status_change(order=order, to_status=status, source="staff")
    shipment_create(order=order, tracking_number="JD0001", source="staff")
    outbox_dispatch()
    record = remote.orders[int(order.external_id)]
    assert record["status"] == "completed"
    notes = [note["note"] for note in remote.notes[int(order.external_id)]]
    assert any("JD0001" in note and "https://dhl.example/JD0001" in note for note in notes)
    store_rows = OutboxDelivery.objects.filter(store=live, target="store").order_by("pk")
    assert [(r.event.kind, r.status) for r in store_rows] == [
        ("order.status_changed", D.SKIPPED),  # in production: the store has no such status
        ("order.status_changed", D.SKIPPED),  # printed
        ("order.shipment_created", D.DELIVERED),
        ("order.status_changed", D.DELIVERED),  # shipped -> completed
    ]


@pytest.mark.parametrize("case", ["test_mode", "test_order", "from_store"])
def test_the_store_hears_nothing_in_test_mode_for_test_orders_and_for_its_own_changes(woo, case):
    live, remote = woo
    if case == "test_mode":
        Store.objects.filter(pk=live.pk).update(mode=Store.Mode.TEST)
    order = woo_order(live, remote, is_test=case == "test_order")
    remote.clear_requests()
    order_status_change(order=order, to_status=S.CANCELLED, source="store" if case == "from_store" else "staff")
    outbox_dispatch()
    delivery = OutboxDelivery.objects.get(store=live, target="store")
    assert delivery.status == D.SKIPPED and not delivery.attempts_log.exists()
    expected = {"test_mode": "test mode", "test_order": "test order", "from_store": "from the store"}[case]
    assert expected in delivery.note
    assert remote.orders[int(order.external_id)]["status"] != "cancelled"
    assert remote.requests() == []
    with pytest.raises(ApplicationError, match="skipped"):
        outbox_delivery_redeliver(delivery=delivery)


def test_a_store_that_is_down_is_retried_and_updated_once_back(woo):
    live, remote = woo
    order = woo_order(live, remote)
    remote.set_faults(error_burst={"count": 50, "statuses": [503]})
    order_status_change(order=order, to_status=S.CANCELLED, source="staff")
    outbox_dispatch()
    delivery = OutboxDelivery.objects.get(store=live, target="store")
    assert delivery.status == D.RETRYING and delivery.last_error
    remote.clear_faults()
    outbox_dispatch()
    delivery.refresh_from_db()
    assert delivery.status == D.DELIVERED
    assert remote.orders[int(order.external_id)]["status"] == "cancelled"


def test_the_postback_body_is_json_with_the_event(store, receiver):
    subscribe(store, receiver.url)
    order = make_order(store, is_test=True)
    order_status_change(order=order, to_status=S.CANCELLED, source="portal", note="Customer asked")
    outbox_dispatch()
    body = receiver.receipts[0].body
    assert body["test"] is True and body["source"] == "portal" and body["store"]["id"] == store.pk
    assert body["data"]["note"] == "Customer asked" and json.dumps(body)
