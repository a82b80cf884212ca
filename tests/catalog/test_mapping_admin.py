"""The web admin's mapping import-export (StoreVariant, same columns as the portal) and the MappingImport history."""

from __future__ import annotations

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from printconnect.catalog.models import MappingImport, StoreVariant
from printconnect.catalog.resources import StaffStoreVariantMappingResource
from tests.catalog.mapping_helpers import catalog_product, poster, variant
from tests.factories.clients import ClientFactory
from tests.factories.core import StaffFactory
from tests.factories.storefronts import make_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


@pytest.fixture
def store():
    store = make_store(ClientFactory(), name="Poster shop")
    poster(store)
    catalog_product("PST-A4")
    catalog_product("OLD-1", active=False)
    return store


def _dataset(rows):
    resource = StaffStoreVariantMappingResource()
    data = tablib.Dataset(headers=resource.get_export_headers())
    for row in rows:
        data.append(row)
    return data


def test_staff_export_has_the_portal_columns_and_the_printconnect_id(store):
    exported = StaffStoreVariantMappingResource().export()
    assert exported.headers[:3] == ["printconnect ID", "Store product ID", "Variant ID"]
    assert exported.headers[-2:] == ["Product UID", "Design file URL"]
    assert {row[2] for row in exported} == {"101", "102"}


def test_staff_import_maps_checks_and_leaves_empty_uids_alone(store, django_capture_on_commit_callbacks):
    a4, a3 = variant(store, "101"), variant(store, "102")
    data = _dataset(
        [
            [a4.pk, "100", "101", "", "", "", "pst-a4", "https://files.example/a.pdf"],
            [a3.pk, "100", "102", "", "", "", "", "https://files.example/ignored.pdf"],
            [999999, "100", "9", "", "", "", "PST-A4", ""],
        ]
    )
    result = StaffStoreVariantMappingResource().import_data(data, dry_run=True)
    assert result.has_validation_errors()
    assert "cannot add variants" in str(result.invalid_rows[0].error_dict)
    bad = _dataset([[a3.pk, "100", "102", "", "", "", "OLD-1", ""], [a4.pk, "", "", "", "", "", "PST-A4", "ftp://x"]])
    result = StaffStoreVariantMappingResource().import_data(bad, dry_run=True)
    messages = " ".join(str(row.error_dict) for row in result.invalid_rows)
    assert "deactivated Product UID OLD-1" in messages and "http:// or https://" in messages

    good = _dataset([list(row) for row in data[:2]])
    with django_capture_on_commit_callbacks(execute=True):
        result = StaffStoreVariantMappingResource().import_data(good, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    a4, a3 = variant(store, "101"), variant(store, "102")
    assert (a4.catalog_product.uid, a4.design_file_url) == ("PST-A4", "https://files.example/a.pdf")
    assert a4.mapped_at is not None
    assert (a3.catalog_product, a3.design_file_url) == (None, "")


def test_variant_and_import_admin_pages_open(superuser_client, store):
    assert superuser_client.get(reverse("admin:catalog_storevariant_import")).status_code == 200
    page = superuser_client.get(reverse("admin:catalog_storevariant_changelist"))
    assert reverse("admin:catalog_storevariant_export").encode() in page.content
    row = MappingImport.objects.create(store=store, original_name="m.csv", file_format="csv", rows_error=3)
    listing = superuser_client.get(reverse("admin:catalog_mappingimport_changelist"), {"status": "checking"})
    assert listing.status_code == 200 and b"m.csv" in listing.content
    detail = superuser_client.get(reverse("admin:catalog_mappingimport_change", args=[row.pk]))
    assert detail.status_code == 200 and b'name="rows_error"' not in detail.content  # read-only
    assert superuser_client.get(reverse("admin:catalog_mappingimport_add")).status_code == 403


def test_admin_import_page_previews_a_file(superuser_client, store):
    a4 = variant(store, "101")
    csv = f"printconnect ID,Variant ID,Product UID,Design file URL\r\n{a4.pk},101,PST-A4,\r\n"
    response = superuser_client.post(
        reverse("admin:catalog_storevariant_import"),
        {"format": "0", "resource": "0", "import_file": SimpleUploadedFile("m.csv", csv.encode(), "text/csv")},
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert [row.import_type for row in result.valid_rows()] == ["update"]
    assert StoreVariant.objects.get(pk=a4.pk).catalog_product is None  # the preview changes nothing
