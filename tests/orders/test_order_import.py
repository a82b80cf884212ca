"""Orders CSV import of a manual store (issue 5): template, dry-run check with row errors, all-or-nothing import."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from printconnect.core.exceptions import ApplicationError
from printconnect.core.permissions import Role
from printconnect.orders import order_imports
from printconnect.orders.models import Order, OrderImport
from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD, StaffFactory
from tests.factories.orders import catalog_product, shipping_method, store_product, variant_map
from tests.factories.storefronts import make_member, make_store

pytestmark = pytest.mark.django_db

HEADER = (
    "order_number,customer_name,ship_name,address1,city,postcode,country,shipping_method,sku,product_uid,quantity,"
    "design_file_url"
)
ROW_A1 = "1001,Ada,Ada Lovelace,12 Analytical St,London,N1,GB,Standard parcel,,POSTER,2,https://files.example/a.pdf"
ROW_A2 = "1001,Ada,Ada Lovelace,12 Analytical St,London,N1,GB,Standard parcel,MUG,,1,"
ROW_B1 = "1002,Bob,Bob Byte,1 Main St,Berlin,10115,DE,Standard parcel,,POSTER,1,https://files.example/b.pdf"


@pytest.fixture
def store() -> Store:
    store = make_store(ClientFactory(), name="Wholesale")
    catalog_product("POSTER")
    (variant,) = store_product(store, "m1", sku="MUG").values()
    variant_map(variant, catalog_product())
    shipping_method("Standard parcel")
    return store


def _upload(text: str | bytes, name: str = "orders.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text if isinstance(text, bytes) else text.encode("utf-8"))


def _start(store: Store, *rows: str, header: str = HEADER) -> OrderImport:
    return order_imports.order_import_start(store=store, upload=_upload("\r\n".join([header, *rows])), actor=None)


def test_a_good_file_is_checked_without_creating_then_imports_its_grouped_orders_when_confirmed(store):
    row = _start(store, ROW_A1, ROW_A2, ROW_B1)
    assert row.status == OrderImport.Status.CHECKED, row.errors
    assert (row.rows_total, row.orders_count, row.lines_count) == (3, 2, 3)
    assert [order["number"] for order in row.preview] == ["1001", "1002"]
    assert not Order.objects.exists()
    row = order_imports.order_import_confirm(order_import=row, actor=None)
    assert row.status == OrderImport.Status.IMPORTED and row.orders_created == 2
    first = Order.objects.get(store=store, number="1001")
    assert first.items.count() == 2 and first.status == Order.Status.RECEIVED, first.hold_detail
    assert first.psp_shipping_method.name == "Standard parcel" and first.shipping_address["country"] == "GB"


@pytest.mark.parametrize(
    ("bad_row", "column", "words"),
    [
        (ROW_B1.replace(",1,https", ",0,https"), "quantity", "is not a quantity"),
        (ROW_B1.replace(",DE,", ",Germany,"), "country", "is not a country code"),
        (ROW_B1.replace(",,POSTER,", ",,NOPE,"), "product_uid", "No catalog product has the UID"),
        (ROW_B1.replace(",,POSTER,", ",MUG,POSTER,"), "sku", "exactly one of sku"),
        (ROW_B1.replace(",,POSTER,", ",GHOST,,"), "sku", "No product of this store has the SKU"),
        (ROW_B1.replace("https://files.example/b.pdf", ""), "design_file_url", "is printed"),
        (ROW_B1.replace("https://files.example/b.pdf", "not a url"), "design_file_url", "is not a web address"),
        (ROW_B1.replace("1002,", ",", 1), "order_number", "Enter the order number"),
    ],
)
def test_one_bad_row_is_listed_with_its_row_column_and_reason_and_nothing_is_imported_when_checked(
    store, bad_row, column, words
):
    row = _start(store, ROW_A1, ROW_A2, bad_row)
    assert row.status == OrderImport.Status.REJECTED
    (error,) = row.errors
    assert (error["row"], error["column"]) == (4, column) and words in error["reason"], error
    with pytest.raises(ApplicationError, match="only a checked file"):
        order_imports.order_import_confirm(order_import=row, actor=None)
    assert not Order.objects.exists()


def test_a_row_that_disagrees_with_its_orders_first_row_is_named_when_checked(store):
    row = _start(store, ROW_A1, ROW_A2.replace("London", "Paris"))
    (error,) = row.errors
    assert error["row"] == 3 and error["column"] == "city"
    assert "row 2 says “London”" in error["reason"] and "must agree" in error["reason"]


def test_an_order_number_already_in_the_store_is_an_error_when_checked(store):
    order_imports.order_import_confirm(order_import=_start(store, ROW_B1), actor=None)
    row = _start(store, ROW_A1, ROW_B1)
    (error,) = row.errors
    assert error["column"] == "order_number" and "already in this store" in error["reason"]


def test_all_or_nothing_rolls_back_every_order_when_one_is_taken_between_check_and_confirm(store):
    row = _start(store, ROW_A1, ROW_A2, ROW_B1)
    order_imports.order_import_confirm(order_import=_start(store, ROW_B1), actor=None)
    assert Order.objects.count() == 1
    row = order_imports.order_import_confirm(order_import=row, actor=None)
    assert row.status == OrderImport.Status.REJECTED and "already in this store" in row.errors[0]["reason"]
    assert list(Order.objects.values_list("number", flat=True)) == ["1002"]


def test_an_unknown_shipping_name_and_an_unmapped_sku_are_imported_held_and_said_in_the_preview(store):
    store_product(store, "t1", sku="TOTE")
    held = "1003,Cy,Cy Press,1 Rue,Paris,75001,FR,Pigeon,TOTE,,1,"
    row = _start(store, held)
    assert row.status == OrderImport.Status.CHECKED
    (order,) = row.preview
    assert "store's mapping or default" in order["shipping_note"] and order["lines"][0]["kind"] == "unmapped"
    order_imports.order_import_confirm(order_import=row, actor=None)
    assert Order.objects.get(number="1003").status == Order.Status.ON_HOLD


def test_semicolons_tabs_and_a_bom_are_read_and_a_latin1_file_says_save_as_utf8_when_uploaded(store):
    for delimiter in (";", "\t"):
        text = "\r\n".join(line.replace(",", delimiter) for line in (HEADER, ROW_B1))
        row = order_imports.order_import_start(store=store, upload=_upload("\ufeff" + text), actor=None)
        assert row.status == OrderImport.Status.CHECKED, (delimiter, row.errors, row.message)
    latin = (HEADER + "\r\n" + ROW_B1.replace("Bob Byte", "Bjørn")).encode("latin-1")
    row = order_imports.order_import_start(store=store, upload=_upload(latin), actor=None)
    assert row.status == OrderImport.Status.REJECTED and "Save the file as CSV UTF-8" in row.message


def test_a_file_over_the_size_or_row_limit_is_refused_when_uploaded(store, settings):
    settings.ORDER_IMPORT_MAX_BYTES = 100
    with pytest.raises(ApplicationError, match="at most"):
        _start(store, ROW_A1, ROW_A2)
    settings.ORDER_IMPORT_MAX_BYTES = 5 * 1024 * 1024
    settings.ORDER_IMPORT_MAX_ROWS = 2
    row = _start(store, ROW_A1, ROW_A2, ROW_B1)
    assert row.status == OrderImport.Status.REJECTED and "more than 2 order lines" in row.message


def test_missing_columns_refuse_the_file_naming_them_when_uploaded(store):
    row = _start(store, "1001,GB", header="order_number,country")
    assert row.status == OrderImport.Status.REJECTED and "“ship_name”" in row.message


def test_the_template_has_the_header_two_rows_of_one_order_and_no_live_formula_when_downloaded():
    text = order_imports.template_csv().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == list(order_imports.COLUMNS) and len(rows) == 3
    assert rows[1][0] == rows[2][0] == "1001"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert "'+44 20 7946 0000" in rows[1]


def test_the_template_imports_once_its_products_exist_when_uploaded_back():
    store = make_store(ClientFactory())
    catalog_product("POSTER-A3")
    (variant,) = store_product(store, "w1", sku="MUG-WHITE").values()
    variant_map(variant, catalog_product())
    upload = _upload(order_imports.template_csv(), "orders-template.csv")
    row = order_imports.order_import_start(store=store, upload=upload, actor=None)
    assert row.status == OrderImport.Status.CHECKED, row.errors
    row = order_imports.order_import_confirm(order_import=row, actor=None)
    order = Order.objects.get(store=store)
    assert order.total == 33 and order.currency == "GBP"  # 2 x 12.50 + 1 x 8.00
    assert order.shipping_address["phone"] == "+44 20 7946 0000"  # the neutralised cell read back as typed


# --- the pages -----------------------------------------------------------------------------------------------------


def test_the_portal_upload_shows_the_preview_and_confirm_imports_when_an_admin_uses_it(client, store):
    admin = make_member(store.client, Role.ADMIN)
    client.login(username=admin.email, password=PASSWORD)
    url = reverse("portal:store_order_import", args=[store.pk])
    assert b"Download the template" in client.get(url).content
    template = client.get(reverse("portal:store_order_import_template", args=[store.pk]))
    assert template["Content-Type"].startswith("text/csv") and b"order_number" in template.content
    response = client.post(url, {"file": _upload("\r\n".join([HEADER, ROW_A1, ROW_A2, ROW_B1]))})
    row = OrderImport.objects.get()
    assert response["Location"] == reverse("portal:order_import_detail", args=[row.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Import 2 orders (3 lines)" in page and not Order.objects.exists()
    response = client.post(reverse("portal:order_import_confirm", args=[row.pk]))
    assert Order.objects.filter(store=store).count() == 2
    assert "2 orders imported" in client.get(response["Location"]).content.decode()


def test_the_staff_page_lists_row_errors_and_discard_closes_it_when_a_file_has_errors(client, store):
    client.login(username=StaffFactory().email, password=PASSWORD)
    url = reverse("staff_orders:store_order_import", args=[store.pk])
    response = client.post(url, {"file": _upload("\r\n".join([HEADER, ROW_A1, ROW_B1.replace(",DE,", ",ZZ,")]))})
    page = client.get(response["Location"]).content.decode()
    assert "Row errors" in page and "“ZZ” is not a country code" in page and "Nothing was imported" in page
    row = OrderImport.objects.get()
    client.post(reverse("staff_orders:order_import_discard", args=[row.pk]))
    row.refresh_from_db()
    assert row.status == OrderImport.Status.DISCARDED and not Order.objects.exists()
