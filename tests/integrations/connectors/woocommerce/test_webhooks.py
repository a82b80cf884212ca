"""WooCommerce webhooks: signatures on raw bytes, the unsigned ping, topics and delivery ids."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from datetime import UTC, datetime

import pytest

from printconnect.integrations.connectors.errors import MappingError, UnsupportedTopicError
from printconnect.integrations.connectors.types import ConnectionConfig, EventKind
from printconnect.integrations.connectors.woocommerce import WooCommerceConnector

SECRET = "whsec-test-secret"


@pytest.fixture
def connector():
    config = ConnectionConfig(
        base_url="https://shop.example",
        credentials={"consumer_key": "ck_1", "consumer_secret": "cs_1", "webhook_secret": SECRET},
    )
    return WooCommerceConnector(config, session=None)


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def order_headers(body: bytes, topic: str = "order.updated") -> dict[str, str]:
    return {
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Signature": sign(body),
        "X-WC-Webhook-Delivery-ID": "d-9001",
        "X-WC-Webhook-ID": "142",
    }


@pytest.fixture
def order_body(load_sample) -> bytes:
    return json.dumps(load_sample("woocommerce", "order.json")).encode()


def test_verify_webhook_accepts_valid_signature(connector, order_body):
    assert connector.verify_webhook(order_headers(order_body), order_body)


def test_verify_webhook_reads_headers_case_insensitively(connector, order_body):
    headers = {key.lower(): value for key, value in order_headers(order_body).items()}
    assert connector.verify_webhook(headers, order_body)


def test_verify_webhook_rejects_every_single_byte_mutation_of_body(connector, order_body):
    headers = order_headers(order_body)
    rng = random.Random(727)
    for position in rng.sample(range(len(order_body)), 300):
        mutated = bytearray(order_body)
        mutated[position] = (mutated[position] + rng.randint(1, 255)) % 256
        assert not connector.verify_webhook(headers, bytes(mutated)), position


def test_verify_webhook_rejects_every_single_byte_mutation_of_signature(connector, order_body):
    headers = order_headers(order_body)
    good = headers["X-WC-Webhook-Signature"]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= "
    tried = 0
    for position, original in enumerate(good):
        for replacement in alphabet:
            if replacement == original:
                continue
            forged = good[:position] + replacement + good[position + 1 :]
            assert not connector.verify_webhook({**headers, "X-WC-Webhook-Signature": forged}, order_body)
            tried += 1
    assert tried > 300
    assert not connector.verify_webhook({**headers, "X-WC-Webhook-Signature": good[:-1]}, order_body)
    assert not connector.verify_webhook({**headers, "X-WC-Webhook-Signature": good + "A"}, order_body)


def test_verify_webhook_rejects_missing_signature_when_body_is_json(connector, order_body):
    headers = order_headers(order_body)
    del headers["X-WC-Webhook-Signature"]
    assert not connector.verify_webhook(headers, order_body)


def test_verify_webhook_rejects_signature_made_with_another_secret(connector, order_body):
    headers = {**order_headers(order_body), "X-WC-Webhook-Signature": sign(order_body, "other")}
    assert not connector.verify_webhook(headers, order_body)


def test_verify_webhook_rejects_everything_when_secret_is_empty(order_body):
    config = ConnectionConfig(base_url="https://shop.example", credentials={"webhook_secret": ""})
    connector = WooCommerceConnector(config, session=None)
    headers = {**order_headers(order_body), "X-WC-Webhook-Signature": sign(order_body, "")}
    assert not connector.verify_webhook(headers, order_body)


def test_ping_is_verified_and_parsed_as_ping_when_unsigned(connector, load_sample):
    body = load_sample("woocommerce", "webhook-ping-body.txt")
    assert body == b"webhook_id=142"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert connector.verify_webhook(headers, body)
    event = connector.parse_webhook(headers, body)
    assert event.is_ping and event.external_id is None
    assert event.payload == {"webhook_id": "142"}


@pytest.mark.parametrize(
    "body",
    [b"webhook_id=142&x=1", b"webhook_id=", b"webhook_id=14a", b"webhook_id=142\n", b'{"webhook_id": 142}', b""],
)
def test_verify_webhook_rejects_unsigned_body_when_not_exactly_a_ping(connector, body):
    assert not connector.verify_webhook({}, body)


def test_parse_webhook_reads_topic_id_time_and_delivery(connector, order_body):
    event = connector.parse_webhook(order_headers(order_body), order_body)
    assert (event.topic, event.external_id, event.delivery_id, event.is_ping) == (
        "order.updated",
        "727",
        "d-9001",
        False,
    )
    assert event.occurred_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    assert connector.webhook_topics[event.topic] == EventKind.ORDER_CHANGED
    assert event.payload["number"] == "727"


def test_parse_webhook_reads_deleted_body_when_topic_is_deleted(connector):
    body = b'{"id": 5}'
    headers = order_headers(body, topic="order.deleted")
    assert connector.verify_webhook(headers, body)
    event = connector.parse_webhook(headers, body)
    assert (event.topic, event.external_id) == ("order.deleted", "5")
    assert connector.webhook_topics[event.topic] == EventKind.ORDER_DELETED
    assert event.occurred_at.tzinfo is not None


def test_parse_webhook_raises_unsupported_topic_when_topic_is_not_ours(connector):
    body = b'{"id": 5}'
    with pytest.raises(UnsupportedTopicError) as excinfo:
        connector.parse_webhook(order_headers(body, topic="customer.created"), body)
    assert excinfo.value.severity == "info"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"name": "no id"}'])
def test_parse_webhook_raises_mapping_error_when_body_is_malformed(connector, body):
    with pytest.raises(MappingError):
        connector.parse_webhook(order_headers(body), body)
