"""The order endpoints: lists by keyset, scoping by token, the order's content, status changes, shipments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from printconnect.api.models import ApiIdempotencyKey, ApiToken
from printconnect.catalog.services import carrier_create
from printconnect.orders.models import Order, OrderStatusChange, OutboxEvent, Shipment
from printconnect.orders.printfiles import print_file_replace
from printconnect.orders.services import order_intake, order_status_change
from printconnect.orders.shipments import shipment_create
from tests.factories.api import make_token
from tests.factories.clients import ClientFactory
from tests.factories.orders import (
    catalog_product,
    line,
    order_data,
    received_order,
    shipping_method,
    store_defaults,
    store_product,
    variant_map,
)
from tests.factories.storefronts import make_store

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def _order(store, n: int, *, is_test: bool = False) -> Order:
    placed = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=n)
    order = received_order(store, ("p1", 2), external_id=f"{store.pk}-{n}", number=f"N{n}", placed_at=placed)
    if is_test:
        Order.objects.filter(pk=order.pk).update(is_test=True)
        order.refresh_from_db()
    return order


def _state() -> tuple:
    return (
        sorted(Order.objects.values_list("pk", "status", "updated_at")),
        OrderStatusChange.objects.count(),
        OutboxEvent.objects.count(),
        Shipment.objects.count(),
    )


def test_walking_all_pages_returns_every_order_once_when_following_next(api):
    client = ClientFactory()
    store = make_store(client)
    made = [_order(store, n).pk for n in range(7)]
    _token, raw = make_token(client=client)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = api.get(ORDERS, raw, **params).json()
        seen += [row["id"] for row in body["orders"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break
        assert body["next_url"].startswith(ORDERS) and "cursor=" in body["next_url"]
    assert pages == 3
    assert seen == sorted(made, reverse=True)  # newest first, each once


def test_list_is_refused_with_400_when_a_filter_is_bad(api):
    _token, raw = make_token(client=ClientFactory())
    cases = {
        "status": "shipped,lost",
        "limit": "101",
        "cursor": "not-a-cursor",
        "placed_since": "2026-11-01T00:00:00",  # no time zone
        "is_test": "maybe",
        "store": "x",
    }
    for name, value in cases.items():
        response = api.get(ORDERS, raw, **{name: value})
        assert response.status_code == 400, name
        assert name in response.json()["error"]["fields"], name


def test_list_filters_narrow_the_orders_when_given(api):
    client = ClientFactory()
    store, other_store = make_store(client), make_store(client)
    first, second = _order(store, 1), _order(store, 2)
    third = _order(other_store, 3)
    test_order = _order(store, 4, is_test=True)
    order_status_change(order=second, to_status=Order.Status.IN_PRODUCTION, source="staff")
    _token, raw = make_token(client=client)

    def ids(**params):
        return [row["id"] for row in api.get(ORDERS, raw, **params).json()["orders"]]

    assert ids(status="in_production") == [second.pk]
    assert ids(status="received,in_production", store=store.pk, is_test="false") == [second.pk, first.pk]
    assert ids(store=other_store.pk) == [third.pk]
    assert ids(is_test="true") == [test_order.pk]
    assert ids(placed_since="2026-11-01T02:30:00+00:00") == [test_order.pk, third.pk]
    Order.objects.filter(pk=first.pk).update(updated_at=datetime(2030, 1, 1, tzinfo=UTC))
    assert ids(updated_since="2029-12-31T00:00:00Z") == [first.pk]


def test_another_clients_order_answers_404_when_a_client_token_asks(api):
    a, b = ClientFactory(), ClientFactory()
    mine, theirs = _order(make_store(a), 1), _order(make_store(b), 2)
    _token, raw = make_token(client=a)
    assert [row["id"] for row in api.get(ORDERS, raw).json()["orders"]] == [mine.pk]
    assert api.get(f"{ORDERS}{theirs.pk}/", raw).status_code == 404
    before = _state()
    for path, body in ((f"{ORDERS}{theirs.pk}/status", {"status": "in_production"}),
                       (f"{ORDERS}{theirs.pk}/shipments", {"tracking_number": "X1"})):  # fmt: skip
        response = api.post(path, raw, body)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert _state() == before


def test_store_limited_token_sees_only_its_store_when_the_client_has_several(api):
    client = ClientFactory()
    store, other = make_store(client), make_store(client)
    mine, sibling = _order(store, 1), _order(other, 2)
    _token, raw = make_token(client=client, store=store)
    assert [row["id"] for row in api.get(ORDERS, raw).json()["orders"]] == [mine.pk]
    assert api.get(f"{ORDERS}{sibling.pk}/", raw).status_code == 404


def test_staff_token_sees_every_clients_orders_when_it_has_no_client(api):
    a_order, b_order = _order(make_store(ClientFactory()), 1), _order(make_store(ClientFactory()), 2)
    _token, raw = make_token()
    assert {row["id"] for row in api.get(ORDERS, raw).json()["orders"]} == {a_order.pk, b_order.pk}


def _order_with_print_file(store) -> Order:
    store_defaults(store, default_shipping_method=shipping_method())
    (variant,) = store_product(store, "pf-1").values()
    variant_map(variant, catalog_product("POSTER-A3", specs={"format": "A3"}), design_file_url="")
    order = order_intake(store=store, data=order_data("pf-1", line(product="pf-1", quantity=3))).order
    png = SimpleUploadedFile("art.png", b"\x89PNG\r\n\x1a\n" + bytes(64), content_type="image/png")
    print_file_replace(item=order.items.get(), actor=None, upload=png)
    order.refresh_from_db()
    assert order.status == Order.Status.RECEIVED, order.hold_detail
    return order


def test_order_detail_carries_items_files_and_history_when_asked(api):
    client = ClientFactory()
    store = make_store(client)
    order = _order_with_print_file(store)
    _token, raw = make_token(client=client)
    body = api.get(f"{ORDERS}{order.pk}/", raw).json()
    (item,) = body["items"]
    assert item["catalog_product"]["uid"] == "POSTER-A3"
    assert item["kind"] == "printable" and item["quantity"] == 3
    assert item["print_specs"] == {"format": "A3"}
    (print_file,) = item["print_files"]
    assert print_file["size"] == 72 and len(print_file["sha256"]) == 64
    assert print_file["content_type"] == "image/png"
    download = api.get(print_file["download_url"], raw)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")
    assert body["shipping_method"]["code"] == order.psp_shipping_method.code
    api.post(f"{ORDERS}{order.pk}/status", raw, {"status": "in_production"})
    change = api.get(f"{ORDERS}{order.pk}/", raw).json()["status_history"][-1]
    assert (change["from_status"], change["to_status"], change["source"]) == ("received", "in_production", "api")
    # Another client's token cannot download it.
    _other, other_raw = make_token(client=ClientFactory())
    assert api.get(print_file["download_url"], other_raw).status_code == 404


def test_status_change_is_recorded_as_the_api_token_when_allowed(api):
    client = ClientFactory()
    order = _order(make_store(client), 1)
    token, raw = make_token(client=client, name="Press room")
    response = api.post(f"{ORDERS}{order.pk}/status", raw, {"status": "in_production", "note": "Press 2"})
    assert response.status_code == 200
    assert response.json()["status"] == "in_production"
    change = OrderStatusChange.objects.filter(order=order).latest("pk")
    assert change.source == OrderStatusChange.Source.API and change.actor == token.created_by
    assert "Press 2" in change.note and "Press room" in change.note and token.prefix in change.note
    event = OutboxEvent.objects.filter(order=order).latest("pk")
    assert event.kind == OutboxEvent.Kind.STATUS_CHANGED and event.source == "api"
    assert event.payload["status"] == "in_production"


def test_status_change_is_refused_and_changes_nothing_when_not_allowed(api):
    client = ClientFactory()
    order = _order(make_store(client), 1)
    _token, raw = make_token(client=client)
    before = _state()
    response = api.post(f"{ORDERS}{order.pk}/status", raw, {"status": "delivered"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "transition_refused"
    assert error["allowed_statuses"] == ["on_hold", "in_production", "cancelled"]
    assert "in production" in error["message"]
    unknown = api.post(f"{ORDERS}{order.pk}/status", raw, {"status": "printing"})
    assert unknown.status_code == 422 and "status" in unknown.json()["error"]["fields"]
    assert "in_production" in unknown.json()["error"]["message"]
    assert _state() == before


def test_bad_bodies_are_refused_when_not_json(api):
    client = ClientFactory()
    order = _order(make_store(client), 1)
    _token, raw = make_token(client=client)
    path = f"{ORDERS}{order.pk}/status"
    before = _state()
    bad = api.post(path, raw, raw='{"status": "in_production",}')
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_json"
    assert api.post(path, raw, raw="[1]").status_code == 400
    form = api.post(path, raw, raw="status=in_production", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415
    assert _state() == before


def test_write_scope_is_needed_when_changing_status(api):
    client = ClientFactory()
    order = _order(make_store(client), 1)
    _token, raw = make_token(client=client, scopes=(ApiToken.Scope.ORDERS_READ,))
    before = _state()
    assert api.post(f"{ORDERS}{order.pk}/status", raw, {"status": "in_production"}).status_code == 403
    assert _state() == before


def test_shipment_gets_the_carrier_of_the_stores_rules_and_writes_an_outbox_row_when_added(api):
    client = ClientFactory()
    store = make_store(client)
    order = _order(store, 1)
    order_status_change(order=order, to_status=Order.Status.IN_PRODUCTION, source="staff")
    order_status_change(order=order, to_status=Order.Status.PRINTED, source="staff")
    dhl = carrier_create(code="DHLX", name="DHL", tracking_url_template="https://dhl.example/?n={tracking}")
    store.carrier_rules.create(position=0, pattern=r"^JJD\d+$", carrier=dhl)
    _token, raw = make_token(client=client)
    item = order.items.get()
    path = f"{ORDERS}{order.pk}/shipments"
    partial = api.post(path, raw, {"tracking_number": "JJD0001", "items": [{"item_id": item.pk, "quantity": 1}]})
    assert partial.status_code == 201, partial.content
    body = partial.json()
    assert body["shipment"]["carrier"] == {"code": "DHLX", "name": "DHL"}
    assert body["shipment"]["tracking_url"] == "https://dhl.example/?n=JJD0001"
    assert body["warning"] is None and body["order"]["status"] == "printed"
    rest = api.post(path, raw, {"tracking_number": "UNMATCHED-9"}).json()  # everything left; no rule, no default
    assert rest["shipment"]["items"] == [{"item_id": item.pk, "quantity": 1}]
    assert rest["shipment"]["carrier"] is None and "carrier" in rest["warning"]
    assert rest["order"]["status"] == "shipped"
    events = list(OutboxEvent.objects.filter(order=order, kind=OutboxEvent.Kind.SHIPMENT_CREATED).order_by("pk"))
    assert [event.payload["tracking_number"] for event in events] == ["JJD0001", "UNMATCHED-9"]
    assert all(event.source == "api" for event in events)


def test_shipment_is_refused_and_changes_nothing_when_its_input_is_wrong(api):
    client = ClientFactory()
    order = _order(make_store(client), 1)
    _token, raw = make_token(client=client)
    item = order.items.get()
    path = f"{ORDERS}{order.pk}/shipments"
    before = _state()
    cases = [
        ({}, "tracking_number"),
        ({"tracking_number": "T1", "carrier": "NOPE"}, "carrier"),
        ({"tracking_number": "T1", "items": [{"item_id": item.pk, "quantity": 5}]}, "items"),
        ({"tracking_number": "T1", "items": "all"}, "items"),
        ({"tracking_number": "T1", "shipped_at": "yesterday"}, "shipped_at"),
        ({"tracking_number": "T1", "tracking_url": "ftp://x"}, "tracking_url"),
    ]
    for body, field in cases:
        response = api.post(path, raw, body)
        assert response.status_code == 422, body
        assert field in response.json()["error"]["fields"], body
    # Shipping everything of a received order would make it shipped, which the flow does not allow yet: 409.
    conflict = api.post(path, raw, {"tracking_number": "T1"})
    assert conflict.status_code == 409 and "Move it on first" in conflict.json()["error"]["message"]
    assert _state() == before


def test_a_repeated_post_is_done_once_when_it_carries_the_same_idempotency_key(api):
    client = ClientFactory()
    order = _order(make_store(client), 1)
    order_status_change(order=order, to_status=Order.Status.IN_PRODUCTION, source="staff")
    _token, raw = make_token(client=client)
    path, key = f"{ORDERS}{order.pk}/shipments", {"Idempotency-Key": "parcel-1"}
    item = order.items.get()
    body = {"tracking_number": "P-1", "items": [{"item_id": item.pk, "quantity": 1}]}
    first = api.post(path, raw, body, headers=key)
    again = api.post(path, raw, body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Shipment.objects.filter(order=order).count() == 1
    assert OutboxEvent.objects.filter(order=order, kind=OutboxEvent.Kind.SHIPMENT_CREATED).count() == 1
    other = api.post(path, raw, {**body, "tracking_number": "P-2"}, headers=key)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert Shipment.objects.filter(order=order).count() == 1


def test_a_refused_post_keeps_no_idempotency_key_when_it_changes_nothing(api):
    client = ClientFactory()
    order = _order(make_store(client), 1)
    _token, raw = make_token(client=client)
    path, key = f"{ORDERS}{order.pk}/status", {"Idempotency-Key": "k-1"}
    assert api.post(path, raw, {"status": "delivered"}, headers=key).status_code == 409
    assert not ApiIdempotencyKey.objects.exists()
    assert api.post(path, raw, {"status": "in_production"}, headers=key).status_code == 200


def test_shipping_an_order_through_the_service_shows_in_the_api_when_read_back(api):
    client = ClientFactory()
    order = _order(make_store(client), 1)
    order_status_change(order=order, to_status=Order.Status.IN_PRODUCTION, source="staff")
    shipment_create(order=order, tracking_number="S-1", source="staff", items={order.items.get().pk: 1})
    _token, raw = make_token(client=client)
    (shipment,) = api.get(f"{ORDERS}{order.pk}/", raw).json()["shipments"]
    assert shipment["tracking_number"] == "S-1" and shipment["source"] == "staff"


def test_a_page_costs_the_same_queries_when_it_holds_many_orders(api, django_assert_max_num_queries):
    client = ClientFactory()
    store = make_store(client)
    for n in range(30):
        _order(store, n)
    _token, raw = make_token(client=client)
    api.get(ORDERS, raw, limit=1)  # the token's last use is noted on the first call of the minute
    # The token (1) and the page of orders with their stores (1); nothing per order.
    with django_assert_max_num_queries(2):
        assert len(api.get(ORDERS, raw, limit=30).json()["orders"]) == 30
