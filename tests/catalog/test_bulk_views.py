"""The Bulk operations pages: export downloads, upload -> preview -> confirm through the views, roles, the htmx
progress partial. (Every URL's status per role is in tests/access/test_matrix.py.)"""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from printconnect.catalog.models import MappingImport, StoreVariant
from printconnect.catalog.services import ProductData, VariantData, store_products_upsert
from printconnect.core.permissions import Role
from tests.catalog.mapping_helpers import catalog_product, poster, variant
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD
from tests.factories.storefronts import make_member, make_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    store = make_store(ClientFactory(), name="Poster shop")
    poster(store)  # 101, 102
    catalog_product("PST-A4")
    return store


def _login(client, store, role=Role.ADMIN, **kw):
    user = make_member(store.client, role, **kw)
    client.login(username=user.email, password=PASSWORD)
    return user


def _export(client, store, file_format):
    return client.get(reverse("portal:store_bulk_export", args=[store.pk]), {"format": file_format})


def test_read_only_sees_export_buttons_but_no_upload_form(client, store):
    _login(client, store, Role.READ_ONLY)
    html = client.get(reverse("portal:store_bulk", args=[store.pk])).content.decode()
    assert 'data-testid="export-csv"' in html
    assert 'data-testid="import-form"' not in html
    assert "not import mappings" in html
    assert _export(client, store, "csv").status_code == 200
    upload = SimpleUploadedFile("m.csv", b"Variant ID,Product UID\r\n101,PST-A4\r\n")
    response = client.post(reverse("portal:store_bulk", args=[store.pk]), {"file": upload, "mode": "valid_rows"})
    assert response.status_code == 403
    assert not MappingImport.objects.exists()


def test_csv_export_streams_with_bom_crlf_and_every_variant(client, store):
    _login(client, store)
    response = _export(client, store, "csv")
    assert response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="poster-shop-products-')
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbfStore product ID,Variant ID,SKU,Title,Variant attributes,Product UID,")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[1:] == [
        ["100", "101", "P-101", "Poster", "Size: A4; Paper: Matte", "", ""],
        ["100", "102", "P-102", "Poster", "Size: A3; Paper: Matte", "", ""],
    ]
    assert body.count(b"\r\n") == 3


def test_export_query_count_does_not_grow_with_rows(client, store, monkeypatch):
    from printconnect.catalog import resources

    monkeypatch.setattr(resources, "EXPORT_CHUNK_SIZE", 50)  # 300 rows: several chunks, still one query
    _login(client, store)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            b"".join(_export(client, store, "csv").streaming_content)
        return len(captured)

    queries()  # warms Django's content-type cache, which would count once
    few = queries()
    store_products_upsert(
        store=store,
        products=[
            ProductData(external_id=f"p{n}", title=f"P{n}", variants=(VariantData(external_id=f"v{n}"),))
            for n in range(300)
        ],
    )
    assert queries() == few


def test_xlsx_export_opens_in_openpyxl_with_neutralised_formulas(client, store):
    _login(client, store)
    store_products_upsert(
        store=store,
        products=[ProductData(external_id="9", title='=HYPERLINK("x")', variants=(VariantData(external_id="91"),))],
    )
    response = _export(client, store, "xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:2] == ("Store product ID", "Variant ID")
    titles = [row[3] for row in rows[1:]]
    assert '\'=HYPERLINK("x")' in titles
    assert all(cell.data_type != "f" for row in workbook.active.iter_rows() for cell in row)


def test_unknown_export_format_is_404(client, store):
    _login(client, store)
    assert _export(client, store, "pdf").status_code == 404


def test_upload_preview_confirm_through_the_pages(client, store, django_capture_on_commit_callbacks):
    user = _login(client, store)
    text = "Variant ID;Product UID;Design file URL\r\n101;PST-A4;https://files.example/a.pdf\r\n102;NOPE;\r\n"
    upload = SimpleUploadedFile("filled.csv", ("\ufeff" + text).encode())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal:store_bulk", args=[store.pk]), {"file": upload, "mode": "all_or_nothing"}
        )
    row = MappingImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "portal:mapping_import_detail", args=[row.pk]
    )
    html = client.get(response["Location"]).content.decode()
    assert 'data-testid="count-create">1<' in html and 'data-testid="count-error">1<' in html
    assert "Unknown Product UID NOPE" in html
    assert 'id="mode-all"' in html and "disabled" in html  # all or nothing cannot apply with errors
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:mapping_import_confirm", args=[row.pk]), {"mode": "valid_rows"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.applied_by) == (MappingImport.Status.APPLIED, user)
    assert variant(store, "101").catalog_product.uid == "PST-A4"
    history = client.get(reverse("portal:store_bulk", args=[store.pk])).content.decode()
    assert "filled.csv" in history and user.display_name in history
    download = client.get(reverse("portal:mapping_import_file", args=[row.pk]))
    assert b"".join(download.streaming_content).endswith(text.encode())


def test_an_oversized_upload_is_refused_on_the_form(client, store, settings):
    _login(client, store)
    settings.MAPPING_IMPORT_MAX_BYTES = 10
    upload = SimpleUploadedFile("big.csv", b"Variant ID,Product UID\r\n101,PST-A4\r\n")
    response = client.post(reverse("portal:store_bulk", args=[store.pk]), {"file": upload, "mode": "valid_rows"})
    assert response.status_code == 200
    assert "can be imported" in response.content.decode()
    assert not MappingImport.objects.exists()


def test_store_manager_cannot_import_into_a_store_not_assigned_to_them(client, store):
    other = make_store(store.client)
    _login(client, store, Role.STORE_MANAGER, stores=[other])
    upload = SimpleUploadedFile("m.csv", b"Variant ID,Product UID\r\n101,PST-A4\r\n")
    response = client.post(reverse("portal:store_bulk", args=[store.pk]), {"file": upload, "mode": "valid_rows"})
    assert response.status_code == 404
    assert client.get(reverse("portal:store_bulk", args=[other.pk])).status_code == 200


def _running_import(store, user):
    row = MappingImport.objects.create(
        store=store, created_by=user, original_name="m.csv", file_format="csv", rows_total=200, rows_done=50
    )
    return row


def test_progress_partial_polls_while_running_and_refreshes_when_done(client, store):
    user = _login(client, store)
    row = _running_import(store, user)
    url = reverse("portal:mapping_import_detail", args=[row.pk])
    page = client.get(url).content.decode()
    assert 'id="import-progress"' in page and 'hx-trigger="every 1s"' in page and "25 %" in page
    partial = client.get(url, headers={"HX-Request": "true", "HX-Target": "import-progress"})
    assert "<html" not in partial.content.decode() and "50 of about 200 rows" in partial.content.decode()
    assert "HX-Refresh" not in partial
    MappingImport.objects.filter(pk=row.pk).update(status=MappingImport.Status.CHECKED, rows_done=200)
    partial = client.get(url, headers={"HX-Request": "true", "HX-Target": "import-progress"})
    assert partial["HX-Refresh"] == "true"
    assert "hx-trigger" not in partial.content.decode()


def test_discard_leaves_the_mappings_alone(client, store):
    user = _login(client, store)
    row = _running_import(store, user)
    MappingImport.objects.filter(pk=row.pk).update(status=MappingImport.Status.CHECKED)
    response = client.post(reverse("portal:mapping_import_discard", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("portal:store_bulk", args=[store.pk])
    row.refresh_from_db()
    assert row.status == MappingImport.Status.DISCARDED
    assert not StoreVariant.objects.filter(catalog_product__isnull=False).exists()
    again = client.post(reverse("portal:mapping_import_discard", args=[row.pk]), follow=True)
    assert "only a checked one can be discarded" in again.content.decode()
