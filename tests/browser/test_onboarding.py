"""Acceptance test of onboarding, in Chromium against the live server, with invitations over real SMTP.

Staff create a client and turn storefront access on, which invites the client's Admin by email; the Admin joins,
adds a store and invites an Order manager; the Order manager joins and sees only what the role allows; staff then
see the Admin as Active. Screenshots of every step go to artifacts/browser/.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from printconnect.clients import services as client_services
from printconnect.clients.models import Client, Invitation, Membership
from printconnect.core.permissions import Role
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD, StaffFactory
from tests.smtp import SMTPServer, invitation_link, text_body, wait_for_email

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Shot = Callable[[Page, str], Path]

STAFF_EMAIL = "staff@shop.test"
CLIENT_NAME = "Northwind Posters"
ALICE_EMAIL = "alice@northwind.test"
ALICE_PASSWORD = "Print-shop-2026!x"
OLIVIA_EMAIL = "olivia@northwind.test"
OLIVIA_PASSWORD = "Order-desk-2026!y"


@pytest.fixture
def page(page: Page) -> Page:
    page.set_default_timeout(10_000)
    page.set_viewport_size({"width": 1280, "height": 800})
    return page


def sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in to printconnect")).to_be_visible()
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page, base_url: str) -> None:
    """Through the top bar's user menu (a POST form), as a person would."""
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{base_url}/accounts/login/")
    expect(page.get_by_test_id("user-menu")).to_have_count(0)


def accept_invitation(page: Page, *, first_name: str, last_name: str, password: str) -> None:
    page.locator('input[name="first_name"]').fill(first_name)
    page.locator('input[name="last_name"]').fill(last_name)
    page.locator('input[name="password1"]').fill(password)
    page.locator('input[name="password2"]').fill(password)
    page.get_by_role("button", name="Set password and continue").click()


def check_invitation_email(message: EmailMessage, *, to: str, role_label: str, base_url: str) -> str:
    assert message["To"] == to
    assert CLIENT_NAME in message["Subject"], message["Subject"]
    body = text_body(message)
    assert f"as {role_label}" in body, body
    link = invitation_link(message)
    assert link.startswith(f"{base_url}/invitations/"), f"{link} does not point at the live server {base_url}"
    return link


def test_onboarding_staff_admin_and_order_manager(
    page: Page, live_server: Any, smtp_email: SMTPServer, shot: Shot
) -> None:
    base = live_server.url
    StaffFactory(email=STAFF_EMAIL, first_name="Sam", last_name="Staff")
    sidebar = page.get_by_role("navigation", name="Main")
    messages = page.get_by_role("status")

    # --- staff sign in and create the client --------------------------------------------------------------------
    page.goto(f"{base}/accounts/login/")
    page.locator('input[name="login"]').fill(STAFF_EMAIL)
    page.locator('input[name="password"]').fill(PASSWORD)
    shot(page, "staff sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/staff/clients/")
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    expect(page.get_by_text("Staff console").first).to_be_visible()

    page.get_by_role("link", name="Create client").click()
    expect(page).to_have_url(f"{base}/staff/clients/new/")
    page.locator('input[name="name"]').fill(CLIENT_NAME)
    page.locator('input[name="reference"]').fill("NW-1")
    page.locator('textarea[name="description"]').fill("Posters and prints, ordered by phone and online.")
    shot(page, "staff create client form")
    page.get_by_role("button", name="Create client").click()

    client = Client.objects.get(name=CLIENT_NAME)
    assert client.reference == "NW-1"
    assert client.storefront_access is False
    expect(page).to_have_url(f"{base}/staff/clients/{client.pk}/")
    expect(page.get_by_role("heading", name=CLIENT_NAME, level=1)).to_be_visible()
    expect(messages).to_contain_text(f"Client “{CLIENT_NAME}” created.")
    for tab in ("Overview", "Stores", "Settings"):
        expect(page.locator(".nav-tabs").get_by_role("link", name=tab, exact=True)).to_be_visible()
    shot(page, "staff client overview")

    # --- turn storefront access on, inviting Alice as the client's Admin -----------------------------------------
    page.locator(".nav-tabs").get_by_role("link", name="Settings", exact=True).click()
    expect(page).to_have_url(f"{base}/staff/clients/{client.pk}/settings/")
    admin_email = page.locator('input[name="admin_email"]')
    expect(admin_email).to_be_hidden()
    page.locator("#access-switch").check()
    expect(admin_email).to_be_visible()
    admin_email.fill(ALICE_EMAIL)
    page.locator('input[name="admin_first_name"]').fill("Alice")
    page.locator('input[name="admin_last_name"]').fill("Admin")
    shot(page, "staff settings access switch on")
    page.get_by_role("button", name="Turn on and send invitation").click()

    expect(page).to_have_url(f"{base}/staff/clients/{client.pk}/settings/")
    expect(messages).to_contain_text(f"Storefront access is on. Invitation sent to {ALICE_EMAIL}.")
    expect(page.get_by_test_id("invitation-state")).to_have_text("Invitation sent")
    expect(page.locator("#access-switch")).to_be_checked()
    shot(page, "staff settings invitation sent")

    # --- Alice's invitation arrives over SMTP; she joins -----------------------------------------------------
    alice_link = check_invitation_email(
        wait_for_email(smtp_email, ALICE_EMAIL), to=ALICE_EMAIL, role_label="Admin", base_url=base
    )
    sign_out(page, base)

    page.goto(alice_link)
    expect(page.get_by_role("heading", name=f"Join {CLIENT_NAME}")).to_be_visible()
    expect(page.get_by_text("You were invited as Admin")).to_be_visible()
    expect(page.locator('input[name="first_name"]')).to_have_value("Alice")
    expect(page.locator('input[name="last_name"]')).to_have_value("Admin")
    expect(page.get_by_test_id("user-menu")).to_have_count(0)
    shot(page, "alice invitation page")
    accept_invitation(page, first_name="Alice", last_name="Admin", password=ALICE_PASSWORD)

    expect(page).to_have_url(f"{base}/portal/")
    expect(messages).to_contain_text(f"Welcome to {CLIENT_NAME}. Your password is set.")
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()
    expect(page.get_by_text(f"{CLIENT_NAME} · Storefronts portal")).to_be_visible()
    expect(page.get_by_text(f"You are Admin of {CLIENT_NAME}.")).to_be_visible()
    expect(page.get_by_test_id("user-menu")).to_contain_text("Admin")
    for link in ("Dashboard", "Stores", "User management"):
        expect(sidebar.get_by_role("link", name=link)).to_be_visible()
    shot(page, "alice dashboard after joining")

    # --- Alice adds a manual store ------------------------------------------------------------------------------
    sidebar.get_by_role("link", name="Stores").click()
    expect(page).to_have_url(f"{base}/portal/stores/")
    page.locator(".page-header").get_by_role("link", name="Add manual store").click()
    expect(page).to_have_url(f"{base}/portal/stores/add/")
    page.locator('input[name="name"]').fill("Northwind phone orders")
    shot(page, "alice add manual store")
    page.get_by_role("button", name="Add store").click()
    expect(messages).to_contain_text("Manual store “Northwind phone orders” added.")
    expect(page.get_by_role("heading", name="Northwind phone orders", level=1)).to_be_visible()
    shot(page, "alice store added")

    sidebar.get_by_role("link", name="Stores").click()
    expect(page).to_have_url(f"{base}/portal/stores/")
    expect(page.get_by_role("table").get_by_role("link", name="Northwind phone orders")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Manual")
    shot(page, "alice stores list")

    # --- Alice invites Olivia as Order manager ---------------------------------------------------------------
    sidebar.get_by_role("link", name="User management").click()
    expect(page).to_have_url(f"{base}/portal/settings/users/")
    expect(page.get_by_role("heading", name="User management")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=ALICE_EMAIL)).to_contain_text("Admin")
    page.get_by_role("link", name="Add user").click()
    expect(page).to_have_url(f"{base}/portal/settings/users/invite/")
    page.locator('input[name="email"]').fill(OLIVIA_EMAIL)
    page.locator('input[name="first_name"]').fill("Olivia")
    page.locator('input[name="last_name"]').fill("Orders")
    page.locator('input[name="role"][value="order_manager"]').check()
    expect(page.locator("[data-stores-field]")).to_be_hidden()  # stores are asked for Store managers only
    shot(page, "alice invite order manager")
    page.get_by_role("button", name="Send invitation").click()

    expect(page).to_have_url(f"{base}/portal/settings/users/")
    expect(messages).to_contain_text(f"Invitation sent to {OLIVIA_EMAIL}.")
    olivia_row = page.get_by_role("row").filter(has_text=OLIVIA_EMAIL)
    expect(olivia_row).to_have_count(1)
    expect(olivia_row).to_contain_text("Order manager")
    expect(olivia_row.locator(".badge")).to_have_text("Invitation sent")
    shot(page, "alice user management invitation sent")

    # --- Olivia's invitation arrives; Alice signs out and Olivia joins -------------------------------------------
    olivia_email = wait_for_email(smtp_email, OLIVIA_EMAIL)
    olivia_link = check_invitation_email(olivia_email, to=OLIVIA_EMAIL, role_label="Order manager", base_url=base)
    assert "Alice Admin invited you" in text_body(olivia_email)
    sign_out(page, base)

    page.goto(olivia_link)
    expect(page.get_by_role("heading", name=f"Join {CLIENT_NAME}")).to_be_visible()
    expect(page.get_by_text("You were invited as Order manager")).to_be_visible()
    shot(page, "olivia invitation page")
    accept_invitation(page, first_name="Olivia", last_name="Orders", password=OLIVIA_PASSWORD)
    expect(page).to_have_url(f"{base}/portal/")
    expect(page.get_by_role("heading", name="Welcome, Olivia")).to_be_visible()
    expect(page.get_by_text(f"You are Order manager of {CLIENT_NAME}.")).to_be_visible()
    expect(page.get_by_text("You follow the orders of 1 store.")).to_be_visible()
    expect(sidebar.get_by_role("link", name="Dashboard")).to_be_visible()
    expect(sidebar.get_by_role("link", name="User management")).to_have_count(0)
    expect(sidebar.get_by_role("link", name="Stores")).to_have_count(0)
    expect(page.get_by_role("link", name="User management")).to_have_count(0)  # nor in the dashboard's cards
    shot(page, "olivia dashboard")

    response = page.goto(f"{base}/portal/settings/users/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="You cannot do this")).to_be_visible()
    expect(page.get_by_text("Your role does not allow this. Ask an Admin of your team.")).to_be_visible()
    shot(page, "olivia user management forbidden")
    response = page.goto(f"{base}/portal/stores/")
    assert response is not None and response.status == 403

    membership = Membership.objects.select_related("user").get(user__email=OLIVIA_EMAIL)
    assert (membership.client_id, membership.role) == (client.pk, Role.ORDER_MANAGER)
    assert (membership.user.first_name, membership.user.last_name) == ("Olivia", "Orders")

    # --- staff see Alice as Active ------------------------------------------------------------------------------
    page.goto(f"{base}/portal/")
    sign_out(page, base)
    sign_in(page, base, STAFF_EMAIL, PASSWORD)
    expect(page).to_have_url(f"{base}/staff/clients/")
    client_row = page.get_by_role("row").filter(has_text=CLIENT_NAME)
    expect(client_row).to_contain_text("NW-1")
    expect(client_row).to_contain_text("On")
    client_row.get_by_role("link", name=CLIENT_NAME).click()
    team = page.get_by_role("table")
    expect(team.get_by_role("row").filter(has_text=ALICE_EMAIL)).to_contain_text("Admin")
    expect(team.get_by_role("row").filter(has_text=OLIVIA_EMAIL)).to_contain_text("Order manager")
    shot(page, "staff client overview with team")
    page.locator(".nav-tabs").get_by_role("link", name="Settings", exact=True).click()
    expect(page).to_have_url(f"{base}/staff/clients/{client.pk}/settings/")
    expect(page.get_by_test_id("invitation-state")).to_have_text("Active")
    expect(page.get_by_role("row").filter(has_text=ALICE_EMAIL)).to_contain_text("Alice Admin")
    shot(page, "staff settings admin active")

    assert len(smtp_email.messages) == 2  # exactly one email per invitation


def test_used_invitation_link_cannot_be_used_again(
    page: Page, live_server: Any, smtp_email: SMTPServer, shot: Shot
) -> None:
    base = live_server.url
    client = ClientFactory(name=CLIENT_NAME, storefront_access=True)
    client_services.invitation_create(
        client=client,
        email="reader@northwind.test",
        first_name="Rita",
        last_name="Reader",
        role=Role.READ_ONLY,
        actor=StaffFactory(),
        base_url=f"{base}/",
    )
    link = check_invitation_email(
        wait_for_email(smtp_email, "reader@northwind.test"),
        to="reader@northwind.test",
        role_label="Read-only",
        base_url=base,
    )

    page.goto(link)
    accept_invitation(page, first_name="Rita", last_name="Reader", password="Read-only-2026!z")
    expect(page).to_have_url(f"{base}/portal/")
    assert Invitation.objects.get(email="reader@northwind.test").accepted_at is not None
    sign_out(page, base)

    response = page.goto(link)
    assert response is not None and response.status == 400
    expect(page.get_by_role("heading", name="This invitation cannot be used")).to_be_visible()
    expect(page.get_by_test_id("invitation-reason")).to_contain_text("This invitation has already been used.")
    expect(page.get_by_role("button", name="Set password and continue")).to_have_count(0)
    expect(page.get_by_role("link", name="Go to sign-in")).to_be_visible()
    shot(page, "used invitation link")
