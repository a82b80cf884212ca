"""Acceptance test of Settings > API tokens in Chromium: a client Admin makes a token, copies it from the page (shown
once), a production system uses it over HTTP, the list shows its last use by prefix only, and Revoke stops it.
Then staff read the API documentation page. Screenshots go to artifacts/browser/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from printconnect.core.permissions import Role
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD, StaffFactory
from tests.factories.orders import received_order
from tests.factories.storefronts import make_member, make_store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Shot = Callable[[Page, str], Path]


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_client_admin_makes_uses_and_revokes_an_api_token(page: Page, live_server: Any, shot: Shot):
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    client = ClientFactory(name="Riverside Prints Ltd")
    store = make_store(client, name="Riverside posters")
    received_order(store, ("p1", 1), external_id="r-1", number="R1001")
    make_member(client, Role.ADMIN, email="ada@riverside.test")
    base = live_server.url
    http = requests.Session()
    http.trust_env = False

    _sign_in(page, base, "ada@riverside.test")
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    page.get_by_label("Name").fill("Press room MIS")
    page.get_by_label("Change order status, add shipments").check()
    page.get_by_role("button", name="Make token").click()
    expect(page.get_by_test_id("token-created")).to_be_visible()
    shot(page, "token made")
    raw = page.locator("#secret").input_value()
    assert raw.startswith("pc_")

    answer = http.get(f"{base}/api/v1/orders/", headers={"Authorization": f"Bearer {raw}"}, timeout=10)
    assert [row["number"] for row in answer.json()["orders"]] == ["R1001"]

    page.goto(f"{base}/portal/settings/api-tokens/")
    row = page.get_by_role("row", name="Press room MIS")
    expect(row).to_contain_text(raw[:11])
    expect(row).not_to_contain_text("Never")  # last use noted
    assert raw not in page.content()
    shot(page, "token listed by prefix")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("row", name="Press room MIS")).to_contain_text("Revoked")
    shot(page, "token revoked")
    refused = http.get(f"{base}/api/v1/orders/", headers={"Authorization": f"Bearer {raw}"}, timeout=10)
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]["message"]


def test_staff_read_the_api_documentation(page: Page, live_server: Any, shot: Shot):
    page.set_default_timeout(15_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    StaffFactory(email="sam@psp.test")
    _sign_in(page, live_server.url, "sam@psp.test")
    page.get_by_role("link", name="API documentation").click()
    expect(page.get_by_role("heading", name="Production API")).to_be_visible()
    expect(page.locator("#post-order_status")).to_contain_text("allowed_statuses")
    shot(page, "api docs")
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="Make a token")).to_be_visible()
    shot(page, "staff token page")
