"""The inbound webhook endpoint: POST /webhooks/<platform>/<store token>/ (STYLE G.7).

Verify the signature on the raw body before anything is parsed, store the delivery once, answer at once, and
process it in a task (queued within a second by a batch task, so the request does not wait for the broker).
Stores do not wait for us: WooCommerce gives up on a slow endpoint and never retries.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

from printconnect.integrations.services import (
    webhook_deliveries_kick,
    webhook_delivery_record,
    webhook_store_for,
    webhook_verify,
)

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024  # a WooCommerce order with hundreds of lines is well under 1 MB


def _text(status: int, text: str = "") -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
def webhook_receive(request: HttpRequest, platform: str, store_token: str) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    if length < 0:
        return _text(400, "Content-Length is not a number.")
    if length > MAX_BODY_BYTES:  # refused before the body is read
        return _text(413, f"The body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB; printconnect refuses it.")
    store = webhook_store_for(platform=platform, token=store_token)
    if store is None:
        return _text(404)  # no detail: a guessed URL learns nothing
    body = request.body
    if not webhook_verify(store=store, headers=request.headers, body=body):
        logger.warning("integrations.webhook.bad_signature", extra={"store_id": store.pk})
        return _text(
            401,
            "The webhook signature does not match; check that the webhook's secret in the store is the one "
            "saved in printconnect for this store.",
        )
    _, created = webhook_delivery_record(store=store, headers=request.headers, body=body)
    if created:
        transaction.on_commit(webhook_deliveries_kick)
    return _text(200, "ok" if created else "ok (already received)")
