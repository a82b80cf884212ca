"""Issue 5's figure for the portal list: at most 5 queries a page, however many orders and stores."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from printconnect.core.permissions import Role
from tests.factories.clients import ClientFactory
from tests.factories.storefronts import make_member, make_store
from tests.orders.test_order_pages import _numbers, _orders

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.ORDER_MANAGER, Role.READ_ONLY, Role.ADMIN])
def test_portal_order_list_reads_at_most_five_queries_when_the_client_has_many_stores_and_orders(
    client, role, django_assert_max_num_queries
):
    theirs = ClientFactory()
    stores = [make_store(theirs, name=f"Store {n}") for n in range(6)]
    for n, store in enumerate(stores):
        _orders(store, 10, start=n * 100)
    _orders(make_store(ClientFactory()), 5, start=900)  # another client's: never listed
    client.force_login(make_member(theirs, role))
    url = reverse("portal:order_list")
    client.get(url)  # the session is read from the database once, then from the cache
    # user, membership (with the side bar's permissions), the stores, the page of orders, the error bell
    with django_assert_max_num_queries(5):
        response = client.get(url)
    assert response.status_code == 200 and len(_numbers(response)) == 25
    with django_assert_max_num_queries(5):
        response = client.get(url, {"store": stores[2].pk})
    assert len(_numbers(response)) == 10


@pytest.mark.skipif(connection.vendor != "postgresql", reason="extended statistics are PostgreSQL's")
def test_the_planner_knows_an_orders_store_determines_its_client_when_on_postgresql():
    """Without the dependency statistics the portal's filter (client and the member's stores) is estimated at a
    hundredth of its rows, and the page reads and sorts all of the client's orders instead of one index page."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT stxkind FROM pg_statistic_ext WHERE stxname = %s", ["orders_order_store_client_dep"])
        (kinds,) = cursor.fetchone()
    assert "f" in kinds  # f: functional dependencies
