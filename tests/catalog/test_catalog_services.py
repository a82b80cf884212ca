"""The PSP catalog and shipping reference data: services refuse bad input with a message naming what to fix."""

from __future__ import annotations

from decimal import Decimal

import pytest

from printconnect.catalog import selectors, services
from printconnect.catalog.models import Carrier, CatalogProduct, ShippingMethod, ShippingRate
from printconnect.core.exceptions import ApplicationError

pytestmark = pytest.mark.django_db


def _product(uid: str = "BC-85x55", **kwargs) -> CatalogProduct:
    values = {"name": "Business cards", "kind": CatalogProduct.Kind.PRINTABLE, "print_specs": {"format": "85x55"}}
    return services.catalog_product_create(uid=uid, **{**values, **kwargs})


@pytest.fixture
def carrier() -> Carrier:
    return services.carrier_create(code="dhl", name="DHL", tracking_url_template="https://dhl.example/t?n={tracking}")


@pytest.fixture
def method(carrier: Carrier) -> ShippingMethod:
    return services.shipping_method_create(code="std-eu", name="Standard EU", carrier=carrier)


def test_catalog_product_create_stores_trimmed_uid_and_specs_when_valid():
    product = _product(" flyer_A5.v2 ", print_specs={" paper ": " 170 g silk ", "pages": 4})
    product.refresh_from_db()
    assert (product.uid, product.print_specs, product.active) == (
        "flyer_A5.v2",
        {"paper": "170 g silk", "pages": "4"},
        True,
    )


@pytest.mark.parametrize("uid", ["", "has space", "slash/uid", "ü-umlaut", "x" * 65, "semi;colon"])
def test_catalog_product_create_refuses_uid_when_malformed(uid):
    with pytest.raises(ApplicationError) as excinfo:
        _product(uid)
    assert excinfo.value.field == "uid"
    assert "UID" in excinfo.value.message
    assert not CatalogProduct.objects.exists()


def test_catalog_product_create_refuses_uid_when_taken_in_another_case():
    _product("BC-85x55")
    with pytest.raises(ApplicationError, match="already used by BC-85x55") as excinfo:
        _product("bc-85X55")
    assert excinfo.value.field == "uid"
    assert CatalogProduct.objects.count() == 1


def test_catalog_product_update_refuses_uid_of_another_product_in_any_case():
    _product("BC-1")
    other = _product("BC-2")
    with pytest.raises(ApplicationError, match="already used"):
        services.catalog_product_update(product=other, uid="bc-1", name="x", kind="printable", print_specs={})
    other.refresh_from_db()
    assert (other.uid, other.name) == ("BC-2", "Business cards")


@pytest.mark.parametrize(
    ("specs", "reason"),
    [
        (["format", "A4"], "name/value pairs"),
        ({"format": {"w": 210}}, "plain text value"),
        ({"finish": ["matt"]}, "plain text value"),
        ({"format": ""}, "a value, or remove it"),
        ({"": "A4"}, "not valid"),
        ({"bad:key": "A4"}, "not valid"),
        ({"format": "A4", "Format": "A5"}, "given twice"),
        ({"format": "x" * 201}, "200 characters"),
        ({"format": True}, "plain text value"),
    ],
)
def test_catalog_product_create_refuses_print_specs_when_not_a_flat_mapping_of_short_texts(specs, reason):
    with pytest.raises(ApplicationError, match=reason) as excinfo:
        _product(print_specs=specs)
    assert excinfo.value.field == "print_specs"
    assert not CatalogProduct.objects.exists()


def test_catalog_product_create_refuses_unknown_kind():
    with pytest.raises(ApplicationError, match="printable, stock"):
        _product(kind="digital")


def test_catalog_product_deactivate_keeps_the_row_and_reactivate_brings_it_back():
    product = _product()
    services.catalog_product_deactivate(product=product)
    assert CatalogProduct.objects.get(pk=product.pk).active is False
    assert list(selectors.catalog_products_list(active=False)) == [product]
    assert not selectors.catalog_products_list(active=True).exists()
    services.catalog_product_reactivate(product=product)
    assert CatalogProduct.objects.get(pk=product.pk).active is True


def test_catalog_products_list_searches_uid_and_name_and_filters_kind():
    _product("BC-1", name="Business cards")
    _product("MUG-1", name="White mug", kind=CatalogProduct.Kind.STOCK)
    assert [p.uid for p in selectors.catalog_products_list(search="mug")] == ["MUG-1"]
    assert [p.uid for p in selectors.catalog_products_list(search="bc-")] == ["BC-1"]
    assert [p.uid for p in selectors.catalog_products_list(kind="stock")] == ["MUG-1"]


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("https://dhl.example/track", "Put {tracking}"),
        ("ftp://dhl.example/{tracking}", "http:// or https://"),
        ("dhl.example/?n={tracking}", "http:// or https://"),
        ("javascript:alert({tracking})", "http:// or https://"),
    ],
)
def test_carrier_create_refuses_tracking_template_when_not_an_http_url_with_placeholder(template, reason):
    with pytest.raises(ApplicationError, match=reason) as excinfo:
        services.carrier_create(code="dhl", name="DHL", tracking_url_template=template)
    assert excinfo.value.field == "tracking_url_template"
    assert not Carrier.objects.exists()


def test_carrier_tracking_url_quotes_the_tracking_number(carrier):
    assert carrier.tracking_url("JD 01/2") == "https://dhl.example/t?n=JD%2001%2F2"
    assert services.carrier_create(code="own", name="Own van").tracking_url("1") == ""


def test_carrier_create_refuses_code_when_taken_in_another_case(carrier):
    with pytest.raises(ApplicationError, match="already used") as excinfo:
        services.carrier_create(code="DHL", name="DHL again")
    assert excinfo.value.field == "code"


def test_shipping_method_create_refuses_inactive_carrier(carrier):
    services.carrier_deactivate(carrier=carrier)
    with pytest.raises(ApplicationError, match="reactivate it first") as excinfo:
        services.shipping_method_create(code="std", name="Standard", carrier=carrier)
    assert excinfo.value.field == "carrier"
    assert Carrier.objects.get(pk=carrier.pk).active is False
    assert not ShippingMethod.objects.exists()


def test_shipping_method_deactivate_keeps_method_and_rates(method):
    services.shipping_rate_create(
        method=method, country_group="DACH", countries="DE, AT CH", currency="EUR", price="4.95"
    )
    services.shipping_method_deactivate(method=method)
    method.refresh_from_db()
    assert method.active is False and method.rates.get().countries == ["DE", "AT", "CH"]


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"countries": ["de"]}, "countries", "two upper-case letters"),
        ({"countries": ["DEU"]}, "countries", "two upper-case letters"),
        ({"countries": []}, "countries", "at least one"),
        ({"currency": "eur"}, "currency", "three upper-case letters"),
        ({"currency": "EURO"}, "currency", "three upper-case letters"),
        ({"price": "-0.01"}, "price", "cannot be negative"),
        ({"price": "abc"}, "price", "as a number"),
        ({"price": "1.999"}, "price", "2 decimal places"),
        ({"price": "NaN"}, "price", "as a number"),
        ({"country_group": ""}, "country_group", "country group name"),
    ],
)
def test_shipping_rate_create_refuses_bad_values(method, values, field, reason):
    data = {"country_group": "DACH", "countries": ["DE"], "currency": "EUR", "price": "4.95", **values}
    with pytest.raises(ApplicationError, match=reason) as excinfo:
        services.shipping_rate_create(method=method, **data)
    assert excinfo.value.field == field
    assert not ShippingRate.objects.exists()


def test_shipping_rate_create_refuses_same_group_and_currency_twice_and_a_country_in_two_groups(method):
    services.shipping_rate_create(
        method=method, country_group="DACH", countries=["DE", "AT"], currency="EUR", price="5"
    )
    with pytest.raises(ApplicationError, match="edit that rate instead"):
        services.shipping_rate_create(method=method, country_group="dach", countries=["CH"], currency="EUR", price="6")
    with pytest.raises(ApplicationError, match="AT already has a EUR price"):
        services.shipping_rate_create(method=method, country_group="Alps", countries=["AT"], currency="EUR", price="6")
    usd = services.shipping_rate_create(method=method, country_group="DACH", countries=["DE"], currency="USD", price=0)
    assert usd.price == Decimal("0.00")
    assert ShippingRate.objects.count() == 2


def test_shipping_rate_update_changes_nothing_when_refused(method):
    rate = services.shipping_rate_create(method=method, country_group="EU", countries=["FR"], currency="EUR", price="7")
    with pytest.raises(ApplicationError, match="cannot be negative"):
        services.shipping_rate_update(rate=rate, country_group="EU", countries=["FR"], currency="EUR", price="-1")
    rate.refresh_from_db()
    assert rate.price == Decimal("7.00")


def test_shipping_methods_list_prefetches_carrier_and_rates(method, django_assert_num_queries):
    for code in ("FR", "IT", "ES"):
        services.shipping_rate_create(method=method, country_group=code, countries=[code], currency="EUR", price="3")
    with django_assert_num_queries(2):
        rows = [(m.carrier.name, len(m.rates.all())) for m in selectors.shipping_methods_list()]
    assert rows == [("DHL", 3)]


def _insert_before_write(table: str, insert):
    """Runs `insert` once just before the service's INSERT/UPDATE of `table`: the race between the service's check
    and its write, replayed through the real database constraint. (The competing row shares the service's savepoint
    here, so it is rolled back with it; in a real race it is another request's, committed.)"""
    from django.db import connection

    done = []

    def wrapper(execute, sql, params, many, context):
        if not done and sql.lstrip().upper().startswith(("INSERT", "UPDATE")) and f'"{table}"' in sql:
            done.append(True)
            insert()
        return execute(sql, params, many, context)

    return connection.execute_wrapper(wrapper)


def test_carrier_create_refuses_code_when_taken_between_check_and_write():
    other = lambda: Carrier.objects.create(code="UPS", name="UPS")  # noqa: E731
    with _insert_before_write("catalog_carrier", other), pytest.raises(ApplicationError, match="just taken") as excinfo:
        services.carrier_create(code="ups", name="UPS twice")
    assert excinfo.value.field == "code"
    assert not Carrier.objects.filter(name="UPS twice").exists()


def test_shipping_method_update_refuses_code_taken_between_check_and_write_and_keeps_the_saved_values(method):
    other = lambda: ShippingMethod.objects.create(code="EXPRESS", name="Express", carrier=method.carrier)  # noqa: E731
    with _insert_before_write("catalog_shippingmethod", other), pytest.raises(ApplicationError, match="just taken"):
        services.shipping_method_update(
            method=method, code="express", name="Renamed", carrier=method.carrier, service_level="standard"
        )
    assert (method.code, method.name) == ("std-eu", "Standard EU")
    method.refresh_from_db()
    assert (method.code, method.name) == ("std-eu", "Standard EU")
