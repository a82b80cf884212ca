"""Issue 5's postback figure: the outbox dispatcher delivering 10,000 events to a local receiver, against plain
`requests` POSTs of the same signed bodies to the same receiver (the baseline), in the same run.

The receiver is tests/outbox/receiver.py (a threaded HTTP server on 127.0.0.1 that checks every signature and
dedupes on the Idempotency-Key). Events belong to 1,000 orders (10 each), so the per-order ordering is in play.
The dispatcher figure covers everything it does: fan-out, claiming, signing, sending, one attempt row and one
status update per delivery, and recording each batch in one transaction.
"""

from __future__ import annotations

import argparse
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

import requests

TARGET_PER_SECOND = 200


def run(args: argparse.Namespace) -> None:
    from django.conf import settings
    from django.db import connection, connections
    from django.utils import timezone

    from printconnect.clients.models import Client
    from printconnect.integrations.models import OutboxDelivery
    from printconnect.integrations.services.outbox import (
        EVENT_HEADER,
        EVENT_ID_HEADER,
        IDEMPOTENCY_HEADER,
        SIGNATURE_HEADER,
        TIMESTAMP_HEADER,
        outbox_dispatch,
        postback_body,
        postback_signature_header,
        postback_subscription_create,
    )
    from printconnect.orders.models import Order, OutboxEvent
    from printconnect.storefronts.models import Store
    from tests.outbox.receiver import Receiver

    n_events, per_order = args.postback_events, 10
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the receiver is on loopback
    print(f"\nPostback dispatch on {connection.vendor}: {n_events} events of {n_events // per_order} orders")
    receiver = Receiver().start()
    try:
        client = Client.objects.create(name="Postback bench client")
        store = Store.objects.create(client=client, name="Postback bench store", webhook_token="postback-bench")
        subscription, secret = postback_subscription_create(
            client=client, url=receiver.url, events=["order.status_changed"]
        )
        receiver.secrets = [secret]
        placed = datetime(2026, 11, 1, tzinfo=UTC)
        orders = Order.objects.bulk_create(
            Order(
                store=store,
                client=client,
                external_id=str(i),
                number=f"B{i}",
                store_status="processing",
                financial_status="paid",
                placed_at=placed,
                currency="EUR",
                total=Decimal("10.00"),
                synced_at=placed,
            )
            for i in range(n_events // per_order)
        )
        now = timezone.now()
        OutboxEvent.objects.bulk_create(
            OutboxEvent(
                order=order,
                kind=OutboxEvent.Kind.STATUS_CHANGED,
                source="staff",
                created_at=now,
                payload={"order_id": order.pk, "order_number": order.number, "status": "in_production", "step": step},
            )
            for step in range(per_order)
            for order in orders
        )

        # Baseline: the same bodies, signed the same way, POSTed one after another with one kept-alive session.
        events = list(OutboxEvent.objects.filter(order__store=store).select_related("order", "order__store"))
        bodies = [(event, postback_body(event)) for event in events]
        session = requests.Session()
        start = time.perf_counter()
        for event, body in bodies:
            timestamp = int(time.time())
            session.post(
                receiver.url,
                data=body,
                headers={
                    "Content-Type": "application/json",
                    EVENT_HEADER: event.kind,
                    EVENT_ID_HEADER: str(event.pk),
                    IDEMPOTENCY_HEADER: str(event.pk),
                    TIMESTAMP_HEADER: str(timestamp),
                    SIGNATURE_HEADER: postback_signature_header(secrets_=[secret], timestamp=timestamp, body=body),
                },
                timeout=10,
            ).raise_for_status()
        baseline = time.perf_counter() - start
        session.close()
        assert all(all(r.signed_ok.values()) for r in receiver.receipts)
        receiver.clear()

        for dispatchers in (1, 2):
            if dispatchers == 2:  # again, with two dispatchers at once (as two workers would)
                OutboxDelivery.objects.all().delete()
                receiver.clear()
            start = time.perf_counter()

            def dispatch() -> None:
                try:
                    outbox_dispatch(budget_seconds=3600)
                finally:
                    connections.close_all()

            threads = [threading.Thread(target=dispatch) for _ in range(dispatchers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - start
            delivered = OutboxDelivery.objects.filter(subscription=subscription, status="delivered").count()
            in_order = all(
                receiver.order_sequence(order.pk) == sorted(receiver.order_sequence(order.pk), key=int)
                for order in orders[:50]
            )
            print(
                f"  dispatcher x{dispatchers}: {delivered} delivered in {elapsed:.1f} s = {delivered / elapsed:.0f} "
                f"events/s (target {TARGET_PER_SECOND}/s); plain requests POSTs {len(bodies) / baseline:.0f}/s; "
                f"ratio {elapsed / baseline:.2f}x; duplicates {receiver.duplicates()}; in order per order: {in_order}; "
                f"all signatures valid: {all(all(r.signed_ok.values()) for r in receiver.receipts)}"
            )
    finally:
        receiver.stop()
