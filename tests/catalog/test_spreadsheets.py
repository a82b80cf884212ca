"""Reading uploaded mapping files: every odd file a client's spreadsheet may produce reads right or is refused with
a clear message, fast and without eating memory."""

from __future__ import annotations

import io
import os
import time
import tracemalloc
import zipfile

import openpyxl
import pytest

from printconnect.catalog import spreadsheets
from printconnect.catalog.resources import EXPORT_HEADERS
from printconnect.catalog.spreadsheets import SpreadsheetError, file_format_detect, header_positions, sheet_open

REQUIRED = ("Variant ID", "Product UID")
OPTIONAL = ("Design file URL",)


def _read(data: bytes, file_format: str = "csv") -> tuple[list[str], list[tuple[int, list[str]]]]:
    with sheet_open(io.BytesIO(data), file_format=file_format) as sheet:
        header_positions(sheet.headers, required=REQUIRED, optional=OPTIONAL)
        return sheet.headers, list(sheet.rows)


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_french_locale_csv_with_bom_semicolons_crlf_and_decimal_commas_is_read():
    text = (
        "Store product ID;Variant ID;SKU;Title;Variant attributes;Product UID;Design file URL\r\n"
        '100;101;P-101;"Affiche ; été";"Prix: 12,50";PST-A4;https://files.example/a.pdf\r\n'
        "100;102;P-102;Affiche;Grammage: 170,5;;\r\n"
    )
    headers, rows = _read(b"\xef\xbb\xbf" + text.encode())
    assert headers == list(EXPORT_HEADERS)
    assert rows[0] == (
        2,
        ["100", "101", "P-101", "Affiche ; été", "Prix: 12,50", "PST-A4", "https://files.example/a.pdf"],
    )
    assert rows[1][1][4] == "Grammage: 170,5"  # a decimal comma in a text column stays as typed
    assert rows[1][1][5:] == ["", ""]


def test_comma_csv_with_lf_quotes_and_line_breaks_in_a_cell_is_read():
    text = 'Variant ID,Product UID,Title\n101,PST-A4,"Poster, ""large""\nsecond line"\n\n102,,x\n'
    _, rows = _read(text.encode())
    assert rows == [(2, ["101", "PST-A4", 'Poster, "large"\nsecond line']), (4, ["102", "", "x"])]


def test_xlsx_is_read_with_numbers_as_ids():
    data = _xlsx([["Variant ID", "Product UID", "Design file URL"], [101, "PST-A4", None], [102.0, None, None]])
    _, rows = _read(data, "xlsx")
    assert rows == [(2, ["101", "PST-A4", ""]), (3, ["102", "", ""])]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"\xef\xbb\xbf\r\n", "The file is empty"),
        (b"Variant ID;Product UID\r\n", None),  # header only: read, zero rows (the check says so)
        (b"Name,Price\r\n1,2\r\n", "“Variant ID”, “Product UID” are missing"),
        (b"Variant ID,Prodcut UID\r\n1,2\r\n", "Expected headers: “Variant ID”, “Product UID”, “Design file URL”"),
        ("Variant ID;Product UID\r\n101;Été\r\n".encode("cp1252"), "Save the file as CSV UTF-8"),
    ],
    ids=["empty", "bom-only", "header-only", "wrong-headers", "misspelt-header", "latin-1"],
)
def test_bad_csv_files_are_refused_with_a_clear_message(data, message):
    if message is None:
        assert _read(data)[1] == []
        return
    with pytest.raises(SpreadsheetError, match=message):
        _read(data)


def test_ten_megabytes_of_garbage_is_refused_quickly():
    garbage = os.urandom(10 * 1024 * 1024)
    started = time.monotonic()
    with pytest.raises(SpreadsheetError, match=r"not UTF-8 text \(row 1\).*Save the file as CSV UTF-8"):
        _read(garbage)
    assert time.monotonic() - started < 2


def test_ten_megabytes_of_text_without_line_breaks_is_refused():
    with pytest.raises(SpreadsheetError, match="Row 1 holds a cell of more than 131,072 characters"):
        _read(b"x" * (10 * 1024 * 1024))


def test_a_row_with_ten_thousand_columns_names_the_row_and_the_limit():
    data = ("Variant ID,Product UID\r\n101,PST-A4\r\n" + ",".join(["x"] * 10_000) + "\r\n").encode()
    with pytest.raises(SpreadsheetError, match=r"Row 3 has 10,000 columns; a mapping file has at most 50"):
        _read(data)


def test_an_xlsx_row_with_ten_thousand_columns_is_refused():
    data = _xlsx([["Variant ID", "Product UID"], ["x"] * 10_000])
    with pytest.raises(SpreadsheetError, match="Row 2 has 10,000 columns"):
        _read(data, "xlsx")


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 5)
    data = ("Variant ID,Product UID\r\n" + "".join(f"{n},\r\n" for n in range(10))).encode()
    with pytest.raises(SpreadsheetError, match="more than 5 rows"):
        _read(data)


def test_a_duplicated_header_is_refused():
    with pytest.raises(SpreadsheetError, match="appears twice"):
        _read(b"Variant ID,Product UID,product uid\r\n1,a,b\r\n")


def _zip_bomb() -> bytes:
    """An .xlsx-looking zip whose sheet expands to 1 GB of zeros (about 1 MB on disk)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"0" * (1024 * 1024)
            for _ in range(1024):
                member.write(block)
    return out.getvalue()


def test_a_zip_bomb_is_refused_in_under_a_second_without_eating_memory():
    bomb = _zip_bomb()
    assert len(bomb) < 5 * 1024 * 1024
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(SpreadsheetError, match=r"expands 1,029 times .* as a zip bomb does"):
        _read(bomb, "xlsx")
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 1
    assert peak < 20 * 1024 * 1024


def test_a_zip_with_thousands_of_members_is_refused_from_its_directory():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for n in range(2000):
            archive.writestr(f"part{n}.xml", "")
    with pytest.raises(SpreadsheetError, match="2,000 parts"):
        _read(out.getvalue(), "xlsx")


def test_an_xml_entity_bomb_in_an_xlsx_is_refused():
    assert openpyxl.DEFUSEDXML, "openpyxl must parse with defusedxml"
    good = _xlsx([["Variant ID", "Product UID"], ["101", "PST-A4"]])
    source = zipfile.ZipFile(io.BytesIO(good))
    lol = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = data.decode().split("?>", 1)[-1]
                data = (lol + body.replace("PST-A4", "&lol3;")).encode()
            target.writestr(info, data)
    with pytest.raises(SpreadsheetError, match="entity declarations"):
        _read(out.getvalue(), "xlsx")


def test_random_bytes_named_xlsx_are_not_taken_for_excel():
    with pytest.raises(SpreadsheetError, match="not a real Excel"):
        file_format_detect(name="products.xlsx", head=os.urandom(8))
    with pytest.raises(SpreadsheetError, match=r"neither a \.csv nor an \.xlsx"):
        file_format_detect(name="products.pdf", head=b"%PDF-1.7")
    assert file_format_detect(name="Products.CSV", head=b"Variant") == "csv"
    assert file_format_detect(name="p.xlsx", head=b"PK\x03\x04abcd") == "xlsx"
