"""Test orders: "Send test order" through the whole pipeline, never out to the store, and "Delete test order"."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from printconnect.catalog.models import CatalogProduct, StoreVariant
from printconnect.core.exceptions import ApplicationError
from printconnect.core.permissions import Role
from printconnect.integrations.models import DeliveryAttempt, IntegrationEvent, OutboxDelivery
from printconnect.integrations.services.outbox import outbox_dispatch, outbox_fanout, postback_subscription_create
from printconnect.orders.models import (
    Order,
    OrderHold,
    OrderItem,
    OrderStatusChange,
    OutboxEvent,
    PrintFile,
    Shipment,
)
from printconnect.orders.services import IntakeSource, order_status_change
from printconnect.orders.shipments import shipment_create
from printconnect.orders.test_orders import (
    faker_locale,
    random_customer,
    test_order_create,
    test_order_delete,
    test_orders_delete,
)
from printconnect.sandbox.woocommerce import seed
from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD, StaffFactory
from tests.factories.orders import (
    catalog_product,
    received_order,
    shipping_method,
    store_defaults,
    store_product,
    variant_map,
)
from tests.factories.storefronts import make_member, make_store
from tests.outbox.receiver import Receiver

pytestmark = pytest.mark.django_db
S = Order.Status


@pytest.fixture
def store() -> Store:
    store = make_store(ClientFactory(name="Riverside Prints"))
    store_defaults(store, default_shipping_method=shipping_method())
    return store


@pytest.fixture
def receiver(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    server = Receiver().start()
    yield server
    server.stop()


def poster(store: Store, *, mapped: bool = True) -> StoreVariant:
    (variant,) = store_product(store, "501", sku="POS-A3", title="Poster A3").values()
    return variant_map(variant, catalog_product()) if mapped else variant


def stock_mug(store: Store, level: int | None) -> StoreVariant:
    (variant,) = store_product(store, "701", sku="MUG-1", title="Mug", product_type="stock").values()
    variant_map(variant, catalog_product(kind=CatalogProduct.Kind.STOCK))
    StoreVariant.objects.filter(pk=variant.pk).update(stock_quantity=level)
    variant.refresh_from_db()
    return variant


def send(store: Store, variant: StoreVariant | None = None, *, country: str = "DE", seed_: int = 1, **kw) -> Order:
    return test_order_create(store=store, variant=variant, country=country, actor=None, rng=random.Random(seed_), **kw)


# --- the pipeline --------------------------------------------------------------------------------------------------


def test_a_test_order_of_a_mapped_product_is_received_when_the_store_is_set_up(store):
    order = send(store, poster(store))
    assert (order.status, order.is_test, order.number) == (S.RECEIVED, True, "TEST-0001")
    assert order.financial_status == "paid" and order.external_id.startswith("test-")
    item = order.items.get()
    assert item.kind == OrderItem.Kind.PRINTABLE and item.design_file_url == "https://files.example/design.pdf"
    assert PrintFile.objects.filter(item=item, source_url=item.design_file_url).exists()  # its download is queued
    assert order.psp_shipping_method_id is not None
    assert send(store, poster(store), seed_=2).number == "TEST-0002"


def test_a_test_order_of_an_unmapped_product_is_held_like_any_order_when_nothing_is_connected(store):
    order = send(store, poster(store, mapped=False))
    assert order.status == S.ON_HOLD and order.hold_reason == Order.HoldReason.UNMAPPED_PRODUCT
    assert OrderHold.objects.filter(order=order, reason=Order.HoldReason.UNMAPPED_PRODUCT).exists()
    event = IntegrationEvent.objects.get(store=store, resolved_at__isnull=True)
    assert "1 order" in event.message


def test_a_test_order_is_held_for_its_shipping_when_the_store_has_no_default_when_nothing_is_mapped():
    bare = make_store(ClientFactory())
    order = send(bare, poster(bare))
    assert order.status == S.ON_HOLD and order.hold_reason == Order.HoldReason.UNKNOWN_SHIPPING_METHOD


def test_a_product_with_variants_gets_a_random_variant_of_it_when_none_is_chosen(store):
    variants = store_product(
        store, "600", variants=(("601", "T-S", {"Size": "S"}), ("602", "T-M", {"Size": "M"})), title="Shirt"
    )
    for variant in variants.values():
        variant_map(variant, catalog_product())
    product = next(iter(variants.values())).product
    picked = {send(store, product=product, seed_=n).items.get().external_variant_id for n in range(12)}
    assert picked == {"601", "602"}


def test_the_address_is_german_looking_when_the_country_is_de(store):
    order = send(store, poster(store), country="de")
    address = order.shipping_address
    assert set(address) == {
        "country",
        "first_name",
        "last_name",
        "company",
        "line1",
        "line2",
        "city",
        "region",
        "postal_code",
        "phone",
        "email",
    }  # fmt: skip  (the keys of the connectors' canonical Address)
    assert address["country"] == "DE" and re.fullmatch(r"\d{5}", address["postal_code"])
    assert order.customer_name == f"{address['first_name']} {address['last_name']}"
    assert order.customer_email.endswith((".com", ".net", ".org")) and "example" in order.customer_email


def test_a_country_without_a_faker_locale_gets_en_us_formats_with_its_own_code_when_sent():
    assert faker_locale("NL") == "nl_NL" and faker_locale("CH") == "de_CH" and faker_locale("AD") == "en_US"
    customer = random_customer(country="AD", rng=random.Random(3))
    assert customer.address["country"] == "AD" and customer.address["region"] == ""
    assert random_customer(country="US", rng=random.Random(3)).address["region"]  # a state


def test_the_same_seed_gives_the_same_customer_when_repeated():
    one, two = (random_customer(country="FR", rng=random.Random(42)) for _ in range(2))
    assert one == two and one != random_customer(country="FR", rng=random.Random(43))


def test_the_quantity_is_between_1_and_4_when_sent_with_many_seeds(store):
    variant = poster(store)
    quantities = {send(store, variant, seed_=n).items.get().quantity for n in range(30)}
    assert quantities == {1, 2, 3, 4}


@pytest.mark.parametrize(("level", "message"), [(3, "only 3 in stock"), (None, "without a stock level")])
def test_a_stock_product_is_refused_when_it_has_fewer_than_4_in_stock(store, level, message):
    mug = stock_mug(store, level)
    with pytest.raises(ApplicationError, match=message) as excinfo:
        send(store, mug)
    assert "at least 4" in excinfo.value.message
    assert not Order.objects.exists()


def test_a_stock_product_is_sent_from_stock_when_it_has_4_in_stock(store):
    order = send(store, stock_mug(store, 4))
    assert order.status == S.RECEIVED and order.items.get().kind == OrderItem.Kind.STOCK


def test_a_product_of_another_store_or_an_unknown_country_is_refused_when_sent(store):
    other = make_store(ClientFactory())
    with pytest.raises(ApplicationError, match="not one of this store's"):
        send(store, poster(other))
    with pytest.raises(ApplicationError, match="country"):
        send(store, poster(store), country="XX")


def test_the_pipeline_records_the_test_source_when_sent(store, caplog):
    caplog.set_level("INFO", logger="printconnect.orders.services")
    send(store, poster(store))
    assert any(getattr(r, "source", None) == IntakeSource.TEST for r in caplog.records)


# --- never out to the store; postbacks say "test" ------------------------------------------------------------------


@pytest.fixture
def live_woo(sandbox, store, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    remote = sandbox.app.create_store("test-orders-live", name="Live shop")
    seed.seed_store(remote, products=1, orders=1, seed=5)
    live = Store.objects.create(
        client=store.client, name="Live Woo", platform=Store.Platform.WOOCOMMERCE,
        base_url=sandbox.store_url("test-orders-live"), mode=Store.Mode.PRODUCTION,
    )  # fmt: skip
    live.credentials = {"consumer_key": remote.consumer_key, "consumer_secret": remote.consumer_secret}
    live.save()
    store_defaults(live, default_shipping_method=shipping_method(), default_carrier=None)
    return live, remote


def test_a_live_store_hears_nothing_of_a_test_order_and_the_postback_says_test_when_shipped(live_woo, receiver):
    live, remote = live_woo
    _subscription, secret = postback_subscription_create(
        client=live.client, url=receiver.url, events=["order.status_changed", "order.shipment_created"]
    )
    receiver.secrets = [secret]
    order = send(live, poster(live))
    remote.clear_requests()
    for status in (S.IN_PRODUCTION, S.PRINTED):
        order_status_change(order=order, to_status=status, source="staff")
    shipment_create(order=order, tracking_number="JD0001", source="staff")
    outbox_dispatch()
    store_rows = OutboxDelivery.objects.filter(order_id=order.pk, target=OutboxDelivery.Target.STORE)
    assert store_rows.count() == 4
    assert {(row.status, row.note) for row in store_rows} == {
        (OutboxDelivery.Status.SKIPPED, "A test order never goes out to the store.")
    }
    assert remote.requests() == []
    assert len(receiver.receipts) == 4 and all(r.body["test"] is True for r in receiver.receipts)
    assert all(r.signed_ok[secret] for r in receiver.receipts)


# --- deleting ------------------------------------------------------------------------------------------------------


def test_deleting_a_test_order_removes_everything_hanging_on_it_when_it_went_far(store, receiver, run_on_commit):
    postback_subscription_create(client=store.client, url=receiver.url, events=["order.status_changed"])
    order = send(store, poster(store))
    item = order.items.get()
    print_file = item.print_files.get()  # the design file's row, as its download would have stored it
    print_file.file.save("art.png", ContentFile(b"\x89PNG\r\n\x1a\n" + bytes(64)))
    stored = print_file.file.name
    assert default_storage.exists(stored)
    for status in (S.IN_PRODUCTION, S.PRINTED):
        order_status_change(order=order, to_status=status, source="staff")
    shipment_create(order=order, tracking_number="JD0002", source="staff")
    outbox_dispatch()
    assert DeliveryAttempt.objects.filter(delivery__order_id=order.pk).exists()
    real = received_order(store, ("900", 1), external_id="real-1", number="R1")

    with run_on_commit():  # the stored files go once the deletion is committed
        test_order_delete(order=order, actor=None)
    for model, lookup in [
        (Order, {"pk": order.pk}), (OrderItem, {"order_id": order.pk}), (PrintFile, {"item_id": item.pk}),
        (Shipment, {"order_id": order.pk}), (OrderStatusChange, {"order_id": order.pk}),
        (OutboxEvent, {"order_id": order.pk}), (OutboxDelivery, {"order_id": order.pk}),
        (DeliveryAttempt, {"delivery__order_id": order.pk}),
    ]:  # fmt: skip
        assert not model.objects.filter(**lookup).exists(), model
    assert not default_storage.exists(stored)
    assert Order.objects.filter(pk=real.pk).exists()


def test_deleting_a_held_test_order_resolves_the_error_it_alone_raised_when_deleted(store):
    order = send(store, poster(store, mapped=False))
    other = send(store, poster(store, mapped=False), seed_=2)
    error = IntegrationEvent.objects.get(store=store, resolved_at__isnull=True)
    assert "2 orders" in error.message
    test_order_delete(order=order, actor=None)
    error.refresh_from_db()
    assert error.resolved_at is None and "1 order" in error.message
    test_order_delete(order=other, actor=None)
    error.refresh_from_db()
    assert error.resolved_at is not None and not OrderHold.objects.exists()


def test_deleting_a_test_order_is_refused_while_its_events_are_being_sent_when_claimed(store, receiver):
    postback_subscription_create(client=store.client, url=receiver.url, events=["order.status_changed"])
    order = send(store, poster(store))
    order_status_change(order=order, to_status=S.IN_PRODUCTION, source="staff")
    outbox_fanout()
    claimed = OutboxDelivery.objects.filter(order_id=order.pk, target=OutboxDelivery.Target.POSTBACK)
    claimed.update(claim_token="busy", claimed_until=timezone.now() + timedelta(minutes=5))
    with pytest.raises(ApplicationError, match="being sent right now"):
        test_order_delete(order=order, actor=None)
    assert Order.objects.filter(pk=order.pk).exists() and claimed.exists()
    claimed.update(claim_token="", claimed_until=timezone.now() - timedelta(seconds=1))  # the claim ran out
    test_order_delete(order=order, actor=None)
    assert not Order.objects.filter(pk=order.pk).exists()


def test_deleting_a_real_order_is_refused_when_asked(store):
    real = received_order(store, ("900", 1), external_id="real-1", number="R1")
    with pytest.raises(ApplicationError, match="only test orders can be deleted"):
        test_order_delete(order=real, actor=None)
    assert Order.objects.filter(pk=real.pk).exists()


def test_delete_test_orders_deletes_only_the_store_s_test_orders_when_asked(store):
    variant = poster(store)
    for n in range(3):
        send(store, variant, seed_=n)
    real = received_order(store, ("900", 1), external_id="real-1", number="R1")
    other_store = make_store(store.client)
    kept = send(other_store, poster(other_store))
    assert test_orders_delete(store=store, actor=None) == 3
    assert set(Order.objects.values_list("pk", flat=True)) == {real.pk, kept.pk}


# --- the pages -----------------------------------------------------------------------------------------------------


def test_send_test_order_form_creates_the_order_and_links_it_when_posted(client, store):
    variant = poster(store)
    admin = make_member(store.client, Role.ADMIN)
    client.login(username=admin.email, password=PASSWORD)
    url = reverse("portal:store_test_order", args=[store.pk])
    page = client.get(url)
    assert page.status_code == 200 and f'value="v{variant.pk}"' in page.text
    response = client.post(url, {"product": f"v{variant.pk}", "country": "NL"}, follow=True)
    order = Order.objects.get(is_test=True)
    assert order.shipping_address["country"] == "NL"
    assert reverse("portal:order_detail", args=[order.pk]) in response.text
    assert "Test order TEST-0001 sent" in response.text and "received" in response.text


def test_send_test_order_form_shows_the_stock_refusal_when_the_stock_is_low(client, store):
    mug = stock_mug(store, 2)
    staff = StaffFactory()
    client.force_login(staff)
    response = client.post(reverse("staff_orders:store_test_order", args=[store.pk]), {"sku": "mug-1", "country": "DE"})
    assert response.status_code == 200 and "only 2 in stock" in response.text
    assert not Order.objects.exists() and mug.stock_quantity == 2


def test_the_test_badge_and_delete_button_show_on_a_test_order_and_not_on_a_real_one_when_listed(client, store):
    test = send(store, poster(store))
    real = received_order(store, ("900", 1), external_id="real-1", number="R1")
    client.force_login(StaffFactory())
    listing = client.get(reverse("staff_orders:order_list")).text
    assert listing.count('data-testid="test-badge"') == 1
    assert 'data-testid="test-badge"' in client.get(reverse("staff_orders:order_detail", args=[test.pk])).text
    assert 'data-testid="delete-test-order"' in client.get(reverse("staff_orders:order_detail", args=[test.pk])).text
    real_page = client.get(reverse("staff_orders:order_detail", args=[real.pk])).text
    assert 'data-testid="test-badge"' not in real_page and 'data-testid="delete-test-order"' not in real_page


def test_deleting_through_the_confirm_page_deletes_and_refuses_a_real_order_when_posted(client, store):
    test = send(store, poster(store))
    real = received_order(store, ("900", 1), external_id="real-1", number="R1")
    manager = make_member(store.client, Role.ORDER_MANAGER)
    client.login(username=manager.email, password=PASSWORD)
    confirm = client.get(reverse("portal:test_order_delete", args=[test.pk]))
    assert confirm.status_code == 200 and "Delete test order TEST-0001?" in confirm.text
    assert client.post(reverse("portal:test_order_delete", args=[test.pk])).status_code == 302
    assert not Order.objects.filter(pk=test.pk).exists()
    refused = client.post(reverse("portal:test_order_delete", args=[real.pk]), follow=True)
    assert "only test orders can be deleted" in refused.text and Order.objects.filter(pk=real.pk).exists()


def test_a_guessed_id_of_another_client_s_test_order_is_404_when_deleted(client, store):
    theirs = send(store, poster(store))
    mine = make_store(ClientFactory())
    admin = make_member(mine.client, Role.ADMIN)
    client.login(username=admin.email, password=PASSWORD)
    assert client.get(reverse("portal:test_order_delete", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("portal:test_order_delete", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("portal:store_test_order", args=[store.pk]), {"country": "DE"}).status_code == 404
    assert Order.objects.filter(pk=theirs.pk).exists()
