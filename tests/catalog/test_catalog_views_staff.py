"""Staff pages of the catalog, carriers and shipping methods: lists, forms with inline errors, deactivation, access."""

from __future__ import annotations

import pytest
from django.urls import reverse

from printconnect.catalog import services
from printconnect.catalog.models import Carrier, CatalogProduct, ShippingMethod, ShippingRate
from tests.factories.core import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


@pytest.fixture
def carrier():
    return services.carrier_create(code="dhl", name="DHL", tracking_url_template="https://dhl.example/{tracking}")


@pytest.fixture
def method(carrier):
    return services.shipping_method_create(code="std-eu", name="Standard EU", carrier=carrier)


def _product(uid, **kwargs):
    return services.catalog_product_create(uid=uid, name=kwargs.pop("name", f"Product {uid}"), **kwargs)


def test_product_list_searches_filters_and_hides_inactive_by_default(staff_client):
    _product("BC-1", name="Business cards", print_specs={"format": "85x55"})
    _product("MUG-1", name="White mug", kind="stock")
    services.catalog_product_deactivate(product=_product("OLD-1", name="Old flyer"))
    url = reverse("catalog:product_list")
    page = staff_client.get(url).content.decode()
    assert "BC-1" in page and "MUG-1" in page and "OLD-1" not in page and "format:" in page
    assert "BC-1" not in staff_client.get(url, {"q": "mug"}).content.decode()
    stock = staff_client.get(url, {"kind": "stock"}).content.decode()
    assert "MUG-1" in stock and "BC-1" not in stock
    inactive = staff_client.get(url, {"active": "inactive"}).content.decode()
    assert "OLD-1" in inactive and "BC-1" not in inactive
    assert "No catalog product matches" in staff_client.get(url, {"q": "nothing-like-it"}).content.decode()


def test_product_list_pages_keep_the_filters(staff_client, django_assert_max_num_queries):
    for number in range(30):
        _product(f"P-{number:02d}", kind="stock")
    with django_assert_max_num_queries(8):
        page = staff_client.get(reverse("catalog:product_list"), {"kind": "stock", "q": "P-"})
    assert "kind=stock&amp;q=P-&amp;page=2" in page.content.decode()
    second = staff_client.get(reverse("catalog:product_list"), {"kind": "stock", "q": "P-", "page": 2})
    assert "P-29" in second.content.decode() and "P-00" not in second.content.decode()


def test_product_create_parses_spec_lines_when_valid(staff_client):
    response = staff_client.post(
        reverse("catalog:product_create"),
        {
            "uid": "FLY-A5",
            "name": "Flyer A5",
            "kind": "printable",
            "print_specs": "format: A5\r\n\r\npaper: 170 g silk",
        },
    )
    assert response.status_code == 302
    assert CatalogProduct.objects.get(uid="FLY-A5").print_specs == {"format": "A5", "paper": "170 g silk"}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"uid": "bc-1"}, "uid", "already used by BC-1"),
        ({"uid": "has space"}, "uid", "is not valid"),
        ({"print_specs": "format: A5\nno colon here"}, "print_specs", "Line 2"),
        ({"print_specs": "format: A5\nFormat: A4"}, "print_specs", "given twice"),
        ({"print_specs": "format:"}, "print_specs", "a value, or remove it"),
    ],
)
def test_product_create_shows_errors_inline_and_creates_nothing_when_invalid(staff_client, data, field, message):
    _product("BC-1")
    post = {"uid": "NEW-1", "name": "New", "kind": "printable", "print_specs": "", **data}
    response = staff_client.post(reverse("catalog:product_create"), post)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert "invalid-feedback" in response.content.decode()
    assert CatalogProduct.objects.count() == 1


def test_product_edit_saves_and_keeps_the_row_unchanged_when_refused(staff_client):
    _product("BC-1")
    product = _product("BC-2", print_specs={"format": "A4"})
    url = reverse("catalog:product_edit", args=[product.pk])
    assert "format: A4" in staff_client.get(url).content.decode()
    refused = staff_client.post(url, {"uid": "BC-1", "name": "Renamed", "kind": "printable", "print_specs": ""})
    assert refused.status_code == 200 and "already used" in refused.content.decode()
    product.refresh_from_db()
    assert (product.uid, product.name) == ("BC-2", "Product BC-2")
    saved = staff_client.post(url, {"uid": "BC-2", "name": "Renamed", "kind": "stock", "print_specs": "pages: 8"})
    assert saved.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.kind, product.print_specs) == ("Renamed", "stock", {"pages": "8"})


def test_product_deactivate_asks_first_and_keeps_the_row(staff_client):
    product = _product("BC-1")
    page = staff_client.get(reverse("catalog:product_edit", args=[product.pk])).content.decode()
    assert 'data-confirm="Deactivate this product?' in page
    assert staff_client.get(reverse("catalog:product_deactivate", args=[product.pk])).status_code == 405
    response = staff_client.post(reverse("catalog:product_deactivate", args=[product.pk]), follow=True)
    assert "is inactive" in response.content.decode()
    assert CatalogProduct.objects.get(pk=product.pk).active is False
    staff_client.post(reverse("catalog:product_reactivate", args=[product.pk]))
    assert CatalogProduct.objects.get(pk=product.pk).active is True


def test_carrier_pages_create_list_refuse_bad_template_and_deactivate(staff_client):
    url = reverse("catalog:carrier_create")
    refused = staff_client.post(url, {"code": "ups", "name": "UPS", "tracking_url_template": "https://ups.example/t"})
    assert refused.status_code == 200 and "{tracking}" in refused.context["form"].errors["tracking_url_template"][0]
    assert not Carrier.objects.exists()
    created = staff_client.post(
        url, {"code": "ups", "name": "UPS", "tracking_url_template": "https://ups.example/{tracking}"}
    )
    assert created.status_code == 302
    carrier = Carrier.objects.get(code="ups")
    assert "UPS" in staff_client.get(reverse("catalog:carrier_list"), {"q": "up"}).content.decode()
    staff_client.post(reverse("catalog:carrier_deactivate", args=[carrier.pk]))
    assert Carrier.objects.get(pk=carrier.pk).active is False
    assert list(staff_client.get(reverse("catalog:carrier_list")).context["page"].object_list) == []


def test_method_create_then_add_rates_with_inline_errors(staff_client, carrier):
    created = staff_client.post(
        reverse("catalog:method_create"),
        {"code": "exp-de", "name": "Express DE", "carrier": carrier.pk, "service_level": "express"},
    )
    method = ShippingMethod.objects.get(code="exp-de")
    assert created.status_code == 302 and created.url == reverse("catalog:method_edit", args=[method.pk])
    rate_url = reverse("catalog:rate_create", args=[method.pk])
    bad = staff_client.post(rate_url, {"country_group": "DACH", "countries": "de, AT", "currency": "EUR", "price": "5"})
    assert bad.status_code == 200 and "two upper-case letters" in bad.context["rate_form"].errors["countries"][0]
    negative = staff_client.post(
        rate_url, {"country_group": "DACH", "countries": "DE", "currency": "EUR", "price": "-1"}
    )
    assert "cannot be negative" in negative.context["rate_form"].errors["price"][0]
    assert not ShippingRate.objects.exists()
    staff_client.post(rate_url, {"country_group": "DACH", "countries": "DE, AT", "currency": "EUR", "price": "9.50"})
    page = staff_client.get(reverse("catalog:method_list")).content.decode()
    assert "Express DE" in page and "DACH: 9.50 EUR" in page


def test_method_create_refuses_inactive_carrier(staff_client, carrier):
    services.carrier_deactivate(carrier=carrier)
    response = staff_client.post(
        reverse("catalog:method_create"), {"code": "x", "name": "X", "carrier": carrier.pk, "service_level": "standard"}
    )
    assert response.status_code == 200 and "carrier" in response.context["form"].errors
    assert not ShippingMethod.objects.exists()


def test_rate_edit_and_delete(staff_client, method):
    rate = services.shipping_rate_create(method=method, country_group="EU", countries=["FR"], currency="EUR", price=7)
    url = reverse("catalog:rate_edit", args=[method.pk, rate.pk])
    assert (
        staff_client.post(
            url, {"country_group": "EU", "countries": "FR, BE", "currency": "usd", "price": "7"}
        ).status_code
        == 200
    )
    rate.refresh_from_db()
    assert rate.currency == "EUR"
    staff_client.post(url, {"country_group": "EU", "countries": "FR, BE", "currency": "EUR", "price": "8"})
    rate.refresh_from_db()
    assert (rate.countries, str(rate.price)) == (["FR", "BE"], "8.00")
    staff_client.post(reverse("catalog:rate_delete", args=[method.pk, rate.pk]))
    assert not ShippingRate.objects.exists()


def test_method_deactivate_keeps_it_and_its_rates(staff_client, method):
    services.shipping_rate_create(method=method, country_group="EU", countries=["FR"], currency="EUR", price=7)
    staff_client.post(reverse("catalog:method_deactivate", args=[method.pk]))
    method.refresh_from_db()
    assert method.active is False and method.rates.count() == 1


PAGES = [
    ("catalog:product_list", False),
    ("catalog:product_create", False),
    ("catalog:product_edit", True),
    ("catalog:carrier_list", False),
    ("catalog:carrier_create", False),
    ("catalog:method_list", False),
    ("catalog:method_create", False),
]


@pytest.mark.parametrize(("name", "needs_pk"), PAGES)
def test_catalog_pages_are_staff_only(client, name, needs_pk):
    product = _product("BC-1")
    url = reverse(name, args=[product.pk] if needs_pk else [])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("account_login"))
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403


def test_non_staff_cannot_deactivate(client):
    product = _product("BC-1")
    client.force_login(UserFactory())
    assert client.post(reverse("catalog:product_deactivate", args=[product.pk])).status_code == 403
    assert CatalogProduct.objects.get(pk=product.pk).active is True


def test_sidebar_links_to_catalog_pages(staff_client):
    page = staff_client.get(reverse("catalog:carrier_list")).content.decode()
    for name in ("catalog:product_list", "catalog:method_list", "catalog:carrier_list"):
        assert f'href="{reverse(name)}"' in page


def test_a_bad_uid_and_bad_print_specs_are_shown_together(staff_client):
    client = staff_client
    response = client.post(
        reverse("catalog:product_create"),
        {"uid": "bad uid!", "name": "A3 poster", "kind": "printable", "print_specs": "paper 170 g"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "is not valid" in page and "has no &#x27;:&#x27;" in page
