"""The staff order list and order page, and the portal's, scoped by role."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from printconnect.core.permissions import Role
from printconnect.orders.models import Order, OrderStatusChange, OutboxEvent, PrintFile, Shipment
from printconnect.orders.selectors import OrderFilters, orders_filtered, orders_page
from printconnect.orders.services import order_intake, order_status_change
from tests.factories.clients import ClientFactory
from tests.factories.core import StaffFactory
from tests.factories.orders import order_data, received_order
from tests.factories.storefronts import make_member, make_store

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _orders(store, count, *, start=0, **fields):
    """Plain order rows (the list reads rows; how they came in does not matter to it), one an hour from T0."""
    now = timezone.now()
    values = {
        "status": Order.Status.RECEIVED,
        "store_status": "processing",
        "financial_status": "paid",
        "currency": "EUR",
        "total": Decimal("10.00"),
        "synced_at": now,
    }
    return Order.objects.bulk_create(
        Order(
            store=store,
            client=store.client,
            external_id=f"{store.pk}-{n}",
            number=f"{store.pk}-{n}",
            customer_name=f"Customer {n}",
            customer_email=f"c{n}@example.test",
            **{**values, "placed_at": T0 + timedelta(hours=n), **fields},
        )
        for n in range(start, start + count)
    )


def _numbers(response):
    return re.findall(r'data-order="(\d+)"', response.content.decode())


def _cursor(response, rel):
    match = re.search(rf'rel="{rel}" href="\?([^"]*)"', response.content.decode())
    return match.group(1).replace("&amp;", "&") if match else None


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


@pytest.fixture
def store():
    return make_store(ClientFactory(name="Acme prints"))


# --- selectors -------------------------------------------------------------------------------------------------


def test_keyset_pages_walk_every_order_once_both_ways_and_stay_stable_under_inserts(store):
    created = _orders(store, 60)
    # Same placed_at for several orders: the pk breaks the tie, so none is skipped or shown twice.
    _orders(store, 5, start=100, placed_at=T0 + timedelta(hours=30))
    everything = list(Order.objects.order_by("-placed_at", "-pk").values_list("pk", flat=True))
    seen, page = [], orders_page(orders=Order.objects.all(), size=25)
    pages = [page]
    while True:
        seen += [o.pk for o in page.orders]
        if not page.next_cursor:
            break
        # A new order arrives between page loads: the next page is unchanged by it (it is newer than the cursor).
        _orders(store, 1, start=1000 + len(seen), placed_at=timezone.now())
        page = orders_page(orders=Order.objects.all(), after=page.next_cursor, size=25)
        pages.append(page)
    assert seen == everything
    assert len(created) + 5 == len(seen)
    # Back from the last page: the previous page is the one shown before.
    back = orders_page(orders=Order.objects.all(), before=pages[-1].previous_cursor, size=25)
    assert [o.pk for o in back.orders] == [o.pk for o in pages[-2].orders]
    assert pages[0].first_page and not pages[0].previous_cursor


def test_a_tampered_cursor_shows_the_first_page(store):
    _orders(store, 3)
    page = orders_page(orders=Order.objects.all(), after="not-a-cursor")
    assert page.first_page and len(page.orders) == 3


def test_filters_narrow_by_each_field(store):
    other = make_store(ClientFactory(name="Other"))
    _orders(store, 3)
    _orders(other, 2, start=10, is_test=True)
    _orders(store, 1, start=20, status=Order.Status.ON_HOLD, hold_reason=Order.HoldReason.UNMAPPED_PRODUCT)

    def count(**kwargs):
        return orders_filtered(orders=Order.objects.all(), filters=OrderFilters(**kwargs)).count()

    assert count(client_id=store.client_id) == 4
    assert count(store_id=other.pk) == 2
    assert count(status=Order.Status.ON_HOLD) == 1
    assert count(hold_reason=Order.HoldReason.UNMAPPED_PRODUCT) == 1
    assert count(hold_reason=Order.HoldReason.AWAITING_PAYMENT) == 0
    assert count(test="test") == 2 and count(test="real") == 4
    # Order 20 is placed the next day (T0 is noon); the others on T0's day. Both ends of the range are included.
    assert count(placed_from=(T0 + timedelta(days=1)).date()) == 1
    assert count(placed_from=T0.date(), placed_to=T0.date()) == 5
    assert count(search=f"#{store.pk}-1") == 1
    assert count(search="customer 2") == 2  # "Customer 2" and "Customer 20"
    assert count(search="c11@example") == 1


# --- staff list --------------------------------------------------------------------------------------------------


def test_staff_list_shows_newest_first_with_test_badge_and_pages_by_cursor(staff_client, store):
    _orders(store, 30)
    _orders(store, 1, start=40, is_test=True)
    url = reverse("staff_orders:order_list")
    first = staff_client.get(url)
    assert first.status_code == 200
    body = first.content.decode()
    assert "The newest 25 orders" in body and body.count('data-testid="test-badge"') == 1
    assert len(_numbers(first)) == 25
    second = staff_client.get(f"{url}?{_cursor(first, 'next')}")
    assert len(_numbers(second)) == 6 and not set(_numbers(first)) & set(_numbers(second))
    assert _cursor(second, "next") is None
    back = staff_client.get(f"{url}?{_cursor(second, 'prev')}")
    assert _numbers(back) == _numbers(first)


def test_staff_list_filters_and_search_through_the_page_keep_filters_in_pager_links(staff_client, store):
    other = make_store(ClientFactory(name="Other"))
    _orders(store, 30)
    _orders(other, 3, start=50)
    url = reverse("staff_orders:order_list")
    response = staff_client.get(url, {"client": other.client_id})
    assert len(_numbers(response)) == 3 and other.name in response.content.decode()
    response = staff_client.get(url, {"client": store.client_id, "store": store.pk})
    assert f"client={store.client_id}" in _cursor(response, "next")
    response = staff_client.get(url, {"q": f"{store.pk}-7"})
    assert len(_numbers(response)) == 1
    response = staff_client.get(url, {"q": "nobody-like-this"})
    assert "No order matches these filters." in response.content.decode()


def test_staff_list_queries_stay_flat_with_more_orders(staff_client, store):
    url = reverse("staff_orders:order_list")
    _orders(store, 5)
    with CaptureQueriesContext(connection) as few:
        staff_client.get(url, {"client": store.client_id})
    _orders(make_store(ClientFactory()), 200, start=100)
    _orders(store, 50, start=400)
    with CaptureQueriesContext(connection) as many:
        page = staff_client.get(url, {"client": store.client_id})
    with CaptureQueriesContext(connection) as next_page:
        staff_client.get(f"{url}?{_cursor(page, 'next')}")
    assert len(few) == len(many) == len(next_page)
    # Session, user and the base template's open-errors bell, then the client menu, the store menu and the page.
    assert len(many) <= 6, [q["sql"] for q in many.captured_queries]


def test_bulk_status_change_applies_allowed_moves_and_lists_refusals(staff_client, store):
    received = _orders(store, 2)
    shipped = _orders(store, 1, start=10, status=Order.Status.SHIPPED)[0]
    response = staff_client.post(
        reverse("staff_orders:orders_bulk_status"),
        {"orders": [o.pk for o in received] + [shipped.pk], "status": Order.Status.IN_PRODUCTION, "note": "batch 7"},
        follow=True,
    )
    body = response.content.decode()
    assert "2 order(s) moved to in production." in body
    assert f"Order {shipped.number}: An order that is shipped cannot be moved to in production" in body
    assert set(Order.objects.filter(pk__in=[o.pk for o in received]).values_list("status", flat=True)) == {
        Order.Status.IN_PRODUCTION
    }
    assert Order.objects.get(pk=shipped.pk).status == Order.Status.SHIPPED
    assert OrderStatusChange.objects.filter(note="batch 7", source="staff").count() == 2
    assert OutboxEvent.objects.count() == 2


def test_bulk_status_change_without_a_selection_changes_nothing(staff_client, store):
    _orders(store, 1)
    response = staff_client.post(reverse("staff_orders:orders_bulk_status"), {"status": "cancelled"}, follow=True)
    assert "Nothing was changed: Select at least one order." in response.content.decode()
    assert not OrderStatusChange.objects.exists()


# --- order page --------------------------------------------------------------------------------------------------


def test_order_page_shows_items_addresses_shipping_history_and_events(staff_client, store):
    order = received_order(
        store, ("p1", 2), shipping_address={"city": "Utrecht", "country": "NL"}, customer_name="Ada Lovelace"
    )
    order_status_change(order=order, to_status=Order.Status.IN_PRODUCTION, source="staff", note="Started")
    response = staff_client.get(reverse("staff_orders:order_detail", args=[order.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Ada Lovelace" in body and "Utrecht" in body
    item = order.items.get()
    assert str(item.catalog_product) in body and item.get_kind_display() in body
    assert "Flat rate" in body and str(order.psp_shipping_method) in body
    assert "Started" in body and "Order status changed" in body
    # The line's print file with its facts, as the download task recorded them.
    print_file = item.print_files.get()
    PrintFile.objects.filter(pk=print_file.pk).update(
        status="ok", size=2048, content_type="application/pdf", sha256="ab" * 32, page_count=24
    )
    body = staff_client.get(reverse("staff_orders:order_detail", args=[order.pk])).content.decode()
    assert 'data-testid="print-file" data-status="ok"' in body and "ab" * 32 in body and "24 pages" in body
    # Only the statuses the flow allows next are offered.
    status_form = body.split('data-testid="status-form"')[1].split("</form>")[0]
    assert 'value="printed"' in status_form and 'value="shipped"' not in status_form


def test_order_page_queries_do_not_grow_with_lines_and_events(staff_client, store):
    small = received_order(store, ("p1", 1), external_id="s1", number="S1")
    order_status_change(order=small, to_status=Order.Status.IN_PRODUCTION, source="staff")
    big = received_order(store, ("p1", 1), ("p2", 2), ("p3", 1), ("p4", 1), external_id="b1", number="B1")
    for status in (Order.Status.IN_PRODUCTION, Order.Status.PRINTED):
        order_status_change(order=big, to_status=status, source="staff")
    with CaptureQueriesContext(connection) as few:
        staff_client.get(reverse("staff_orders:order_detail", args=[small.pk]))
    with CaptureQueriesContext(connection) as many:
        staff_client.get(reverse("staff_orders:order_detail", args=[big.pk]))
    assert len(many) == len(few)


def test_held_order_page_shows_the_hold_and_reprocess(staff_client, store):
    order = order_intake(store=store, data=order_data("h1", shipping_method="Carrier pigeon")).order
    assert order.status == Order.Status.ON_HOLD
    body = staff_client.get(reverse("staff_orders:order_detail", args=[order.pk])).content.decode()
    assert 'data-testid="order-holds"' in body and escape(order.hold_detail) in body
    assert reverse("staff_orders:order_reprocess", args=[order.pk]) in body


def test_status_change_through_the_page_and_a_refused_one(staff_client, store):
    order = received_order(store, ("p1", 1))
    url = reverse("staff_orders:order_status", args=[order.pk])
    response = staff_client.post(url, {"status": "in_production", "note": "Go"}, follow=True)
    assert "is now in production" in response.content.decode()
    response = staff_client.post(url, {"status": "delivered"}, follow=True)
    assert "cannot be moved to delivered" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.IN_PRODUCTION
    assert list(order.status_changes.values_list("to_status", "note")) == [("in_production", "Go")]


def test_add_shipment_through_the_page_partial_then_the_rest(staff_client, store):
    order = received_order(store, ("p1", 2), ("p2", 1))
    for status in (Order.Status.IN_PRODUCTION, Order.Status.PRINTED):
        order_status_change(order=order, to_status=status, source="staff")
    first, _second = order.items.order_by("pk")
    url = reverse("staff_orders:order_shipment_add", args=[order.pk])
    response = staff_client.post(url, {"tracking_number": "TRK1", f"qty_{first.pk}": "1"}, follow=True)
    assert "Shipment TRK1 added" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PRINTED
    response = staff_client.post(url, {"tracking_number": "TRK1B", f"qty_{first.pk}": "5"}, follow=True)
    assert "at most 1 can go in this parcel" in response.content.decode()
    staff_client.post(url, {"tracking_number": "TRK2"})  # no quantities: the rest
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert list(Shipment.objects.filter(order=order).values_list("tracking_number", flat=True)) == ["TRK1", "TRK2"]
    body = staff_client.get(reverse("staff_orders:order_detail", args=[order.pk])).content.decode()
    assert "TRK2" in body and "2 of 2" in body and 'data-testid="shipment-form"' in body


# --- portal ------------------------------------------------------------------------------------------------------


def test_portal_list_shows_only_the_members_client_and_role(client, store):
    _orders(store, 3)
    other_store = make_store(store.client, name="Second store")
    _orders(other_store, 2, start=10)
    _orders(make_store(ClientFactory(name="Not ours")), 4, start=20)
    client.force_login(make_member(store.client, Role.ORDER_MANAGER))
    response = client.get(reverse("portal:order_list"))
    assert response.status_code == 200 and len(_numbers(response)) == 5
    assert 'name="orders"' not in response.content.decode()  # no bulk change in the portal
    response = client.get(reverse("portal:order_list"), {"store": other_store.pk})
    assert len(_numbers(response)) == 2


def test_portal_store_manager_has_no_order_pages(client, store):
    order = _orders(store, 1)[0]
    client.force_login(make_member(store.client, Role.STORE_MANAGER, stores=[store]))
    assert client.get(reverse("portal:order_list")).status_code == 403
    assert client.get(reverse("portal:order_detail", args=[order.pk])).status_code == 404


def test_portal_read_only_sees_the_page_without_actions_and_cannot_post(client, store):
    order = received_order(store, ("p1", 1))
    client.force_login(make_member(store.client, Role.READ_ONLY))
    body = client.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert order.number in body and 'data-testid="status-form"' not in body
    response = client.post(reverse("portal:order_status", args=[order.pk]), {"status": "in_production"})
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == Order.Status.RECEIVED


def test_portal_order_manager_changes_status_as_portal_source(client, store):
    order = received_order(store, ("p1", 1))
    client.force_login(make_member(store.client, Role.ORDER_MANAGER))
    client.post(reverse("portal:order_status", args=[order.pk]), {"status": "cancelled", "note": "Customer asked"})
    change = order.status_changes.get()
    assert (change.to_status, change.source, change.note) == ("cancelled", "portal", "Customer asked")


def test_portal_another_clients_order_is_404(client, store):
    theirs = _orders(make_store(ClientFactory()), 1)[0]
    client.force_login(make_member(store.client, Role.ADMIN))
    assert client.get(reverse("portal:order_detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("portal:order_status", args=[theirs.pk]), {"status": "cancelled"}).status_code == 404


def test_portal_list_queries_flat(client, store):
    client.force_login(make_member(store.client, Role.READ_ONLY))
    url = reverse("portal:order_list")
    _orders(store, 3)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _orders(store, 100, start=10)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few) == len(many)
