"""Checks on a print file's bytes, as pure functions (no queries, no writes): what kind of file it is (by its
first bytes, not its name or the server's word), a PDF's pages and page size, and whether that matches the catalog
product's print specs ("format: A4", "pages: 24")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

# Magic bytes of the file types a print shop takes. Anything else (HTML error pages, ZIPs, Word files renamed to
# .pdf) is refused however it is named.
PDF, PNG, JPEG, TIFF = "application/pdf", "image/png", "image/jpeg", "image/tiff"
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
)
ACCEPTED = frozenset({PDF, PNG, JPEG, TIFF})
# What servers send for "some file": not a claim about the type, so the bytes alone decide.
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/x-download"})

# ISO 216 A sizes in mm (portrait).
A_SIZES: dict[str, tuple[int, int]] = {
    "A0": (841, 1189),
    "A1": (594, 841),
    "A2": (420, 594),
    "A3": (297, 420),
    "A4": (210, 297),
    "A5": (148, 210),
    "A6": (105, 148),
    "A7": (74, 105),
}
# A page may be the trim size, or the trim size with bleed on every side; both within this tolerance.
SIZE_TOLERANCE_MM = Decimal("1.5")
BLEED_MM = Decimal(3)
_MM_PER_POINT = Decimal("25.4") / Decimal(72)
_DIMENSIONS = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*[x\u00d7]\s*(\d+(?:[.,]\d+)?)\s*(mm|cm)?\s*$", re.IGNORECASE)


class FileCheckError(Exception):
    """The file cannot be used at all (wrong type, unreadable PDF); the message says what to send instead."""


def sniff_type(head: bytes) -> str | None:
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def content_type_of(*, head: bytes, declared: str, name: str) -> str:
    """The file's type from its first bytes; refuses other types and a server claiming another accepted type."""
    found = sniff_type(head)
    declared = declared.split(";")[0].strip().lower()
    if found is None:
        claimed = f" (sent as {declared})" if declared not in _GENERIC_TYPES else ""
        raise FileCheckError(
            f"'{name}' is not a PDF, PNG, JPEG or TIFF file{claimed}: its content is something else. Send the print "
            "file itself in one of these formats."
        )
    if declared in ACCEPTED and declared != found:
        raise FileCheckError(
            f"'{name}' is sent as {declared} but its content is {found}. Send the print file with its real type."
        )
    return found


@dataclass(frozen=True)
class PdfFacts:
    pages: int
    width_mm: Decimal
    height_mm: Decimal


def pdf_facts(stream: BinaryIO) -> PdfFacts:
    """Page count and the first page's size (its trim box, else its media box) in mm."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(stream)
        pages = len(reader.pages)
        if not pages:
            raise FileCheckError("The PDF has no pages. Send the print file with its pages.")
        box = reader.pages[0].trimbox
        width, height = Decimal(str(abs(float(box.width)))), Decimal(str(abs(float(box.height))))
    except PyPdfError as exc:
        raise FileCheckError(f"The PDF cannot be read ({exc}). Export it again and send the new file.") from None
    return PdfFacts(
        pages, (width * _MM_PER_POINT).quantize(Decimal("0.1")), (height * _MM_PER_POINT).quantize(Decimal("0.1"))
    )


def mm(value: Decimal) -> str:
    """210.0 -> "210", 297.5 -> "297.5"."""
    return f"{value.normalize():f}"


def spec_size_mm(value: str) -> tuple[Decimal, Decimal] | None:
    """A spec's "format" as mm: "A4", "85x55 mm", "40x60 cm"; None when it names no size we can check."""
    size = A_SIZES.get(value.strip().upper())
    if size is not None:
        return Decimal(size[0]), Decimal(size[1])
    match = _DIMENSIONS.match(value)
    if match is None:
        return None
    factor = Decimal(10) if (match.group(3) or "mm").lower() == "cm" else Decimal(1)
    return Decimal(match.group(1).replace(",", ".")) * factor, Decimal(match.group(2).replace(",", ".")) * factor


def _fits(width: Decimal, height: Decimal, want_w: Decimal, want_h: Decimal) -> bool:
    for w, h in ((want_w, want_h), (want_h, want_w)):  # either orientation
        for extra in (Decimal(0), 2 * BLEED_MM):
            if abs(width - (w + extra)) <= SIZE_TOLERANCE_MM and abs(height - (h + extra)) <= SIZE_TOLERANCE_MM:
                return True
    return False


def pdf_against_specs(facts: PdfFacts, specs: Mapping[str, str]) -> list[str]:
    """What differs between the PDF and the product's specs, for people; empty when it matches."""
    problems: list[str] = []
    wanted_format = str(specs.get("format", "")).strip()
    size = spec_size_mm(wanted_format) if wanted_format else None
    if size is not None and not _fits(facts.width_mm, facts.height_mm, *size):
        problems.append(
            f"its pages are {mm(facts.width_mm)} x {mm(facts.height_mm)} mm, the product is {wanted_format} "
            f"({mm(size[0])} x {mm(size[1])} mm, or with {mm(BLEED_MM)} mm bleed)"
        )
    wanted_pages = str(specs.get("pages", "")).strip()
    if wanted_pages.isdigit() and int(wanted_pages) != facts.pages:
        problems.append(f"it has {facts.pages} page{'s' if facts.pages != 1 else ''}, the product has {wanted_pages}")
    return problems


def pdf_summary(facts: PdfFacts, specs: Mapping[str, str]) -> str:
    """The check result of a matching PDF, for people: what it is and what it was checked against."""
    checked = []
    if str(specs.get("format", "")).strip():
        checked.append(f"format {specs['format']}")
    if str(specs.get("pages", "")).strip().isdigit():
        checked.append(f"{specs['pages']} pages")
    facts_text = f"{facts.pages} page{'s' if facts.pages != 1 else ''}, {mm(facts.width_mm)} x {mm(facts.height_mm)} mm"
    if not checked:
        return f"{facts_text}; the product names no size or page count to check."
    return f"{facts_text}: matches {', '.join(checked)}."
