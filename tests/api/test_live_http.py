"""The API over real HTTP on loopback (live_server + requests), as a production system calls it."""

from __future__ import annotations

import pytest
import requests

from printconnect.catalog.services import carrier_create, shipping_method_create, shipping_rate_create
from printconnect.orders.models import Order, OutboxEvent
from tests.factories.api import make_token
from tests.factories.clients import ClientFactory
from tests.factories.orders import received_order
from tests.factories.storefronts import make_store


@pytest.fixture
def http():
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: straight to loopback
    yield session
    session.close()


@pytest.mark.django_db(transaction=True)
def test_a_production_system_reads_moves_and_ships_an_order_when_calling_over_http(live_server, http):
    client = ClientFactory()
    store = make_store(client)
    order = received_order(store, ("p1", 1), external_id="live-1", number="L1")
    carrier = carrier_create(code="POSTNL", name="PostNL")
    method = shipping_method_create(code="STD-NL", name="Standard parcel", carrier=carrier)
    shipping_rate_create(method=method, country_group="NL", countries=["NL"], currency="EUR", price="4.95")
    _token, raw = make_token(client=client)
    base = f"{live_server.url}/api/v1"
    auth = {"Authorization": f"Bearer {raw}"}

    refused = http.get(f"{base}/orders/", timeout=10)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")

    listed = http.get(f"{base}/orders/", headers=auth, params={"status": "received"}, timeout=10).json()
    assert [row["number"] for row in listed["orders"]] == ["L1"]

    moved = http.post(f"{base}/orders/{order.pk}/status", json={"status": "in_production"}, headers=auth, timeout=10)
    assert moved.status_code == 200 and moved.json()["status"] == "in_production"
    printed = http.post(f"{base}/orders/{order.pk}/status", json={"status": "printed"}, headers=auth, timeout=10)
    assert printed.json()["status"] == "printed"
    # No CSRF token and no cookie: the bearer token is all the API needs.
    shipped = http.post(
        f"{base}/orders/{order.pk}/shipments",
        json={"tracking_number": "3SABC123", "carrier": "postnl"},
        headers={**auth, "Idempotency-Key": "live-parcel"},
        timeout=10,
    )
    assert shipped.status_code == 201, shipped.text
    assert shipped.json()["shipment"]["carrier"]["code"] == "POSTNL"
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert OutboxEvent.objects.filter(order=order, kind=OutboxEvent.Kind.SHIPMENT_CREATED).count() == 1

    rates = http.post(f"{base}/shipping-rates", json={"currency": "EUR", "country": "NL"}, headers=auth, timeout=10)
    assert rates.json()["methods"][0]["price"] == "4.95"
    assert http.get(f"{base}/openapi.json", timeout=10).json()["openapi"] == "3.1.0"
