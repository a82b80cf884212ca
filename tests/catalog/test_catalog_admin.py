"""The web admin lists and edits the catalog, carriers and shipping methods; the catalog imports and exports."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from printconnect.catalog import services
from printconnect.catalog.models import CatalogProduct, ShippingMethod
from tests.factories.core import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


@pytest.fixture
def rows():
    product = services.catalog_product_create(uid="BC-1", name="Business cards", print_specs={"format": "85x55"})
    carrier = services.carrier_create(code="dhl", name="DHL", tracking_url_template="https://dhl.example/{tracking}")
    method = services.shipping_method_create(code="std", name="Standard", carrier=carrier)
    services.shipping_rate_create(method=method, country_group="DACH", countries=["DE"], currency="EUR", price="4.95")
    return {"catalogproduct": product, "carrier": carrier, "shippingmethod": method}


@pytest.mark.parametrize("model", ["catalogproduct", "carrier", "shippingmethod"])
def test_admin_pages_open_and_offer_no_delete_when_rows_exist(superuser_client, rows, model):
    changelist = superuser_client.get(
        reverse(f"admin:catalog_{model}_changelist"),
        {"q": str(rows[model].code if model != "catalogproduct" else "BC-1")},
    )
    assert changelist.status_code == 200
    assert b"delete_selected" not in changelist.content
    change = superuser_client.get(reverse(f"admin:catalog_{model}_change", args=[rows[model].pk]))
    assert change.status_code == 200
    assert b"deletelink" not in change.content
    assert superuser_client.get(reverse(f"admin:catalog_{model}_add")).status_code == 200


def test_shipping_method_page_shows_its_rates_inline(superuser_client, rows):
    page = superuser_client.get(reverse("admin:catalog_shippingmethod_change", args=[rows["shippingmethod"].pk]))
    assert b"DACH" in page.content and b"4.95" in page.content


def test_catalog_product_changelist_offers_import_and_export(superuser_client, rows):
    page = superuser_client.get(reverse("admin:catalog_catalogproduct_changelist"))
    assert reverse("admin:catalog_catalogproduct_import").encode() in page.content
    assert reverse("admin:catalog_catalogproduct_export").encode() in page.content
    assert superuser_client.get(reverse("admin:catalog_catalogproduct_import")).status_code == 200


def test_admin_form_refuses_bad_uid_and_specs(superuser_client, rows):
    response = superuser_client.post(
        reverse("admin:catalog_catalogproduct_add"),
        {"uid": "bc-1", "name": "Copy", "kind": "printable", "print_specs": '{"format": ["A4"]}', "active": "on"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "already used" in errors["uid"][0] and "plain text value" in errors["print_specs"][0]
    assert CatalogProduct.objects.count() == 1


def test_catalog_import_matches_uid_in_any_case_and_reports_bad_rows(superuser_client, rows):
    csv = (
        'uid,name,kind,print_specs,active\r\nbc-1,Cards v2,printable,"{""format"": ""85x55""}",1\r\n'
        "bad uid,X,printable,{},1\r\n"
    )
    response = superuser_client.post(
        reverse("admin:catalog_catalogproduct_import"),
        {"format": "0", "resource": "0", "import_file": SimpleUploadedFile("c.csv", csv.encode(), "text/csv")},
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert result.has_validation_errors()
    assert [row.import_type for row in result.valid_rows()] == ["update"]  # bc-1 is BC-1, not a new product
    assert "not valid" in str(result.invalid_rows[0].error_dict["uid"])
    assert CatalogProduct.objects.get().name == "Business cards"  # a dry run: nothing changes


def test_admin_shipping_method_form_refuses_bad_code_and_rate_values(superuser_client, rows):
    carrier = rows["carrier"]
    response = superuser_client.post(
        reverse("admin:catalog_shippingmethod_add"),
        {
            "code": "bad code",
            "name": "X",
            "carrier": carrier.pk,
            "service_level": "standard",
            "active": "on",
            "rates-TOTAL_FORMS": "1",
            "rates-INITIAL_FORMS": "0",
            "rates-0-country_group": "EU",
            "rates-0-countries": '["fr"]',
            "rates-0-currency": "EUR",
            "rates-0-price": "1.00",
        },
    )
    assert response.status_code == 200
    assert "is not valid" in response.context["adminform"].form.errors["code"][0]
    assert "two upper-case letters" in str(response.context["inline_admin_formsets"][0].formset.errors)
    assert not ShippingMethod.objects.filter(name="X").exists()
