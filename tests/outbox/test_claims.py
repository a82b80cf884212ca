"""Claiming and recording deliveries: what the dispatcher's speed rests on (one statement to claim, FOR UPDATE SKIP
LOCKED on PostgreSQL, one UPDATE for a batch's delivered rows)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from printconnect.integrations.models import OutboxDelivery
from printconnect.integrations.services.outbox import (
    _claim,
    _Outcome,
    _record,
    outbox_fanout,
    postback_subscription_create,
)
from printconnect.orders.models import Order
from printconnect.orders.services import order_status_change
from tests.factories.clients import ClientFactory
from tests.factories.storefronts import make_store
from tests.outbox.conftest import make_order

D = OutboxDelivery.Status


def _postbacks_due(orders: int) -> list[OutboxDelivery]:
    store = make_store(ClientFactory())
    postback_subscription_create(client=store.client, url="http://127.0.0.1:9/hook", events=["order.status_changed"])
    for _ in range(orders):
        order_status_change(order=make_order(store), to_status=Order.Status.IN_PRODUCTION, source="staff")
    outbox_fanout()
    return list(OutboxDelivery.objects.filter(target=OutboxDelivery.Target.POSTBACK).order_by("pk"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="FOR UPDATE SKIP LOCKED is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_claim_takes_other_rows_without_waiting_when_another_dispatcher_holds_locks_on_postgresql():
    deliveries = _postbacks_due(4)
    held_ids = [d.pk for d in deliveries[:2]]
    locked, release = threading.Event(), threading.Event()

    def other_dispatcher() -> None:  # mid-claim: its rows locked, not committed yet
        try:
            with transaction.atomic():
                list(OutboxDelivery.objects.select_for_update().filter(pk__in=held_ids))
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=other_dispatcher)
    holder.start()
    assert locked.wait(10)
    claimed: list[OutboxDelivery] = []

    def claim() -> None:
        try:
            claimed.extend(_claim(limit=10, token="b" * 32, tried=set()) or [])
        finally:
            connections.close_all()

    claimer = threading.Thread(target=claim)
    claimer.start()
    claimer.join(5)  # without SKIP LOCKED it would wait for the other transaction
    waited = claimer.is_alive()
    release.set()
    holder.join(10)
    claimer.join(10)
    assert not waited
    assert sorted(d.pk for d in claimed) == [d.pk for d in deliveries[2:]]
    assert set(OutboxDelivery.objects.filter(claim_token="b" * 32).values_list("pk", flat=True)) == {
        d.pk for d in deliveries[2:]
    }


@pytest.mark.django_db
def test_two_claims_get_disjoint_rows_and_none_when_nothing_is_left_due():
    deliveries = _postbacks_due(5)
    first = _claim(limit=3, token="a" * 32, tried=set())
    second = _claim(limit=3, token="b" * 32, tried=set())
    assert [d.pk for d in first] == [d.pk for d in deliveries[:3]]
    assert [d.pk for d in second] == [d.pk for d in deliveries[3:]]
    assert _claim(limit=3, token="c" * 32, tried=set()) is None


@pytest.mark.django_db
def test_recording_a_batch_costs_the_same_queries_when_it_is_twenty_times_bigger(django_assert_max_num_queries):
    deliveries = _postbacks_due(20)
    claimed = _claim(limit=20, token="t" * 32, tried=set())
    assert len(claimed) == 20
    outcomes = [_Outcome(d, status_code=200, ok=True) for d in claimed]
    outcomes[-1] = _Outcome(claimed[-1], status_code=500, error="The receiver answered 500.")
    # savepoint, attempts insert, one UPDATE for the 19 delivered, one for the failure, release
    with django_assert_max_num_queries(5):
        _record(outcomes, token="t" * 32)
    rows = {d.pk: d for d in OutboxDelivery.objects.filter(pk__in=[d.pk for d in deliveries])}
    assert [rows[d.pk].status for d in deliveries] == [D.DELIVERED] * 19 + [D.RETRYING]
    assert all(row.attempts == 1 and row.claim_token == "" and row.claimed_until is None for row in rows.values())
    assert rows[deliveries[-1].pk].last_error == "The receiver answered 500."


@pytest.mark.django_db
def test_recording_leaves_a_delivery_alone_when_its_claim_went_to_another_dispatcher():
    (delivery,) = _postbacks_due(1)
    (claimed,) = _claim(limit=1, token="t" * 32, tried=set())
    OutboxDelivery.objects.filter(pk=delivery.pk).update(claim_token="u" * 32)  # expired and taken again
    _record([_Outcome(claimed, status_code=200, ok=True)], token="t" * 32)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.claim_token) == (D.PENDING, 0, "u" * 32)
