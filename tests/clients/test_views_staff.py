import pytest
from django.urls import reverse

from printconnect.clients.models import Client, Invitation
from printconnect.core.permissions import Role
from tests.factories.clients import ClientFactory
from tests.factories.core import StaffFactory
from tests.factories.storefronts import make_member, make_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("staff:client_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_client_list_searches_by_name_and_reference(staff_client):
    ClientFactory(name="Northwind Posters", reference="NW-1")
    ClientFactory(name="Contoso Cards", reference="PRESS-77")
    by_name = staff_client.get(reverse("staff:client_list"), {"q": "northwind"})
    assert "Northwind Posters" in by_name.text and "Contoso" not in by_name.text
    by_reference = staff_client.get(reverse("staff:client_list"), {"q": "press-77"})
    assert "Contoso Cards" in by_reference.text and "Northwind" not in by_reference.text
    nothing = staff_client.get(reverse("staff:client_list"), {"q": "zzz"})
    assert "No client matches" in nothing.text


def test_client_list_paginates_with_a_constant_number_of_queries(staff_client, django_assert_max_num_queries):
    for n in range(60):
        client = ClientFactory(name=f"Client {n:03d}")
        if n % 10 == 0:
            make_store(client)
    with django_assert_max_num_queries(8):
        first = staff_client.get(reverse("staff:client_list"))
    assert "1–25 of 60" in first.text and "Page 1 of 3" in first.text
    third = staff_client.get(reverse("staff:client_list"), {"page": 3})
    assert "Client 059" in third.text and "Client 000" not in third.text


def test_client_list_answers_htmx_search_with_the_table_only(staff_client):
    ClientFactory(name="Northwind Posters")
    response = staff_client.get(
        reverse("staff:client_list"), {"q": "north"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="client-table"
    )
    assert "Northwind Posters" in response.text
    assert "<html" not in response.text


def test_create_client_shows_the_duplicate_reference_inline_and_saves_nothing(staff_client):
    ClientFactory(reference="PRESSERO-1")
    response = staff_client.post(
        reverse("staff:client_create"), {"name": "Copy", "reference": "pressero-1", "description": ""}
    )
    assert response.status_code == 200
    assert "already used by another client" in response.text
    assert "is-invalid" in response.text
    assert Client.objects.count() == 1


def test_create_client_then_land_on_its_page(staff_client):
    response = staff_client.post(
        reverse("staff:client_create"), {"name": "Northwind", "reference": "", "description": "Posters"}
    )
    client = Client.objects.get(name="Northwind")
    assert response["Location"] == reverse("staff:client_detail", kwargs={"pk": client.pk})
    assert client.reference is None


def test_turning_access_on_asks_for_the_admin_and_sends_the_invitation(staff_client, mailoutbox, run_on_commit):
    client = ClientFactory(storefront_access=False)
    url = reverse("staff:client_settings", kwargs={"pk": client.pk})
    missing = staff_client.post(url, {"storefront_access": "on", "admin_email": "not-an-email"})
    assert "Enter a valid email address" in missing.text
    client.refresh_from_db()
    assert client.storefront_access is False
    with run_on_commit():
        staff_client.post(
            url,
            {
                "storefront_access": "on",
                "admin_email": "Ann@Client.test",
                "admin_first_name": "Ann",
                "admin_last_name": "A",
            },
        )
    client.refresh_from_db()
    assert client.storefront_access is True
    assert [m.to for m in mailoutbox] == [["ann@client.test"]]
    page = staff_client.get(url)
    assert "Invitation sent" in page.text and "Resend invitation" in page.text


def test_settings_tab_shows_active_once_the_admin_joined(staff_client):
    client = ClientFactory()
    make_member(client, Role.ADMIN, email="boss@client.test")
    page = staff_client.get(reverse("staff:client_settings", kwargs={"pk": client.pk}))
    assert "boss@client.test" in page.text and "Active" in page.text


def test_resend_invitation_from_the_settings_tab_rotates_the_link(staff_client, mailoutbox, run_on_commit):
    client = ClientFactory(storefront_access=False)
    with run_on_commit():
        staff_client.post(
            reverse("staff:client_settings", kwargs={"pk": client.pk}),
            {"storefront_access": "on", "admin_email": "a@c.test", "admin_first_name": "A", "admin_last_name": "C"},
        )
    invitation = Invitation.objects.get()
    nonce = invitation.nonce
    with run_on_commit():
        staff_client.post(
            reverse("staff:client_invitation_resend", kwargs={"pk": client.pk, "invitation_pk": invitation.pk})
        )
    invitation.refresh_from_db()
    assert invitation.nonce != nonce
    assert len(mailoutbox) == 2


def test_turning_access_off_and_on_again_keeps_the_team(staff_client):
    client = ClientFactory()
    make_member(client, Role.ADMIN)
    url = reverse("staff:client_settings", kwargs={"pk": client.pk})
    staff_client.post(url, {"storefront_access": "off"})
    client.refresh_from_db()
    assert client.storefront_access is False
    page = staff_client.get(url)
    assert "already has an admin" in page.text
    staff_client.post(url, {"storefront_access": "on"})
    client.refresh_from_db()
    assert client.storefront_access is True
    assert Invitation.objects.count() == 0


def test_web_admin_sign_in_goes_through_the_rate_limited_sign_in_page(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
