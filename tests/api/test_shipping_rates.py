"""Infigo checkout shipping rates: the print shop's methods for a country, in the currency asked, never converted."""

from __future__ import annotations

from decimal import Decimal

import pytest

from printconnect.api.models import ApiToken
from printconnect.catalog.services import (
    carrier_create,
    shipping_method_create,
    shipping_method_deactivate,
    shipping_rate_create,
)
from printconnect.orders.models import StoreShippingMethod
from printconnect.orders.services import order_intake
from tests.factories.api import make_token
from tests.factories.clients import ClientFactory
from tests.factories.orders import catalog_product, order_data, received_order
from tests.factories.storefronts import make_store

pytestmark = pytest.mark.django_db

RATES = "/api/v1/shipping-rates"


@pytest.fixture
def methods():
    postnl = carrier_create(code="POSTNL", name="PostNL")
    dhl = carrier_create(code="DHL", name="DHL Parcel")
    std = shipping_method_create(code="STD-NL", name="Standard parcel", carrier=postnl, service_level="standard")
    exp = shipping_method_create(code="EXP-24", name="Express next day", carrier=dhl, service_level="express")
    old = shipping_method_create(code="OLD", name="Retired", carrier=dhl)
    for method, group, countries, currency, price in [
        (std, "Netherlands", ["NL"], "EUR", "4.95"),
        (std, "EU", ["DE", "BE"], "EUR", "9.95"),
        (std, "UK", ["GB"], "GBP", "12.50"),
        (exp, "Netherlands", ["NL"], "EUR", "9.95"),
        (old, "Netherlands", ["NL"], "EUR", "1.00"),
    ]:
        shipping_rate_create(method=method, country_group=group, countries=countries, currency=currency, price=price)
    shipping_method_deactivate(method=old)
    return std, exp


def _rates_token(**kwargs):
    client = ClientFactory()
    return make_token(client=client, store=make_store(client), scopes=(ApiToken.Scope.SHIPPING_RATES,), **kwargs)


def test_rates_list_the_active_methods_for_the_country_cheapest_first_when_asked(api, methods):
    _token, raw = _rates_token()
    response = api.post(RATES, raw, {"currency": "EUR", "country": "NL", "postcode": "1011 AB"})
    assert response.status_code == 200
    body = response.json()
    assert [(m["code"], m["price"]) for m in body["methods"]] == [("STD-NL", "4.95"), ("EXP-24", "9.95")]
    first = body["methods"][0]
    assert first["delivery_method"] == "STD-NL" and first["carrier"] == {"code": "POSTNL", "name": "PostNL"}
    assert first["service_level"] == "standard" and first["currency"] == "EUR"
    assert body["postcode"] == "1011 AB" and body["message"] is None
    de = api.post(RATES, raw, {"currency": "eur", "country": "de"}).json()
    assert [(m["code"], m["price"], m["country_group"]) for m in de["methods"]] == [("STD-NL", "9.95", "EU")]


def test_rates_answer_the_same_when_asked_by_get_or_by_an_empty_post(api, client, methods):
    _token, raw = _rates_token()
    by_post = api.post(RATES, raw, {"currency": "GBP", "country": "GB"}).json()
    by_get = api.get(RATES, raw, currency="GBP", country="GB").json()
    assert by_get == by_post and by_get["methods"][0]["price"] == "12.50"
    empty = client.post(f"{RATES}?currency=GBP&country=GB", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert empty.status_code == 200 and empty.json() == by_post


def test_rates_are_refused_with_422_naming_the_currencies_when_none_is_in_that_currency(api, methods):
    _token, raw = _rates_token()
    response = api.post(RATES, raw, {"currency": "USD", "country": "NL"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "currency_not_offered" and error["currencies"] == ["EUR", "GBP"]
    assert "EUR, GBP" in error["message"] and "never converted" in error["message"]


def test_rates_are_empty_with_a_message_when_no_method_delivers_to_the_country(api, methods):
    _token, raw = _rates_token()
    body = api.post(RATES, raw, {"currency": "EUR", "country": "US"}).json()
    assert body["methods"] == [] and "US" in body["message"]


def test_rates_are_refused_with_422_when_a_field_is_bad(api, methods):
    catalog_product("POSTER-A3")
    _token, raw = _rates_token()
    cases = [
        ({"country": "NL"}, "currency"),
        ({"currency": "EURO", "country": "NL"}, "currency"),
        ({"currency": "EUR"}, "country"),
        ({"currency": "EUR", "country": "NLD"}, "country"),
        ({"currency": "EUR", "country": "NL", "items": [{"uid": "NOPE", "quantity": 1}]}, "items"),
        ({"currency": "EUR", "country": "NL", "items": [{"uid": "POSTER-A3", "quantity": 0}]}, "items"),
        ({"currency": "EUR", "country": "NL", "postcode": 1011}, "postcode"),
    ]
    for body, field in cases:
        response = api.post(RATES, raw, body)
        assert response.status_code == 422, body
        assert field in response.json()["error"]["fields"], body
    ok = api.post(RATES, raw, {"currency": "EUR", "country": "NL", "items": [{"uid": "poster-a3", "quantity": 2}]})
    assert ok.status_code == 200


def test_rates_need_a_token_with_the_shipping_rates_scope_when_called(api, methods):
    assert api.post(RATES, None, {"currency": "EUR", "country": "NL"}).status_code == 401
    _token, raw = make_token(client=ClientFactory(), scopes=(ApiToken.Scope.ORDERS_READ,))
    assert api.post(RATES, raw, {"currency": "EUR", "country": "NL"}).status_code == 403


def test_rates_keep_the_price_exact_when_it_has_cents(api, methods):
    std, _exp = methods
    std.rates.filter(currency="GBP").update(price=Decimal("0.10"))
    _token, raw = _rates_token()
    assert api.get(RATES, raw, currency="GBP", country="GB").json()["methods"][0]["price"] == "0.10"


def test_an_order_naming_an_offered_code_maps_back_when_a_store_token_asked_for_rates(api, methods):
    std, _exp = methods
    token, raw = _rates_token()
    store = token.store
    # The store already maps "EXP-24" its own way: that mapping is kept.
    StoreShippingMethod.objects.create(store=store, name="exp-24", shipping_method=std, last_seen_at=std.created_at)
    api.post(RATES, raw, {"currency": "EUR", "country": "NL"})
    api.post(RATES, raw, {"currency": "EUR", "country": "NL"})  # asked again: nothing added twice
    rows = dict(StoreShippingMethod.objects.filter(store=store).values_list("name", "shipping_method__code"))
    assert rows == {"STD-NL": "STD-NL", "exp-24": "STD-NL"}
    received_order(store, ("p1", 1), external_id="seed")  # the store gets products and a default method
    order = order_intake(store=store, data=order_data("infigo-1", shipping_method="std-nl")).order
    assert order.psp_shipping_method == std
