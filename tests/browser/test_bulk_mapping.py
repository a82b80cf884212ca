"""Acceptance test of Bulk operations in Chromium: a client admin exports the store's products as CSV, fills in
Product UID and Design file URL for two rows (one of them wrong), imports the file, sees the preview with the bad
row, confirms "apply valid rows" and finds the mapping in the Products tab. Screenshots go to artifacts/browser/.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from printconnect.core.permissions import Role
from tests.catalog.mapping_helpers import catalog_product, poster, variant
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD
from tests.factories.storefronts import make_member, make_store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Shot = Callable[[Page, str], Path]


def test_client_admin_maps_products_in_bulk(page: Page, live_server: Any, shot: Shot, tmp_path: Path):
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    client = ClientFactory(name="Riverside Prints Ltd")
    store = make_store(client, name="Riverside posters")
    poster(store)  # variants 101 (A4) and 102 (A3)
    poster(store, external_id="200", title="Greeting card", variants={"201": {"Fold": "Half"}})
    catalog_product("PST-A4", name="Poster A4")
    make_member(client, Role.ADMIN, email="ada@riverside.test")

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator('input[name="login"]').fill("ada@riverside.test")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/portal/stores/{store.pk}/")
    page.get_by_test_id("store-tabs").get_by_role("link", name="Bulk operations").click()
    expect(page.get_by_role("heading", name="1. Export products")).to_be_visible()
    shot(page, "bulk operations")

    # --- export, and fill in two rows with Python's csv as a spreadsheet would -------------------------------------
    with page.expect_download() as download_info:
        page.get_by_test_id("export-csv").click()
    download = download_info.value
    assert download.suggested_filename.startswith("riverside-posters-products-")
    exported = Path(download.path()).read_bytes()
    assert exported.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    header = rows[0]
    at_variant, at_uid, at_url = (header.index(name) for name in ("Variant ID", "Product UID", "Design file URL"))
    by_variant = {row[at_variant]: row for row in rows[1:]}
    assert set(by_variant) == {"101", "102", "201"}
    by_variant["101"][at_uid], by_variant["101"][at_url] = "PST-A4", "https://files.example.com/poster-a4.pdf"
    by_variant["102"][at_uid] = "PST-A9-NOPE"  # not in the catalog: the bad row
    filled = tmp_path / "riverside-filled.csv"
    with filled.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerows(rows)

    # --- import: the preview shows one row to connect and one bad row -----------------------------------------------
    page.get_by_label("Filled-in file").set_input_files(str(filled))
    shot(page, "file chosen")
    page.get_by_test_id("import-submit").click()
    expect(page.get_by_test_id("import-status")).to_have_attribute("data-status", "checked")
    expect(page.get_by_test_id("count-create")).to_have_text("1")
    expect(page.get_by_test_id("count-unchanged")).to_have_text("1")
    expect(page.get_by_test_id("count-error")).to_have_text("1")
    errors = page.get_by_test_id("import-errors")
    expect(errors.locator("tbody tr")).to_have_count(1)
    expect(errors).to_contain_text("Unknown Product UID PST-A9-NOPE")
    bad_row = 1 + next(n for n, row in enumerate(rows) if row[at_variant] == "102")  # as the spreadsheet numbers it
    expect(errors.locator("tbody tr td").first).to_have_text(str(bad_row))
    assert variant(store, "101").catalog_product is None  # the dry run changed nothing
    shot(page, "preview with the bad row")

    page.get_by_label("Apply valid rows").check()
    page.get_by_test_id("confirm-import").click()
    expect(page.get_by_test_id("import-status")).to_have_attribute("data-status", "applied")
    expect(page.get_by_test_id("import-message")).to_contain_text("1 variant(s) changed. 1 row(s) with errors")
    shot(page, "applied")

    # --- history, then the mapping in the Products tab ----------------------------------------------------------------
    page.get_by_role("link", name="← Back to Bulk operations").click()
    history = page.get_by_test_id("import-history")
    expect(history.locator("tbody tr")).to_have_count(1)
    expect(history).to_contain_text("riverside-filled.csv")
    expect(history).to_contain_text("Applied")
    shot(page, "import history")
    page.get_by_test_id("store-tabs").get_by_role("link", name="Products").click()
    mapped_row = page.locator('tr[data-variant="101"]')
    expect(mapped_row).to_contain_text("PST-A4")
    expect(mapped_row.get_by_role("link", name="Design file")).to_have_attribute(
        "href", "https://files.example.com/poster-a4.pdf"
    )
    expect(page.locator('tr[data-variant="102"]')).to_contain_text("Not connected")
    shot(page, "mapping in the products tab")
