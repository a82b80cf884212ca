import re

import pytest
from django.urls import reverse

from printconnect.clients.models import Invitation, Membership
from printconnect.clients.services import invitation_create, invitation_token, storefront_access_disable
from printconnect.core.models import User
from printconnect.core.permissions import Role
from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD, StaffFactory
from tests.factories.storefronts import make_member, make_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    client = ClientFactory(name="Northwind")
    return client, make_member(client, Role.ADMIN, email="admin@northwind.test")


def signed_in(client, user):
    assert client.login(username=user.email, password=PASSWORD)
    return client


def test_admin_invites_an_order_manager_who_gets_an_email(client, team, mailoutbox, run_on_commit):
    _company, admin = team
    signed_in(client, admin)
    with run_on_commit():
        response = client.post(
            reverse("portal:user_invite"),
            {"email": "Olivia@Northwind.test", "first_name": "Olivia", "last_name": "O", "role": Role.ORDER_MANAGER},
        )
    assert response["Location"] == reverse("portal:user_list")
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "olivia@northwind.test",
        Role.ORDER_MANAGER,
        admin,
    )
    assert mailoutbox[0].to == ["olivia@northwind.test"]
    assert "Invitation sent" in client.get(reverse("portal:user_list")).text


def test_inviting_a_member_again_is_an_inline_error_and_sends_nothing(client, team, mailoutbox, run_on_commit):
    _, admin = team
    signed_in(client, admin)
    with run_on_commit():
        response = client.post(
            reverse("portal:user_invite"),
            {"email": "ADMIN@northwind.test", "first_name": "A", "last_name": "B", "role": Role.READ_ONLY},
        )
    assert response.status_code == 200
    assert "already a member" in response.text
    assert not Invitation.objects.exists() and mailoutbox == []


def test_invite_with_an_invalid_email_is_an_inline_error(client, team):
    _, admin = team
    signed_in(client, admin)
    response = client.post(
        reverse("portal:user_invite"), {"email": "not an email", "first_name": "A", "last_name": "B", "role": "admin"}
    )
    assert "Enter a valid email address" in response.text
    assert not Invitation.objects.exists()


def test_store_manager_invitation_needs_stores(client, team):
    company, admin = team
    make_store(company)
    signed_in(client, admin)
    response = client.post(
        reverse("portal:user_invite"),
        {"email": "s@northwind.test", "first_name": "S", "last_name": "M", "role": Role.STORE_MANAGER},
    )
    assert "Choose at least one store" in response.text
    assert not Invitation.objects.exists()


def test_store_manager_invitation_rejects_another_clients_store(client, team):
    _, admin = team
    foreign = make_store(ClientFactory())
    signed_in(client, admin)
    response = client.post(
        reverse("portal:user_invite"),
        {"email": "s@n.test", "first_name": "S", "last_name": "M", "role": Role.STORE_MANAGER, "stores": [foreign.pk]},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert not Invitation.objects.exists()


def test_removing_the_last_admin_says_why_and_changes_nothing(client, team):
    _, admin = team
    signed_in(client, admin)
    response = client.post(reverse("portal:member_remove", kwargs={"pk": admin.membership.pk}), follow=True)
    assert "only Admin" in response.text
    admin.refresh_from_db()
    assert admin.is_active and Membership.objects.filter(user=admin).exists()


def test_demoting_the_last_admin_is_an_inline_error(client, team):
    _, admin = team
    signed_in(client, admin)
    response = client.post(reverse("portal:member_edit", kwargs={"pk": admin.membership.pk}), {"role": "read_only"})
    assert "only Admin" in response.text
    assert Membership.objects.get(user=admin).role == Role.ADMIN


def test_admin_changes_a_role_and_assigns_stores(client, team):
    company, admin = team
    store = make_store(company)
    person = make_member(company, Role.READ_ONLY)
    signed_in(client, admin)
    response = client.post(
        reverse("portal:member_edit", kwargs={"pk": person.membership.pk}),
        {"role": Role.STORE_MANAGER, "stores": [store.pk]},
    )
    assert response.status_code == 302
    person = User.objects.get(pk=person.pk)
    assert person.membership.role == Role.STORE_MANAGER
    assert person.has_perm("storefronts.change_store", store)
    assert store.name in client.get(reverse("portal:user_list")).text


def test_order_manager_does_not_see_user_management(client, team):
    company, _ = team
    olivia = make_member(company, Role.ORDER_MANAGER)
    signed_in(client, olivia)
    page = client.get(reverse("portal:dashboard"))
    assert "User management" not in page.text
    assert reverse("portal:store_list") not in page.text


def test_admin_adds_a_manual_store(client, team):
    company, admin = team
    signed_in(client, admin)
    response = client.post(reverse("portal:store_add"), {"name": "Phone orders"})
    store = Store.objects.get(client=company)
    assert response["Location"] == reverse("portal:store_detail", kwargs={"pk": store.pk})
    assert store.platform == Store.Platform.MANUAL
    again = client.post(reverse("portal:store_add"), {"name": "phone orders"})
    assert "already has a store" in again.text
    assert Store.objects.filter(client=company).count() == 1


# --- accepting invitations ---------------------------------------------------------------------------------------


def _invitation(company, email="new@northwind.test", role=Role.READ_ONLY):
    return invitation_create(client=company, email=email, role=role, actor=StaffFactory(), base_url="")


def test_accepting_sets_the_password_and_lands_on_the_dashboard(client, team):
    company, _ = team
    invitation = _invitation(company)
    url = reverse("invitation_accept", kwargs={"token": invitation_token(invitation)})
    assert "new@northwind.test" in client.get(url).text
    response = client.post(
        url,
        {"first_name": "New", "last_name": "Person", "password1": "Print-shop-2026!", "password2": "Print-shop-2026!"},
    )
    assert response["Location"] == reverse("portal:dashboard")
    dashboard = client.get(reverse("portal:dashboard"))
    assert "Welcome, New" in dashboard.text and "Read-only" in dashboard.text


@pytest.mark.parametrize(
    ("password1", "password2", "message"),
    [
        ("Print-shop-2026!", "Different-2026!", "The two passwords differ"),
        ("short", "short", "too short"),
        ("1234567890123", "1234567890123", "entirely numeric"),
    ],
)
def test_accepting_with_a_bad_password_is_an_inline_error_and_creates_nothing(
    client, team, password1, password2, message
):
    company, _ = team
    invitation = _invitation(company)
    url = reverse("invitation_accept", kwargs={"token": invitation_token(invitation)})
    response = client.post(url, {"first_name": "N", "last_name": "P", "password1": password1, "password2": password2})
    assert response.status_code == 200
    assert message in response.text
    assert not User.objects.filter(email="new@northwind.test").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_a_tampered_link_gets_a_clear_page(client, team):
    company, _ = team
    token = invitation_token(_invitation(company))
    tampered = re.sub(r".$", lambda m: "A" if m.group() != "A" else "B", token)
    response = client.get(reverse("invitation_accept", kwargs={"token": tampered}))
    assert response.status_code == 400
    assert "not valid" in response.text


# --- sign-in ---------------------------------------------------------------------------------------------------------


def test_sign_in_with_any_case_of_the_email(client, team):
    _, _admin = team
    response = client.post(reverse("account_login"), {"login": "ADMIN@Northwind.TEST", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_sign_in_is_refused_while_storefront_access_is_off(client, team):
    company, admin = team
    storefront_access_disable(client=company, actor=StaffFactory())
    response = client.post(reverse("account_login"), {"login": admin.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "switched off portal access" in response.text
    assert client.get(reverse("portal:dashboard")).status_code == 302


def test_an_open_session_ends_when_storefront_access_is_turned_off(client, team):
    company, admin = team
    signed_in(client, admin)
    storefront_access_disable(client=company, actor=StaffFactory())
    response = client.get(reverse("portal:dashboard"), follow=True)
    assert "has been switched off" in response.text
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert not response.context["user"].is_authenticated


def test_failed_sign_ins_are_rate_limited(client, team):
    _, admin = team
    for _ in range(5):
        client.post(reverse("account_login"), {"login": admin.email, "password": "wrong-password"})
    response = client.post(reverse("account_login"), {"login": admin.email, "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert "Too many failed login attempts" in response.text
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link(client, team, mailoutbox):
    _, _admin = team
    response = client.post(reverse("account_reset_password"), {"email": "Admin@Northwind.test"})
    assert response.status_code == 302
    assert mailoutbox and mailoutbox[0].to == ["admin@northwind.test"]
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


def test_password_reset_email_is_delivered_over_real_smtp(client, team, smtp_email):
    from tests.smtp import text_body, wait_for_email

    _, admin = team
    client.post(reverse("account_reset_password"), {"email": admin.email})
    body = text_body(wait_for_email(smtp_email, admin.email))
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", body)
    assert link, body
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": "Brand-new-pass-2026", "password2": "Brand-new-pass-2026"},
    )
    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.check_password("Brand-new-pass-2026")


def test_invitation_email_is_delivered_over_real_smtp(client, team, smtp_email, run_on_commit):
    from tests.smtp import invitation_link, wait_for_email

    _, admin = team
    signed_in(client, admin)
    with run_on_commit():
        client.post(
            reverse("portal:user_invite"),
            {"email": "smtp@northwind.test", "first_name": "S", "last_name": "M", "role": Role.READ_ONLY},
        )
    message = wait_for_email(smtp_email, "smtp@northwind.test")
    assert message["Subject"] == "You are invited to Northwind on printconnect"
    assert message.get_body(preferencelist=("html",)) is not None
    assert client.get(invitation_link(message).replace("http://testserver", "")).status_code == 200


def test_user_management_does_not_offer_to_remove_the_only_admin(client, team):
    company, admin = team
    other = make_member(company, Role.READ_ONLY)
    signed_in(client, admin)
    page = client.get(reverse("portal:user_list")).text
    assert reverse("portal:member_remove", kwargs={"pk": admin.membership.pk}) not in page
    assert reverse("portal:member_remove", kwargs={"pk": other.membership.pk}) in page
    assert "The only Admin cannot be removed" in page
