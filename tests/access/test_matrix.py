"""Every portal URL, walked as each role of client A against client A's and client B's objects.

Each cell is the exact status expected. A portal URL missing from MATRIX fails test_matrix_covers_every_portal_url,
so a new page cannot ship without deciding who may open it. Refused requests must change no row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver, reverse

from printconnect.api.models import ApiToken
from printconnect.api.services import api_token_create
from printconnect.catalog.models import MappingImport, StoreProduct, StoreVariant
from printconnect.catalog.services import ProductData, VariantData, store_products_upsert
from printconnect.clients.models import Invitation, Membership
from printconnect.clients.services import invitation_create
from printconnect.core.permissions import Role
from printconnect.integrations.models import IntegrationEvent, OutboxDelivery, PostbackSubscription
from printconnect.integrations.services import event_record, outbox_fanout
from printconnect.orders import order_imports
from printconnect.orders.models import (
    Order,
    OrderImport,
    OrderSourceChange,
    OrderStatusChange,
    PrintFile,
    Shipment,
    StoreOrderSettings,
    StoreShippingMethod,
)
from printconnect.orders.printfiles import print_file_replace
from printconnect.orders.services import order_intake, order_status_change
from printconnect.orders.test_orders import test_order_create
from printconnect.storefronts.models import Store
from printconnect.storefronts.services import store_create_connected
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD, StaffFactory
from tests.factories.orders import catalog_product, line, order_data, received_order, store_product, variant_map
from tests.factories.storefronts import make_member, make_store

ROLES = (Role.ADMIN, Role.STORE_MANAGER, Role.ORDER_MANAGER, Role.READ_ONLY)

# (url name, method): {target: (admin, store manager, order manager, read-only)}. Targets: "A" = an object of
# the user's own client (for stores: the store assigned to the Store manager), "B" = the other client's object.
# URLs without an object have only "A".
MATRIX: dict[tuple[str, str], dict[str, tuple[int, int, int, int]]] = {
    ("dashboard", "GET"): {"A": (200, 200, 200, 200)},
    ("store_list", "GET"): {"A": (200, 200, 403, 200)},
    ("store_add", "GET"): {"A": (200, 403, 403, 403)},
    ("store_add", "POST"): {"A": (302, 403, 403, 403)},
    ("store_detail", "GET"): {"A": (200, 200, 404, 200), "B": (404, 404, 404, 404)},
    ("store_edit", "GET"): {"A": (200, 200, 404, 403), "B": (404, 404, 404, 404)},
    ("store_edit", "POST"): {"A": (302, 302, 404, 403), "B": (404, 404, 404, 404)},
    ("user_list", "GET"): {"A": (200, 403, 403, 403)},
    ("user_invite", "GET"): {"A": (200, 403, 403, 403)},
    ("user_invite", "POST"): {"A": (302, 403, 403, 403)},
    ("member_edit", "GET"): {"A": (200, 403, 403, 403), "B": (404, 403, 403, 403)},
    ("member_edit", "POST"): {"A": (302, 403, 403, 403), "B": (404, 403, 403, 403)},
    ("member_remove", "GET"): {"A": (200, 403, 403, 403), "B": (404, 403, 403, 403)},
    ("member_remove", "POST"): {"A": (302, 403, 403, 403), "B": (404, 403, 403, 403)},
    ("invitation_resend", "POST"): {"A": (302, 403, 403, 403), "B": (404, 403, 403, 403)},
    ("invitation_cancel", "POST"): {"A": (302, 403, 403, 403), "B": (404, 403, 403, 403)},
    # Connecting stores. The POSTs carry no data: an allowed role gets the form back with its errors (200), the
    # connection check itself is covered in tests/integrations/test_store_connect_views.py.
    ("store_connect_woocommerce", "GET"): {"A": (200, 403, 403, 403)},
    ("store_connect_woocommerce", "POST"): {"A": (200, 403, 403, 403)},
    ("store_credentials", "GET"): {"A": (200, 200, 404, 403), "B": (404, 404, 404, 404)},
    ("store_credentials", "POST"): {"A": (200, 200, 404, 403), "B": (404, 404, 404, 404)},
    # The bell's errors: seen on the stores a role shows; resolved or retried by those who may change the store.
    ("event_list", "GET"): {"A": (200, 200, 200, 200)},
    ("event_resolve", "POST"): {"A": (302, 302, 404, 403), "B": (404, 404, 404, 404)},
    ("event_retry", "POST"): {"A": (302, 302, 404, 403), "B": (404, 404, 404, 404)},
    # A store's products: seen by those whose role shows them; connected and disconnected by those who may change
    # them. The connect POST carries no data: an allowed role gets the form back with its errors (200).
    ("store_products", "GET"): {"A": (200, 200, 404, 200), "B": (404, 404, 404, 404)},
    ("catalog_search", "GET"): {"A": (200, 200, 404, 200), "B": (404, 404, 404, 404)},
    ("variant_connect", "GET"): {"A": (200, 200, 404, 403), "B": (404, 404, 404, 404)},
    ("variant_connect", "POST"): {"A": (200, 200, 404, 403), "B": (404, 404, 404, 404)},
    ("variant_disconnect", "POST"): {"A": (302, 302, 404, 403), "B": (404, 404, 404, 404)},
    # Bulk operations: Read-only may export, only those who may change the store's products import.
    ("store_bulk", "GET"): {"A": (200, 200, 404, 200), "B": (404, 404, 404, 404)},
    ("store_bulk", "POST"): {"A": (200, 200, 404, 403), "B": (404, 404, 404, 404)},  # no file: the form again
    ("store_bulk_export", "GET"): {"A": (200, 200, 404, 200), "B": (404, 404, 404, 404)},
    ("mapping_import_detail", "GET"): {"A": (200, 200, 404, 200), "B": (404, 404, 404, 404)},
    ("mapping_import_confirm", "POST"): {"A": (302, 302, 404, 403), "B": (404, 404, 404, 404)},
    ("mapping_import_discard", "POST"): {"A": (302, 302, 404, 403), "B": (404, 404, 404, 404)},
    ("mapping_import_file", "GET"): {"A": (200, 200, 404, 200), "B": (404, 404, 404, 404)},
    # Add product / Sync products: those who may change the store's products. The add POST carries no data (the
    # form again, 200); the sync of a store whose feeds are not set up answers with a message (302).
    ("store_product_add", "GET"): {"A": (200, 200, 404, 403), "B": (404, 404, 404, 404)},
    ("store_product_add", "POST"): {"A": (200, 200, 404, 403), "B": (404, 404, 404, 404)},
    ("store_products_sync", "POST"): {"A": (302, 302, 404, 403), "B": (404, 404, 404, 404)},
    # A store's Shipping settings: seen with the store, saved by those who may change it. The empty POST saves the
    # shipping methods form as it is (nothing mapped).
    ("store_shipping", "GET"): {"A": (200, 200, 404, 200), "B": (404, 404, 404, 404)},
    ("store_shipping", "POST"): {"A": (302, 302, 404, 403), "B": (404, 404, 404, 404)},
    # Held orders belong to those who see the store's orders; "Re-process" to those who may change them.
    ("store_held_orders", "GET"): {"A": (200, 404, 200, 200), "B": (404, 404, 404, 404)},
    ("order_reprocess", "POST"): {"A": (302, 404, 302, 403), "B": (404, 404, 404, 404)},
    # Order list and page: the roles that see a store's orders (Store managers have no order permissions); status
    # changes and shipments by those who may change them.
    ("order_list", "GET"): {"A": (200, 403, 200, 200)},
    ("order_detail", "GET"): {"A": (200, 404, 200, 200), "B": (404, 404, 404, 404)},
    ("order_status", "POST"): {"A": (302, 404, 302, 403), "B": (404, 404, 404, 404)},
    ("order_shipment_add", "POST"): {"A": (302, 404, 302, 403), "B": (404, 404, 404, 404)},
    # A change the store made after import: decided by those who may change the store's orders.
    ("order_source_change", "POST"): {"A": (302, 404, 302, 403), "B": (404, 404, 404, 404)},
    # Print files: downloaded by those who see the store's orders, replaced by those who may change them. The POST
    # carries no file: an allowed role is sent back with the form's message.
    ("print_file_download", "GET"): {"A": (200, 404, 200, 200), "B": (404, 404, 404, 404)},
    ("order_item_print_file", "POST"): {"A": (302, 404, 302, 403), "B": (404, 404, 404, 404)},
    # Test orders are the store's orders: sent and deleted by those who may change them (Store managers see no
    # orders: 404). The empty POST gets the form back with its errors (200).
    ("store_test_order", "GET"): {"A": (200, 404, 200, 403), "B": (404, 404, 404, 404)},
    ("store_test_order", "POST"): {"A": (200, 404, 200, 403), "B": (404, 404, 404, 404)},
    ("store_test_orders_delete", "POST"): {"A": (302, 404, 302, 403), "B": (404, 404, 404, 404)},
    ("test_order_delete", "GET"): {"A": (200, 404, 200, 403), "B": (404, 404, 404, 404)},
    ("test_order_delete", "POST"): {"A": (302, 404, 302, 403), "B": (404, 404, 404, 404)},
    # A manual store's Place order and Import orders: those who may change the store's orders; Read-only sees the
    # import page, its history and the template but cannot place or import. Empty POSTs get the form back (200).
    ("store_order_place", "GET"): {"A": (200, 404, 200, 403), "B": (404, 404, 404, 404)},
    ("store_order_place", "POST"): {"A": (200, 404, 200, 403), "B": (404, 404, 404, 404)},
    ("store_order_import", "GET"): {"A": (200, 404, 200, 200), "B": (404, 404, 404, 404)},
    ("store_order_import", "POST"): {"A": (200, 404, 200, 403), "B": (404, 404, 404, 404)},
    ("store_order_import_template", "GET"): {"A": (200, 404, 200, 200), "B": (404, 404, 404, 404)},
    ("order_import_detail", "GET"): {"A": (200, 404, 200, 200), "B": (404, 404, 404, 404)},
    ("order_import_confirm", "POST"): {"A": (302, 404, 302, 403), "B": (404, 404, 404, 404)},
    ("order_import_discard", "POST"): {"A": (302, 404, 302, 403), "B": (404, 404, 404, 404)},
    # Postbacks: client Admins only. Empty POSTs get the form back with its errors (200); rotating shows the new
    # secret once (200); redelivering sends and goes back to the log (302).
    ("postback_list", "GET"): {"A": (200, 403, 403, 403)},
    ("postback_add", "GET"): {"A": (200, 403, 403, 403)},
    ("postback_add", "POST"): {"A": (200, 403, 403, 403)},
    ("postback_edit", "GET"): {"A": (200, 403, 403, 403), "B": (404, 403, 403, 403)},
    ("postback_edit", "POST"): {"A": (200, 403, 403, 403), "B": (404, 403, 403, 403)},
    ("postback_rotate", "POST"): {"A": (200, 403, 403, 403), "B": (404, 403, 403, 403)},
    ("postback_delete", "GET"): {"A": (200, 403, 403, 403), "B": (404, 403, 403, 403)},
    ("postback_delete", "POST"): {"A": (302, 403, 403, 403), "B": (404, 403, 403, 403)},
    ("postback_log", "GET"): {"A": (200, 403, 403, 403), "B": (404, 403, 403, 403)},
    ("postback_redeliver", "POST"): {"A": (302, 403, 403, 403), "B": (404, 403, 403, 403)},
    # API tokens: client Admins only. The empty POST gets the form back with its errors (200).
    ("api_token_list", "GET"): {"A": (200, 403, 403, 403)},
    ("api_token_list", "POST"): {"A": (200, 403, 403, 403)},
    ("api_token_revoke", "POST"): {"A": (302, 403, 403, 403), "B": (404, 403, 403, 403)},
    ("api_infigo_script", "GET"): {"A": (200, 403, 403, 403)},
}

OBJECT_KIND = {
    "store_detail": "store",
    "store_edit": "store",
    "member_edit": "member",
    "member_remove": "member",
    "invitation_resend": "invitation",
    "invitation_cancel": "invitation",
    "store_credentials": "connected_store",
    "event_resolve": "event",
    "event_retry": "event",
    "store_products": "connected_store",
    "catalog_search": "connected_store",
    "variant_connect": "variant",
    "variant_disconnect": "variant",
    "store_bulk": "connected_store",
    "store_bulk_export": "connected_store",
    "mapping_import_detail": "mapping_import",
    "mapping_import_confirm": "mapping_import",
    "mapping_import_discard": "mapping_import",
    "mapping_import_file": "mapping_import",
    "store_product_add": "connected_store",
    "store_products_sync": "connected_store",
    "store_shipping": "store",
    "store_held_orders": "store",
    "order_reprocess": "held_order",
    "order_detail": "order",
    "order_status": "order",
    "order_shipment_add": "order",
    "order_source_change": "source_change",
    "print_file_download": "print_file",
    "order_item_print_file": "held_item",
    "store_test_order": "store",
    "store_test_orders_delete": "store",
    "test_order_delete": "test_order",
    "store_order_place": "store",
    "store_order_import": "store",
    "store_order_import_template": "store",
    "order_import_detail": "order_import",
    "order_import_confirm": "order_import",
    "order_import_discard": "order_import",
    "postback_edit": "postback",
    "postback_rotate": "postback",
    "postback_delete": "postback",
    "postback_log": "postback",
    "postback_redeliver": "delivery",
    "api_token_revoke": "api_token",
}

POST_DATA = {
    "store_add": {"name": "A brand new store"},
    "store_edit": {"name": "Renamed store"},
    "user_invite": {"email": "fresh@example.test", "first_name": "F", "last_name": "R", "role": Role.READ_ONLY},
    "member_edit": {"role": Role.ORDER_MANAGER},
    "order_status": {"status": Order.Status.IN_PRODUCTION, "note": "matrix"},
    "order_shipment_add": {"tracking_number": "MATRIX-1"},
    "order_source_change": {"decision": "keep"},
}


@dataclass
class World:
    users: dict[str, object]
    objects: dict[str, dict[str, int]]


def _connected_store(client, actor) -> Store:
    return store_create_connected(
        client=client,
        name=f"{client.name} web shop",
        platform=Store.Platform.WOOCOMMERCE,
        base_url=f"https://{client.pk}.shop.example",
        credentials={"consumer_key": "ck_matrix", "consumer_secret": "cs_matrix"},
        actor=actor,
    )


def _world() -> World:
    staff = StaffFactory()
    a, b = ClientFactory(name="Client A"), ClientFactory(name="Client B")
    a1, _a2, b1 = make_store(a), make_store(a), make_store(b)
    a_shop, b_shop = _connected_store(a, staff), _connected_store(b, staff)
    users = {role: make_member(a, role, stores=[a1, a_shop]) for role in ROLES}
    target_a = make_member(a, Role.READ_ONLY)
    make_member(b, Role.ADMIN)
    target_b = make_member(b, Role.READ_ONLY)
    inv_a = invitation_create(client=a, email="inv-a@example.test", role=Role.READ_ONLY, actor=staff, base_url="")
    inv_b = invitation_create(client=b, email="inv-b@example.test", role=Role.READ_ONLY, actor=staff, base_url="")
    event_a, event_b = (
        event_record(store=store, severity="error", code="matrix", message="A problem.") for store in (a1, b1)
    )
    objects = {
        "A": {"store": a1.pk, "connected_store": a_shop.pk, "member": target_a.membership.pk, "invitation": inv_a.pk},
        "B": {"store": b1.pk, "connected_store": b_shop.pk, "member": target_b.membership.pk, "invitation": inv_b.pk},
    }
    objects["A"]["event"], objects["B"]["event"] = event_a.pk, event_b.pk
    objects["A"]["held_order"], objects["B"]["held_order"] = _held_order(a1), _held_order(b1)
    for target, store in {"A": a1, "B": b1}.items():
        objects[target]["order"] = received_order(store, ("o1", 1), external_id=f"o-{store.pk}", number="O1").pk
        objects[target]["held_item"], objects[target]["print_file"] = _held_item_with_file(store)
        variant = StoreVariant.objects.get(store=store, external_id="o1")
        test_order = test_order_create(store=store, variant=variant, country="DE", actor=None, rng=random.Random(1))
        objects[target]["test_order"] = test_order.pk
        objects[target]["source_change"] = _source_change(store)
    for target, (client, store) in {"A": (a, a1), "B": (b, b1)}.items():
        objects[target]["postback"], objects[target]["delivery"] = _postback(client, store)
    for target, client in {"A": a, "B": b}.items():
        objects[target]["api_token"] = api_token_create(name="MIS", scopes=["orders:read"], client=client, actor=staff)[
            0
        ].pk
    for target, (shop, user) in {"A": (a_shop, users[Role.ADMIN]), "B": (b_shop, None)}.items():
        objects[target]["variant"] = _variant(shop)
        objects[target]["mapping_import"] = _mapping_import(shop, user)
    for target, (store, user) in {"A": (a1, users[Role.ADMIN]), "B": (b1, None)}.items():
        objects[target]["order_import"] = _order_import(store, user)
    return World(users=users, objects=objects)


def _postback(client, store) -> tuple[int, int]:
    """A subscription with one delivered postback. Its URL is a loopback port that the outbound guard refuses in
    tests, so a redelivery fails without reaching any network."""
    subscription = PostbackSubscription.objects.create(client=client, url="http://127.0.0.1:9/hook", secret="s")
    order = received_order(store, ("m1", 1), external_id="m1", number="M1")
    order_status_change(order=order, to_status=Order.Status.IN_PRODUCTION, source="staff")
    outbox_fanout()
    delivery = OutboxDelivery.objects.get(subscription=subscription, order=order)
    return subscription.pk, delivery.pk


def _variant(store: Store) -> int:
    product = ProductData(external_id="11", title="Poster", variants=(VariantData(external_id="12", sku="P-A4"),))
    store_products_upsert(store=store, products=[product])
    return StoreVariant.objects.get(store=store, external_id="12").pk


def _mapping_import(store: Store, user) -> int:
    row = MappingImport(store=store, created_by=user, original_name="mapping.csv", file_format="csv")
    row.file.save("mapping.csv", ContentFile(b"Variant ID,Product UID\r\n12,\r\n"), save=False)
    row.status = MappingImport.Status.CHECKED
    row.save()
    return row.pk


def _source_change(store: Store) -> int:
    """An order the store changed after import (a quantity), held until someone decides."""
    order = received_order(store, ("sc1", 1), external_id=f"sc-{store.pk}", number="SC1")
    edited = line("sc1-0", product="sc1", sku="SKU-sc1", quantity=4)
    order_intake(store=store, data=order_data(order.external_id, edited, number="SC1"))
    return OrderSourceChange.objects.get(order=order, status=OrderSourceChange.Status.PENDING).pk


def _order_import(store: Store, user) -> int:
    """A checked orders file of a manual store, waiting for confirmation."""
    upload = SimpleUploadedFile("orders.csv", order_imports.template_csv())
    return order_imports.order_import_start(store=store, upload=upload, actor=user).pk


def _held_order(store: Store) -> int:
    """An order held for its unknown shipping method (the store has no default)."""
    result = order_intake(store=store, data=order_data(f"held-{store.pk}", shipping_method="Express"))
    assert result.order.status == Order.Status.ON_HOLD
    return result.order.pk


def _held_item_with_file(store: Store) -> tuple[int, int]:
    """A printed line of a held order (unknown shipping method) with a stored print file it was given."""
    (variant,) = store_product(store, "pf-1").values()
    variant_map(variant, catalog_product(), design_file_url="")
    data = order_data(f"pf-{store.pk}", line(product="pf-1"), shipping_method="Express")
    item = order_intake(store=store, data=data).order.items.get()
    png = SimpleUploadedFile("art.png", b"\x89PNG\r\n\x1a\n" + bytes(64), content_type="image/png")
    print_file = print_file_replace(item=item, actor=None, upload=png)
    assert print_file.status == PrintFile.Status.OK and item.order.status == Order.Status.ON_HOLD
    return item.pk, print_file.pk


def _snapshot() -> tuple:
    return (
        sorted(Store.objects.values_list("pk", "name", "base_url", "credentials_encrypted")),
        sorted(Membership.objects.values_list("pk", "role")),
        sorted(Invitation.objects.values_list("pk", "nonce", "cancelled_at")),
        sorted(IntegrationEvent.objects.values_list("pk", "resolved_at")),
        sorted(StoreProduct.objects.values_list("pk", "title", "active")),
        sorted(
            StoreVariant.objects.values_list(
                "pk", "catalog_product", "design_file_url", "print_spec_overrides", "attribute_specs"
            )
        ),
        sorted(MappingImport.objects.values_list("pk", "status", "mode", "applied_at")),
        sorted(OrderImport.objects.values_list("pk", "status", "imported_at")),
        sorted(Order.objects.values_list("pk", "status", "hold_reason", "hold_detail", "is_test")),
        sorted(OrderStatusChange.objects.values_list("pk", "order", "to_status")),
        sorted(StoreOrderSettings.objects.values_list("pk", "default_shipping_method", "non_printable_rule")),
        sorted(StoreShippingMethod.objects.values_list("pk", "shipping_method")),
        sorted(PostbackSubscription.objects.values_list("pk", "url", "secret", "active")),
        sorted(OutboxDelivery.objects.values_list("pk", "status", "attempts")),
        sorted(Shipment.objects.values_list("pk", "order", "tracking_number")),
        sorted(PrintFile.objects.values_list("pk", "status", "source_url", "sha256")),
        sorted(OrderSourceChange.objects.values_list("pk", "status", "decided_by")),
        sorted(ApiToken.objects.values_list("pk", "revoked_at")),
    )


CELLS = [
    (name, method, target, role, statuses[ROLES.index(role)])
    for (name, method), targets in MATRIX.items()
    for target, statuses in targets.items()
    for role in ROLES
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "method", "target", "role", "expected"),
    CELLS,
    ids=[f"{n}-{m}-{t}-{r}" for n, m, t, r, _ in CELLS],
)
def test_portal_access(client, name, method, target, role, expected):
    world = _world()
    client.login(username=world.users[role].email, password=PASSWORD)
    kind = OBJECT_KIND.get(name)
    url = reverse(f"portal:{name}", kwargs={"pk": world.objects[target][kind]} if kind else None)
    before = _snapshot()
    response = client.get(url) if method == "GET" else client.post(url, POST_DATA.get(name, {}))
    assert response.status_code == expected, f"{role} {method} {url}"
    if expected in (403, 404) or method == "GET":
        assert _snapshot() == before, "a refused or read-only request changed data"


def test_matrix_covers_every_portal_url():
    resolver = get_resolver()
    portal = resolver.namespace_dict["portal"][1]
    names = {pattern.name for pattern in portal.url_patterns}
    assert names == {name for name, _ in MATRIX}, "add the new portal URL to MATRIX with its expected statuses"
    assert set(OBJECT_KIND) <= names


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted({name for name, _ in MATRIX}))
def test_anonymous_visitors_are_sent_to_sign_in(client, name):
    kind = OBJECT_KIND.get(name)
    url = reverse(f"portal:{name}", kwargs={"pk": 1} if kind else None)
    response = client.post(url) if (name, "GET") not in MATRIX else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_store_manager_gets_404_for_a_store_of_their_client_not_assigned_to_them(client):
    a = ClientFactory()
    assigned, other = make_store(a), make_store(a)
    manager = make_member(a, Role.STORE_MANAGER, stores=[assigned])
    client.login(username=manager.email, password=PASSWORD)
    assert client.get(reverse("portal:store_detail", kwargs={"pk": assigned.pk})).status_code == 200
    assert client.get(reverse("portal:store_detail", kwargs={"pk": other.pk})).status_code == 404
    assert client.post(reverse("portal:store_edit", kwargs={"pk": other.pk}), {"name": "x"}).status_code == 404
    other.refresh_from_db()
    assert other.name != "x"


@pytest.mark.django_db
def test_staff_console_refuses_client_users(client):
    a = ClientFactory()
    admin = make_member(a, Role.ADMIN)
    client.login(username=admin.email, password=PASSWORD)
    for url in (reverse("staff:client_list"), reverse("staff:client_settings", kwargs={"pk": a.pk})):
        assert client.get(url).status_code == 403
    response = client.post(reverse("staff:client_settings", kwargs={"pk": a.pk}), {"storefront_access": "off"})
    assert response.status_code == 403
    a.refresh_from_db()
    assert a.storefront_access is True
