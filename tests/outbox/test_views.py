"""The postback pages, as a client Admin and as staff, against a real receiver on loopback."""

from __future__ import annotations

import pytest
from django.urls import reverse

from printconnect.core.permissions import Role
from printconnect.integrations.models import OutboxDelivery, PostbackSubscription
from printconnect.integrations.services.outbox import outbox_dispatch
from printconnect.orders.models import Order
from printconnect.orders.services import order_status_change
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD, StaffFactory
from tests.factories.storefronts import make_member, make_store
from tests.outbox.conftest import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    customer = ClientFactory()
    store = make_store(customer)
    admin = make_member(customer, Role.ADMIN)
    client.login(username=admin.email, password=PASSWORD)
    client.customer, client.store = customer, store
    return client


def test_an_admin_adds_a_postback_sees_the_secret_once_and_reads_its_delivery_log(admin_client, receiver):
    response = admin_client.post(
        reverse("portal:postback_add"),
        {"name": "ERP", "url": receiver.url, "store": "", "events": ["order.status_changed"]},
    )
    assert response.status_code == 200
    subscription = PostbackSubscription.objects.get(client=admin_client.customer)
    assert subscription.secret in response.content.decode() and "shown only once" in response.content.decode()
    listing = admin_client.get(reverse("portal:postback_list")).content.decode()
    assert receiver.url in listing and subscription.secret not in listing

    order = make_order(admin_client.store)
    order_status_change(order=order, to_status=Order.Status.IN_PRODUCTION, source="staff")
    receiver.status = 503
    outbox_dispatch()
    log = admin_client.get(reverse("portal:postback_log", kwargs={"pk": subscription.pk})).content.decode()
    assert order.number in log and "503" in log and "Failed, will retry" in log

    receiver.status = 200
    delivery = OutboxDelivery.objects.get(subscription=subscription)
    response = admin_client.post(reverse("portal:postback_redeliver", kwargs={"pk": delivery.pk}), follow=True)
    assert "Redelivered: the receiver answered 200" in response.content.decode()
    assert len(receiver.receipts) == 1


def test_a_plain_http_url_is_refused_inline_and_nothing_is_saved(admin_client, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    response = admin_client.post(
        reverse("portal:postback_add"), {"url": "http://erp.example.com/x", "events": ["order.status_changed"]}
    )
    assert response.status_code == 200 and "https URLs only" in response.content.decode()
    assert not PostbackSubscription.objects.exists()


def test_rotating_shows_the_new_secret_once_and_keeps_the_old_one_for_the_grace_period(admin_client, receiver):
    admin_client.post(reverse("portal:postback_add"), {"url": receiver.url, "events": ["order.status_changed"]})
    subscription = PostbackSubscription.objects.get()
    old = subscription.secret
    response = admin_client.post(reverse("portal:postback_rotate", kwargs={"pk": subscription.pk}))
    subscription.refresh_from_db()
    assert subscription.secret in response.content.decode() and subscription.previous_secret == old
    assert "previous secret keeps signing" in response.content.decode()


def test_staff_manage_a_clients_postbacks_and_see_a_stores_outbound_deliveries(client, receiver):
    customer = ClientFactory()
    store = make_store(customer)
    client.login(username=StaffFactory().email, password=PASSWORD)
    response = client.post(
        reverse("integration:client_postback_add", kwargs={"pk": customer.pk}),
        {"url": receiver.url, "events": ["order.status_changed", "order.shipment_created"], "store": store.pk},
    )
    assert response.status_code == 200 and PostbackSubscription.objects.get().store == store
    order = make_order(store)
    order_status_change(order=order, to_status=Order.Status.IN_PRODUCTION, source="staff")
    outbox_dispatch()
    page = client.get(reverse("integration:store", kwargs={"pk": store.pk})).content.decode()
    assert "Outbound deliveries to the store" in page and "A manual store has no shop to update." in page
    listing = client.get(reverse("integration:client_postbacks", kwargs={"pk": customer.pk})).content.decode()
    assert receiver.url in listing
