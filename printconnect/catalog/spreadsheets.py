"""Reading uploaded spreadsheets (CSV and XLSX) safely, row by row, whatever wrote them.

CSV: UTF-8 with or without a BOM, `,` or `;` (European spreadsheets write `;`) or tab, sniffed from the header line;
CRLF or LF; quoted fields. XLSX: the zip is checked from its directory before anything is expanded (member count,
declared sizes, compression ratio, total), then read with openpyxl in read-only mode, whose XML parsing goes
through defusedxml (entity declarations refused). Every refusal is a SpreadsheetError whose message says what to
do; nothing is read whole into memory.
"""

from __future__ import annotations

import csv
import io
import struct
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

import openpyxl
from defusedxml import DefusedXmlException

from printconnect.core.exceptions import ApplicationError

MAX_COLUMNS = 50
MAX_ROWS = 250_000
MAX_CELL_CHARS = 10_000  # a design file URL is at most 2,000; nothing legitimate comes near this
MAX_HEADER_CHARS = 64 * 1024

# XLSX (a zip of XML files): limits read from the zip's directory before expanding anything. A 100,000-row export
# expands to about 60 MB at a ratio of about 8.
XLSX_MAX_MEMBERS = 500
XLSX_MAX_EXPANDED_BYTES = 400 * 1024 * 1024
XLSX_MAX_RATIO = 150  # only checked for members over 1 MB: tiny XML parts compress oddly well
_RATIO_FROM_BYTES = 1024 * 1024

CSV_HELP = 'In Excel use File > Save As > "CSV UTF-8 (Comma delimited)", or download a fresh export and fill it in.'


class SpreadsheetError(ApplicationError):
    """The whole file is refused (unreadable, too big, wrong shape); nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="file")


def file_format_detect(*, name: str, head: bytes) -> str:
    """ "csv" or "xlsx" from the name, checked against the first bytes (an .xlsx is a zip)."""
    lowered = name.lower()
    is_zip = head.startswith(b"PK\x03\x04")
    if lowered.endswith(".xlsx"):
        if not is_zip:
            raise SpreadsheetError(
                f"“{name}” is not a real Excel (XLSX) file. Save it from your spreadsheet as .xlsx or as CSV UTF-8."
            )
        return "xlsx"
    if lowered.endswith((".csv", ".txt")):
        if is_zip:
            raise SpreadsheetError(f"“{name}” is a zip or Excel file, not CSV text. Rename it to .xlsx or save as CSV.")
        return "csv"
    if lowered.endswith((".xls", ".ods", ".numbers")):
        raise SpreadsheetError(f"“{name}”: this spreadsheet format is not read here. Save it as .xlsx or CSV UTF-8.")
    raise SpreadsheetError(f"“{name}” is neither a .csv nor an .xlsx file. Upload the filled-in export as CSV or XLSX.")


@dataclass
class Sheet:
    """The header cells and an iterator of (row number as the spreadsheet shows it, cells as text). Blank rows are
    skipped; cells are trimmed; rows are padded to the header's width."""

    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]
    rows_estimate: int


@contextmanager
def sheet_open(fileobj: IO[bytes], *, file_format: str) -> Iterator[Sheet]:
    """Open an uploaded file (binary, seekable) for reading; SpreadsheetError when it cannot be read, also while
    rows are read (a bad byte on row 80,000 is only seen there)."""
    fileobj.seek(0)
    if file_format == "xlsx":
        with _xlsx_open(fileobj) as sheet:
            yield sheet
    else:
        yield _csv_open(fileobj)


def header_positions(headers: Sequence[str], *, required: Sequence[str], optional: Sequence[str]) -> dict[str, int]:
    """Column name -> position, matching names whatever the case and surrounding spaces. Missing required
    columns or a column twice refuse the file, naming the expected headers."""
    positions: dict[str, int] = {}
    wanted = {name.casefold(): name for name in (*required, *optional)}
    for index, header in enumerate(headers):
        name = wanted.get(header.strip().casefold())
        if name is None:
            continue
        if name in positions:
            raise SpreadsheetError(f"The column “{name}” appears twice in the first row; keep one of them.")
        positions[name] = index
    missing = [name for name in required if name not in positions]
    if missing:
        listed = ", ".join(f"“{name}”" for name in missing)
        expected = ", ".join(f"“{name}”" for name in (*required, *optional))
        raise SpreadsheetError(
            f"The first row must hold the column headers; {listed} {'is' if len(missing) == 1 else 'are'} missing. "
            f"Expected headers: {expected} (other columns are ignored). Start from a fresh export of this store."
        )
    return positions


def _too_many_columns(row_number: int, count: int) -> SpreadsheetError:
    return SpreadsheetError(
        f"Row {row_number} has {count:,} columns; a mapping file has at most {MAX_COLUMNS}. "
        "Check that this is the exported product list and that no row was pasted sideways."
    )


def _too_many_rows() -> SpreadsheetError:
    return SpreadsheetError(f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files.")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id typed as a number in Excel comes back as 12345.0
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _shaped(row_number: int, cells: Sequence[Any], width: int) -> list[str] | None:
    """Trimmed texts, trailing empty cells dropped, padded to `width`; None for a blank row."""
    texts = [_cell_text(cell) for cell in cells]
    while texts and not texts[-1]:
        texts.pop()
    if not texts:
        return None
    if len(texts) > MAX_COLUMNS:
        raise _too_many_columns(row_number, len(texts))
    for text in texts:
        if len(text) > MAX_CELL_CHARS:
            raise SpreadsheetError(
                f"Row {row_number} holds a cell of {len(text):,} characters; at most {MAX_CELL_CHARS:,} are read."
            )
    return texts + [""] * (width - len(texts))


# --- CSV ----------------------------------------------------------------------------------------------------------


def _csv_text(fileobj: IO[bytes]) -> io.TextIOWrapper:
    fileobj.seek(0)
    # utf-8-sig drops a BOM when there is one; newline="" lets the csv module see quoted line breaks.
    return io.TextIOWrapper(fileobj, encoding="utf-8-sig", newline="", errors="strict")


def _not_utf8(row_number: int | None) -> SpreadsheetError:
    where = f" (row {row_number})" if row_number else ""
    return SpreadsheetError(
        f"The file is not UTF-8 text{where}: it was probably saved in an older encoding, or it is not a CSV file. "
        f"Save the file as CSV UTF-8. {CSV_HELP}"
    )


def _delimiter_sniff(header_line: str) -> str:
    """The header line holds only column names: whichever of ; , tab occurs most outside quotes separates them."""
    counts = {";": 0, ",": 0, "\t": 0}
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _csv_open(fileobj: IO[bytes]) -> Sheet:
    text = _csv_text(fileobj)
    try:
        header_line = text.readline(MAX_HEADER_CHARS)
    except UnicodeDecodeError as exc:
        raise _not_utf8(1) from exc
    if not header_line.strip():
        fileobj.seek(0)
        if not fileobj.read(MAX_HEADER_CHARS).strip(b"\xef\xbb\xbf \r\n\t"):
            raise SpreadsheetError("The file is empty. Upload the filled-in export of this store.")
        raise SpreadsheetError("The first row of the file is empty; it must hold the column headers.")
    if "\x00" in header_line:
        raise SpreadsheetError(f"The file holds binary data, not CSV text. {CSV_HELP}")
    delimiter = _delimiter_sniff(header_line)
    text.detach()
    reader = csv.reader(_csv_text(fileobj), delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    records = _csv_records(reader)
    try:
        _, header_cells = next(records)
    except StopIteration:
        raise SpreadsheetError("The file is empty. Upload the filled-in export of this store.") from None
    headers = _shaped(1, header_cells, 0) or []
    return Sheet(headers=headers, rows=_csv_rows(records, len(headers)), rows_estimate=_csv_rows_estimate(fileobj))


def _csv_records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    row_number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise _not_utf8(row_number + 1) from exc
        except csv.Error as exc:
            reason = str(exc)
            if "field larger than field limit" in reason:
                raise SpreadsheetError(
                    f"Row {row_number + 1} holds a cell of more than {csv.field_size_limit():,} characters, "
                    "which no mapping needs: check that the file is the exported product list."
                ) from exc
            if "NUL" in reason:
                raise SpreadsheetError(f"Row {row_number + 1} holds binary data, not text. {CSV_HELP}") from exc
            raise SpreadsheetError(f"Row {row_number + 1} cannot be read as CSV ({reason}). {CSV_HELP}") from exc
        row_number += 1
        yield row_number, cells


def _csv_rows(records: Iterator[tuple[int, list[str]]], width: int) -> Iterator[tuple[int, list[str]]]:
    for row_number, cells in records:
        if row_number > MAX_ROWS + 1:
            raise _too_many_rows()
        if len(cells) > MAX_COLUMNS:  # before trimming each of 10,000 cells
            raise _too_many_columns(row_number, len(cells))
        shaped = _shaped(row_number, cells, width)
        if shaped is not None:
            yield row_number, shaped


def _csv_rows_estimate(fileobj: IO[bytes]) -> int:
    """Line breaks in the file, minus the header: the progress bar's total (quoted line breaks make it high; the
    exact count is known once the file was read)."""
    # A second handle would be cleaner, but uploads may be in-memory; the reader's wrapper has its own position.
    position = fileobj.tell()
    fileobj.seek(0)
    lines = 0
    last = b""
    while chunk := fileobj.read(1024 * 1024):
        lines += chunk.count(b"\n")
        last = chunk
    if last and not last.endswith(b"\n"):
        lines += 1
    fileobj.seek(position)
    return max(lines - 1, 0)


# --- XLSX ---------------------------------------------------------------------------------------------------------

_EOCD = struct.Struct("<4s4H2LH")  # zip end-of-central-directory record


def _xlsx_directory_check(fileobj: IO[bytes]) -> None:
    """Refuse a zip whose directory announces too much, from the end record alone (before zipfile builds a list
    of a million members) and then from each member's declared sizes. zipfile never expands a member beyond its
    declared size, so these figures bound what openpyxl can be made to read."""
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    tail_size = min(size, _EOCD.size + 65535)
    fileobj.seek(size - tail_size)
    tail = fileobj.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        raise SpreadsheetError(
            "The file is not a readable XLSX (its zip directory is missing). Save it again as .xlsx."
        )
    _, _, _, _, members, directory_bytes, _, _ = _EOCD.unpack(tail[at : at + _EOCD.size])
    if members > XLSX_MAX_MEMBERS or members == 0xFFFF or directory_bytes == 0xFFFFFFFF:
        raise SpreadsheetError(
            f"The XLSX file holds {members:,} parts; a spreadsheet has a few dozen. It was refused for safety."
        )
    fileobj.seek(0)
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SpreadsheetError("The file is not a readable XLSX file. Save it again as .xlsx or as CSV.") from exc
    infos = archive.infolist()
    if len(infos) > XLSX_MAX_MEMBERS:
        raise SpreadsheetError(f"The XLSX file holds {len(infos):,} parts; it was refused for safety.")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FROM_BYTES and ratio > XLSX_MAX_RATIO:
            raise SpreadsheetError(
                f"The XLSX file expands {ratio:,.0f} times (part “{info.filename}”), as a zip bomb does; it was "
                "refused for safety. Save the sheet again from your spreadsheet, or upload CSV."
            )
    if total > XLSX_MAX_EXPANDED_BYTES:
        raise SpreadsheetError(
            f"The XLSX file expands to {total / 1024 / 1024:,.0f} MB, more than the "
            f"{XLSX_MAX_EXPANDED_BYTES // 1024 // 1024} MB read here. Split it, or upload CSV."
        )


@contextmanager
def _xlsx_open(fileobj: IO[bytes]) -> Iterator[Sheet]:
    if not openpyxl.DEFUSEDXML:  # openpyxl parses with defusedxml only when it is installed
        raise SpreadsheetError("XLSX files cannot be read safely on this server; upload CSV UTF-8 instead.")
    _xlsx_directory_check(fileobj)
    fileobj.seek(0)
    try:
        workbook = openpyxl.load_workbook(fileobj, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, ValueError, zipfile errors) for broken files
        if _defused(exc):
            raise _entities_refused() from exc
        raise SpreadsheetError(f"The XLSX file cannot be read ({type(exc).__name__}). Save it again as .xlsx.") from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise SpreadsheetError("The XLSX file has no sheet. Upload the filled-in export.")
        rows = _xlsx_records(sheet)
        try:
            _, header_cells = next(rows)
        except StopIteration:
            raise SpreadsheetError("The file is empty. Upload the filled-in export of this store.") from None
        headers = _shaped(1, header_cells, 0) or []
        estimate = max((sheet.max_row or 1) - 1, 0)
        yield Sheet(headers=headers, rows=_xlsx_rows(rows, len(headers)), rows_estimate=estimate)
    finally:
        workbook.close()


def _defused(exc: BaseException | None) -> bool:
    """defusedxml refused something: openpyxl wraps its exception in a ValueError of its own."""
    while exc is not None:
        if isinstance(exc, DefusedXmlException):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _entities_refused() -> SpreadsheetError:
    return SpreadsheetError(
        "The XLSX file contains XML entity declarations, which spreadsheets never write; it was refused for "
        "safety. Save it again from your spreadsheet, or upload CSV."
    )


def _xlsx_records(sheet: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    try:
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    except SpreadsheetError:
        raise
    except Exception as exc:  # a truncated or corrupt sheet part
        if _defused(exc):
            raise _entities_refused() from exc
        raise SpreadsheetError(f"The XLSX sheet cannot be read ({type(exc).__name__}). Save it again.") from exc


def _xlsx_rows(records: Iterator[tuple[int, tuple[Any, ...]]], width: int) -> Iterator[tuple[int, list[str]]]:
    for row_number, cells in records:
        if row_number > MAX_ROWS + 1:
            raise _too_many_rows()
        shaped = _shaped(row_number, cells, width)
        if shaped is not None:
            yield row_number, shaped
