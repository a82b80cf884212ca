"""Settings > API tokens (client Admins) and the staff console's token page: shown once, listed by prefix, revoked."""

from __future__ import annotations

import pytest
from django.urls import reverse

from printconnect.api.models import ApiToken
from printconnect.api.services import api_token_create, token_hash
from printconnect.core.exceptions import ApplicationError
from printconnect.core.permissions import Role
from tests.factories.api import make_token
from tests.factories.clients import ClientFactory
from tests.factories.core import StaffFactory
from tests.factories.storefronts import make_member, make_store

pytestmark = pytest.mark.django_db


def test_a_client_admin_sees_the_new_token_once_when_making_it(client):
    a = ClientFactory()
    store = make_store(a)
    admin = make_member(a, Role.ADMIN)
    client.force_login(admin)
    url = reverse("portal:api_token_list")
    response = client.post(url, {"name": "Infigo checkout", "store": store.pk, "scopes": ["shipping_rates"]})
    assert response.status_code == 200
    token = ApiToken.objects.get()
    raw = response.context["secret"]
    assert token_hash(raw) == token.secret_hash
    assert (token.client, token.store, token.scopes, token.created_by) == (a, store, ["shipping_rates"], admin)
    assert raw in response.content.decode() and "shown only once" in response.content.decode()
    listed = client.get(url).content.decode()
    assert raw not in listed and f"{token.prefix}…" in listed


def test_a_client_admin_cannot_make_a_token_for_another_clients_store_when_posting_its_id(client):
    a, b = ClientFactory(), ClientFactory()
    client.force_login(make_member(a, Role.ADMIN))
    response = client.post(
        reverse("portal:api_token_list"), {"name": "x", "store": make_store(b).pk, "scopes": ["orders:read"]}
    )
    assert response.status_code == 200 and "store" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_a_token_stops_working_when_an_admin_revokes_it(client):
    a = ClientFactory()
    token, raw = make_token(client=a)
    client.force_login(make_member(a, Role.ADMIN))
    response = client.post(reverse("portal:api_token_revoke", kwargs={"pk": token.pk}))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.logout()
    assert client.get("/api/v1/orders/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_staff_make_a_staff_wide_token_when_no_client_is_chosen(client):
    staff = StaffFactory()
    client.force_login(staff)
    response = client.post(reverse("staff_api:token_list"), {"name": "Central MIS", "scopes": ["orders:read"]})
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert token.client is None and token.created_by == staff
    assert "All clients (staff token)" in client.get(reverse("staff_api:token_list")).content.decode()


def test_staff_get_the_stores_client_when_they_pick_only_a_store(client):
    a = ClientFactory()
    store = make_store(a)
    client.force_login(StaffFactory())
    client.post(reverse("staff_api:token_list"), {"name": "Shop", "store": store.pk, "scopes": ["shipping_rates"]})
    token = ApiToken.objects.get()
    assert (token.client, token.store) == (a, store)


def test_only_staff_make_a_staff_wide_token_when_the_service_is_called():
    with pytest.raises(ApplicationError, match="Only print shop staff"):
        api_token_create(name="x", scopes=["orders:read"], client=None, actor=make_member(ClientFactory()))
    assert not ApiToken.objects.exists()


def test_the_megascript_downloads_with_its_honest_header_when_asked(client):
    client.force_login(StaffFactory())
    response = client.get(reverse("staff_api:infigo_script"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    assert "Run.ExternalApi.Execute" in text and "not public" in text and "/api/v1/shipping-rates" in text
