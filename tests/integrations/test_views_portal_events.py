"""The portal's errors: the bell counts what the role shows; resolving needs the right to change the store."""

from __future__ import annotations

import pytest
from django.urls import reverse

from printconnect.core.permissions import Role
from printconnect.integrations.models import IntegrationEvent
from printconnect.integrations.services import event_record
from tests.factories.clients import ClientFactory
from tests.factories.storefronts import make_member, make_store

pytestmark = pytest.mark.django_db


def _error(store, message: str) -> IntegrationEvent:
    return event_record(store=store, severity="error", code="test.problem", message=message, object_id=message)


def test_the_bell_counts_the_errors_of_the_stores_a_store_manager_has(client):
    acme = ClientFactory()
    mine, theirs = make_store(acme), make_store(acme)
    _error(mine, "Key refused for mine")
    _error(theirs, "Key refused for theirs")
    event_record(store=mine, severity="info", code="test.rule", message="A cancelled order was not imported.")
    _error(make_store(ClientFactory()), "Another client's problem")
    client.force_login(make_member(acme, Role.STORE_MANAGER, stores=[mine]))
    page = client.get(reverse("portal:event_list")).content.decode()
    assert 'data-testid="bell-count">1<' in page
    assert "Key refused for mine" in page and "theirs" not in page and "Another client" not in page
    assert "cancelled order" not in page  # Info events are a rule, not a problem


def test_an_admin_resolves_an_error_and_the_bell_goes_out(client):
    acme = ClientFactory()
    store = make_store(acme)
    event = _error(store, "Key refused")
    admin = make_member(acme, Role.ADMIN)
    client.force_login(admin)
    dashboard = client.get(reverse("portal:dashboard")).content.decode()
    assert 'data-testid="bell-count">1<' in dashboard
    response = client.post(reverse("portal:event_resolve", args=[event.pk]), {"next": "/portal/"})
    assert response.status_code == 302 and response.url == "/portal/"
    event.refresh_from_db()
    assert event.resolved_by == admin
    assert 'data-testid="bell-count"' not in client.get(reverse("portal:dashboard")).content.decode()


def test_read_only_users_see_errors_without_buttons_and_cannot_resolve(client):
    acme = ClientFactory()
    event = _error(make_store(acme), "Key refused")
    client.force_login(make_member(acme, Role.READ_ONLY))
    page = client.get(reverse("portal:event_list")).content.decode()
    assert "Key refused" in page and 'data-testid="resolve-' not in page
    assert client.post(reverse("portal:event_resolve", args=[event.pk])).status_code == 403
    event.refresh_from_db()
    assert event.resolved_at is None


def test_resolving_redirects_only_inside_the_portal(client):
    acme = ClientFactory()
    event = _error(make_store(acme), "Key refused")
    client.force_login(make_member(acme, Role.ADMIN))
    response = client.post(reverse("portal:event_resolve", args=[event.pk]), {"next": "https://evil.example/"})
    assert response.url == reverse("portal:event_list")


def test_the_errors_page_checks_permissions_in_one_query_whatever_the_number_of_stores(
    client, django_assert_max_num_queries
):
    acme = ClientFactory()
    stores = [make_store(acme) for _ in range(2)]
    for store in stores:
        _error(store, f"Key refused {store.pk}")
    client.force_login(make_member(acme, Role.ADMIN))
    client.get(reverse("portal:event_list"))  # warm the session
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("portal:event_list"))
    for _ in range(8):
        _error(make_store(acme), "Another refused key")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("portal:event_list")).content.decode()
    assert page.count('data-testid="resolve-') == 10
