"""A manual store's "Place order" (issue 5): the service through the intake pipeline, catalog UID lines, and the
portal and staff pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from printconnect.catalog.models import CatalogProduct
from printconnect.core.exceptions import ApplicationError
from printconnect.core.permissions import Role
from printconnect.orders import intake
from printconnect.orders.manual import ManualAddress, ManualLine, manual_order_place
from printconnect.orders.models import Order, PrintFile
from printconnect.orders.services import order_reprocess
from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD, StaffFactory
from tests.factories.orders import catalog_product, shipping_method, store_defaults, store_product, variant_map
from tests.factories.storefronts import make_member, make_store

pytestmark = pytest.mark.django_db

ADDRESS = ManualAddress(name="Ada Lovelace", line1="12 Analytical Street", city="London", country="GB", postcode="N1")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture
def store() -> Store:
    return make_store(ClientFactory(), name="Counter sales")


def _place(store: Store, *lines: ManualLine, **kwargs) -> Order:
    values = {"address": ADDRESS, "customer_name": "Ada Lovelace", "actor": None, **kwargs}
    return manual_order_place(store=store, lines=list(lines), **values)


def test_a_catalog_uid_line_with_a_file_url_is_received_with_the_catalogs_specs_when_a_method_is_chosen(store):
    product = catalog_product("POSTER-A3", specs={"format": "A3"})
    method = shipping_method()
    order = _place(
        store,
        ManualLine(quantity=2, catalog_uid="poster-a3", design_file_url="https://files.example/a.pdf"),
        shipping_method=method,
    )
    assert order.status == Order.Status.RECEIVED, order.hold_detail
    assert order.number == "M-000001" and order.external_id == "M-000001"
    assert order.psp_shipping_method == method and order.shipping_method_chosen
    item = order.items.get()
    assert (item.catalog_product, item.catalog_uid, item.kind) == (product, "poster-a3", "printable")
    assert item.print_specs == {"format": "A3"} and item.quantity == 2
    assert item.print_files.get().source_url == "https://files.example/a.pdf"
    assert order.shipping_address["country"] == "GB" and order.shipping_address["first_name"] == "Ada"


def test_a_mapped_variant_line_uses_its_design_file_and_the_next_number_follows(store):
    (variant,) = store_product(store, "p1", sku="MUG").values()
    variant_map(variant, catalog_product())
    store_defaults(store, default_shipping_method=shipping_method())
    first = _place(store, ManualLine(quantity=1, variant=variant))
    second = _place(store, ManualLine(quantity=3, variant=variant))
    assert first.status == second.status == Order.Status.RECEIVED
    assert (first.number, second.number) == ("M-000001", "M-000002")
    assert second.items.get().design_file_url == "https://files.example/design.pdf"


def test_an_unmapped_variant_holds_the_order_for_its_product_when_it_is_not_connected(store):
    (variant,) = store_product(store, "p2", sku="TOTE").values()
    order = _place(store, ManualLine(quantity=1, variant=variant), shipping_method=shipping_method())
    assert order.status == Order.Status.ON_HOLD
    assert order.hold_reason == Order.HoldReason.UNMAPPED_PRODUCT
    assert "not connected to a catalog product" in order.hold_detail


def test_no_shipping_method_and_no_default_holds_the_order_when_none_is_chosen(store):
    catalog_product("CARD")
    order = _place(store, ManualLine(quantity=1, catalog_uid="CARD", design_file_url="https://files.example/c.pdf"))
    assert order.hold_reason == Order.HoldReason.UNKNOWN_SHIPPING_METHOD


def test_the_stores_default_shipping_method_applies_when_none_is_chosen(store):
    catalog_product("CARD")
    default = shipping_method()
    store_defaults(store, default_shipping_method=default)
    order = _place(store, ManualLine(quantity=1, catalog_uid="CARD", design_file_url="https://files.example/c.pdf"))
    assert order.status == Order.Status.RECEIVED and order.psp_shipping_method == default


def test_an_uploaded_file_becomes_the_lines_checked_print_file_and_releases_the_order_when_it_passes(store):
    catalog_product("STICKER")
    upload = SimpleUploadedFile("art.png", PNG, content_type="image/png")
    order = _place(
        store, ManualLine(quantity=5, catalog_uid="STICKER", upload=upload), shipping_method=shipping_method()
    )
    assert order.status == Order.Status.RECEIVED, order.hold_detail
    print_file = order.items.get().print_files.get()
    assert print_file.status == PrintFile.Status.OK and print_file.original_name == "art.png"


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        (ManualLine(quantity=1, catalog_uid="NOPE"), "lines-0-catalog_uid", "No catalog product has the UID"),
        (ManualLine(quantity=1, catalog_uid="POSTER"), "lines-0-design_file_url", "is printed: give the line"),
        (
            ManualLine(quantity=0, catalog_uid="POSTER", design_file_url="https://f.example/a.pdf"),
            "lines-0-quantity",
            "",
        ),
        (
            ManualLine(quantity=1, catalog_uid="POSTER", design_file_url="https://f.example/a.pdf", upload=object()),
            "lines-0-design_file_url",
            "not both",
        ),
    ],
)
def test_a_bad_line_is_refused_naming_its_field_and_nothing_is_created_when_placing(store, line, field, words):
    catalog_product("POSTER")
    if line.upload is not None:
        line = ManualLine(
            quantity=1,
            catalog_uid="POSTER",
            design_file_url=line.design_file_url,
            upload=SimpleUploadedFile("a.png", PNG),
        )
    with pytest.raises(ApplicationError) as caught:
        _place(store, line)
    assert caught.value.field == field and words in caught.value.message
    assert not Order.objects.exists()


def test_a_taken_order_number_a_bad_country_or_a_web_shop_store_are_refused_when_placing(store):
    catalog_product("POSTER")
    good = ManualLine(quantity=1, catalog_uid="POSTER", design_file_url="https://f.example/a.pdf")
    _place(store, good, number="A-1")
    with pytest.raises(ApplicationError) as caught:
        _place(store, good, number="A-1")
    assert caught.value.field == "number" and "already in this store" in caught.value.message
    bad_address = ManualAddress(name="X", line1="Y", city="Z", country="XX")
    with pytest.raises(ApplicationError) as caught:
        _place(store, good, address=bad_address)
    assert caught.value.field == "ship_country"
    store.platform = Store.Platform.WOOCOMMERCE
    with pytest.raises(ApplicationError, match="manual stores only"):
        _place(store, good)
    assert Order.objects.count() == 1


def test_a_stock_catalog_line_needs_no_file_and_a_variant_with_its_own_design_refuses_one_when_placing(store):
    catalog_product("BAG", kind=CatalogProduct.Kind.STOCK)
    order = _place(store, ManualLine(quantity=1, catalog_uid="BAG"), shipping_method=shipping_method())
    assert order.status == Order.Status.RECEIVED and order.items.get().kind == "stock"
    (variant,) = store_product(store, "p3").values()
    variant_map(variant, catalog_product())
    with pytest.raises(ApplicationError, match="its own design file"):
        _place(store, ManualLine(quantity=1, variant=variant, design_file_url="https://f.example/x.pdf"))


def test_a_held_uid_line_keeps_its_catalog_product_and_chosen_method_when_re_processed(store):
    catalog_product("CARD")
    method = shipping_method()
    (variant,) = store_product(store, "p4", sku="TOTE").values()
    uid_line = ManualLine(quantity=1, catalog_uid="CARD", design_file_url="https://files.example/c.pdf")
    order = _place(store, uid_line, ManualLine(quantity=1, variant=variant), shipping_method=method)
    assert order.hold_reason == Order.HoldReason.UNMAPPED_PRODUCT
    # Re-processing maps the UID line again from its catalog_uid and keeps the method a person chose.
    order = order_reprocess(order=order, actor=None)
    uid_item = order.items.get(catalog_uid="CARD")
    assert order.status == Order.Status.ON_HOLD and order.hold_reason == Order.HoldReason.UNMAPPED_PRODUCT
    assert uid_item.catalog_product.uid == "CARD" and uid_item.kind == "printable"
    assert order.psp_shipping_method == method
    variant_map(variant, catalog_product())
    order = order_reprocess(order=order, actor=None)
    assert order.status == Order.Status.RECEIVED and order.psp_shipping_method == method


def test_a_uid_line_plan_is_held_for_an_unknown_or_inactive_product_when_planned():
    line = type("L", (), {"external_id": "1", "title": "", "sku": "", "external_product_id": "uid:X"})()
    line.external_variant_id, line.attributes, line.catalog_uid = "", {}, "X"
    inactive = intake.CatalogInfo(pk=1, uid="X", name="X", kind="printable", specs={}, active=False)
    for catalog in ({}, {"x": inactive}):
        plan = intake.plan_order(
            lines=[line],
            line_product_types=["normal"],
            shipping_method="",
            rules=intake.StoreRules(),
            variants={},
            shipping={},
            catalog=catalog,
            chosen_shipping_method_id=7,
        )
        assert plan.hold_reason == Order.HoldReason.UNMAPPED_PRODUCT and plan.psp_shipping_method_id == 7


# --- the pages -----------------------------------------------------------------------------------------------------


def _form(store: Store, **overrides) -> dict[str, str]:
    data = {
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "customer_name": "Ada Lovelace",
        "customer_email": "ada@example.com",
        "ship_name": "Ada Lovelace",
        "ship_line1": "12 Analytical Street",
        "ship_city": "London",
        "ship_postcode": "N1 9GU",
        "ship_country": "GB",
        "currency": "GBP",
    }
    return {**data, **overrides}


def test_the_portal_form_places_an_order_and_goes_to_its_page_when_an_order_manager_posts(client, store):
    catalog_product("POSTER")
    method = shipping_method()
    user = make_member(store.client, Role.ORDER_MANAGER)
    client.login(username=user.email, password=PASSWORD)
    url = reverse("portal:store_order_place", args=[store.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"United Kingdom" in page.content and b"lines-2-quantity" in page.content
    data = _form(
        store,
        **{
            "shipping_method": str(method.pk),
            "lines-0-catalog_uid": "POSTER",
            "lines-0-quantity": "2",
            "lines-0-design_file_url": "https://files.example/p.pdf",
        },
    )
    response = client.post(url, data)
    order = Order.objects.get(store=store)
    assert response.status_code == 302 and response["Location"] == reverse("portal:order_detail", args=[order.pk])
    assert order.currency == "GBP" and order.customer_email == "ada@example.com"
    follow = client.get(response["Location"])
    assert f"Order {order.number} was placed".encode() in follow.content


def test_the_form_shows_the_error_under_the_line_and_creates_nothing_when_a_uid_is_unknown(client, store):
    user = make_member(store.client, Role.ADMIN)
    client.login(username=user.email, password=PASSWORD)
    data = _form(store, **{"lines-1-catalog_uid": "NOPE", "lines-1-quantity": "1"})
    response = client.post(reverse("portal:store_order_place", args=[store.pk]), data)
    assert response.status_code == 200
    assert "No catalog product has the UID “NOPE”" in response.content.decode()
    assert response.context["lines"].forms[1].errors["catalog_uid"]
    assert not Order.objects.exists()


def test_the_staff_form_places_an_order_and_a_web_shop_store_has_no_such_page_when_staff_post(client, store):
    catalog_product("POSTER")
    staff = StaffFactory()
    client.login(username=staff.email, password=PASSWORD)
    page = client.get(reverse("staff_orders:store_order_place", args=[store.pk]))
    assert page.status_code == 200 and b"Place an order in Counter sales" in page.content
    integration = client.get(reverse("integration:store", args=[store.pk])).content
    assert reverse("staff_orders:store_order_import", args=[store.pk]).encode() in integration
    data = _form(
        store,
        **{
            "lines-0-catalog_uid": "POSTER",
            "lines-0-quantity": "1",
            "lines-0-design_file_url": "https://f.example/p.pdf",
        },
    )
    response = client.post(reverse("staff_orders:store_order_place", args=[store.pk]), data)
    order = Order.objects.get(store=store)
    assert response["Location"] == reverse("staff_orders:order_detail", args=[order.pk])
    Store.objects.filter(pk=store.pk).update(platform=Store.Platform.WOOCOMMERCE)
    assert client.get(reverse("staff_orders:store_order_place", args=[store.pk])).status_code == 404


def test_the_store_page_and_the_order_list_offer_place_and_import_when_the_user_may_change_orders(client, store):
    admin = make_member(store.client, Role.ADMIN)
    client.login(username=admin.email, password=PASSWORD)
    place = reverse("portal:store_order_place", args=[store.pk]).encode()
    assert place in client.get(reverse("portal:store_detail", args=[store.pk])).content
    assert place in client.get(reverse("portal:order_list")).content
    reader = make_member(store.client, Role.READ_ONLY)
    client.login(username=reader.email, password=PASSWORD)
    assert place not in client.get(reverse("portal:order_list")).content
