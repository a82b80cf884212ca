"""WooCommerce webhooks: signature check on the raw body, then parsing into a `WebhookEvent`.

Signature: `X-WC-Webhook-Signature` = base64(HMAC-SHA256(key=webhook secret, raw body)), compared in constant time
on the base64 text exactly as sent.

Ping: when a webhook is saved, WooCommerce POSTs an unsigned form body `webhook_id=<id>` (no signature, no topic).
`verify_webhook` accepts exactly that body (digits only, no signature header) so the endpoint answers 200 and
WooCommerce keeps the webhook active; `parse_webhook` turns it into `is_ping=True` with no resource, so it can
never be taken for an order. Every other body needs a valid signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from printconnect.integrations.connectors.errors import MappingError, UnsupportedTopicError
from printconnect.integrations.connectors.types import WebhookEvent
from printconnect.integrations.connectors.woocommerce.constants import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TOPIC_HEADER,
    WEBHOOK_TOPICS,
)
from printconnect.integrations.connectors.woocommerce.mapper import gmt_datetime

_PING_BODY = re.compile(rb"webhook_id=(\d{1,20})")
PING_TOPIC = "ping"


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup that works on plain dicts, Django's HttpHeaders and requests' headers."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == lowered), None)
    return value


def ping_webhook_id(body: bytes) -> str | None:
    match = _PING_BODY.fullmatch(body)
    return match.group(1).decode("ascii") if match else None


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def verify_webhook(headers: Mapping[str, str], body: bytes, *, secret: str) -> bool:
    given = header(headers, SIGNATURE_HEADER)
    if given is None:
        return ping_webhook_id(body) is not None
    if not secret:
        return False  # never accept a signature made with an empty key
    try:
        given_bytes = given.encode("ascii")
    except (UnicodeEncodeError, AttributeError):
        return False
    return hmac.compare_digest(signature(secret, body).encode("ascii"), given_bytes)


def parse_webhook(headers: Mapping[str, str], body: bytes, *, received_at: datetime | None = None) -> WebhookEvent:
    """Call only after `verify_webhook`. Raises UnsupportedTopicError (info) or MappingError (malformed)."""
    now = received_at or datetime.now(UTC)
    topic = header(headers, TOPIC_HEADER)
    delivery_id = header(headers, DELIVERY_HEADER) or None
    webhook_id = ping_webhook_id(body)
    if webhook_id is not None and header(headers, SIGNATURE_HEADER) is None:
        return WebhookEvent(
            topic=PING_TOPIC,
            external_id=None,
            occurred_at=now,
            delivery_id=delivery_id,
            payload={"webhook_id": webhook_id},
            is_ping=True,
        )
    if not topic:
        raise MappingError(TOPIC_HEADER, "missing header; the request did not come from a WooCommerce webhook")
    if topic not in WEBHOOK_TOPICS:
        raise UnsupportedTopicError(
            f"WooCommerce topic {topic!r} is not used by printconnect; remove that webhook in WooCommerce "
            "or ignore this notice."
        )
    try:
        payload: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MappingError("body", "not JSON") from exc
    if not isinstance(payload, dict):
        raise MappingError("body", f"expected a JSON object, got {type(payload).__name__}")
    raw_id = payload.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, int | str) or str(raw_id).strip() in ("", "0"):
        raise MappingError("id", "missing in webhook body")
    external_id = str(raw_id)
    occurred_at = gmt_datetime(payload.get("date_modified_gmt"), "date_modified_gmt", external_id) or now
    return WebhookEvent(
        topic=topic,
        external_id=external_id,
        occurred_at=occurred_at,
        delivery_id=delivery_id,
        payload=payload,
        is_ping=False,
    )
