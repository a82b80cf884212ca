"""The Products tab and Connect product, in the portal and the staff console."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from printconnect.catalog.models import StoreProduct, StoreVariant
from printconnect.catalog.services import MappingData, store_products_deactivate, variant_mapping_save
from printconnect.core.permissions import Role
from printconnect.storefronts.models import Store
from printconnect.storefronts.services import store_create_connected
from tests.catalog.mapping_helpers import catalog_product, order, poster, variant
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD, StaffFactory
from tests.factories.storefronts import make_member, make_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    store = make_store(ClientFactory(), name="Poster shop")
    poster(store)  # variants 101 (A4) and 102 (A3)
    poster(store, external_id="300", title="Mug", variants={"300": {}}, product_type="stock")
    catalog_product("PST-A4")
    variant_mapping_save(variant=variant(store, "101"), data=MappingData(product_uid="PST-A4"))
    return store


def _login(client, user):
    client.login(username=user.email, password=PASSWORD)
    return user


@pytest.fixture
def admin(client, store):
    return _login(client, make_member(store.client, Role.ADMIN))


def _tab(client, store, **params):
    return client.get(reverse("portal:store_products", args=[store.pk]), params)


def _rows(response) -> list[str]:
    return [v.external_id for v in response.context["page"].object_list]


def test_tab_shows_counts_and_every_variant_with_its_mapping(client, store, admin):
    response = _tab(client, store)
    assert response.status_code == 200
    assert response.context["counts"] == {"all": 3, "mapped": 1, "unmapped": 2}
    assert sorted(_rows(response)) == ["101", "102", "300"]
    html = response.content.decode()
    assert 'Size:</span> A4 · <span class="text-muted">Paper:</span> Matte' in html
    assert "PST-A4" in html and "Not connected" in html
    assert "Orders containing this variant are held ('unmapped product') until it is connected" in html
    assert 'data-testid="connect-' in html  # an Admin may connect
    assert "stock" in html and "No variations" in html


@pytest.mark.parametrize(
    ("params", "rows"),
    [
        ({"mapping": "mapped"}, ["101"]),
        ({"mapping": "unmapped"}, ["102", "300"]),
        ({"q": "mug"}, ["300"]),
        ({"q": "P-102"}, ["102"]),  # SKU
        ({"q": "101"}, ["101"]),  # store variant id
        ({"q": "100"}, ["101", "102"]),  # store product id
        ({"q": "poster", "mapping": "unmapped"}, ["102"]),
        ({"mapping": "bogus"}, ["101", "102", "300"]),
    ],
)
def test_filters_and_search(client, store, admin, params, rows):
    assert sorted(_rows(_tab(client, store, **params))) == rows


def test_counts_follow_the_search_not_the_mapping_filter(client, store, admin):
    response = _tab(client, store, q="poster", mapping="mapped")
    assert response.context["counts"] == {"all": 2, "mapped": 1, "unmapped": 1}
    pills = {pill["key"]: pill for pill in response.context["pills"]}
    assert pills["mapped"]["active"] and "q=poster" in pills["unmapped"]["query"]


def test_inactive_products_are_hidden_unless_asked_for(client, store, admin):
    store_products_deactivate(store=store, external_ids=["300"])
    assert sorted(_rows(_tab(client, store))) == ["101", "102"]
    assert sorted(_rows(_tab(client, store, inactive="on"))) == ["101", "102", "300"]
    assert _tab(client, store).context["counts"]["all"] == 2


def test_query_count_does_not_grow_with_the_number_of_variants(client, store, admin):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert _tab(client, store).status_code == 200
        return len(captured)

    few = queries()
    for n in range(10):
        poster(
            store, external_id=f"9{n}00", title=f"Flyer {n}", variants={f"9{n}0{k}": {"Size": "A5"} for k in range(4)}
        )
        if n % 2:
            variant_mapping_save(variant=variant(store, f"9{n}00"), data=MappingData(product_uid="PST-A4"))
    assert StoreVariant.objects.filter(store=store).count() == 43
    assert queries() == few


def test_pages_keep_the_filters(client, store, admin):
    for n in range(60):
        poster(store, external_id=f"x{n}", title=f"Zine {n:02d}", variants={f"x{n}v": {}})
    response = _tab(client, store, q="zine", mapping="unmapped")
    assert response.context["page"].paginator.num_pages == 2
    assert 'href="?q=zine&amp;mapping=unmapped&amp;page=2"' in response.content.decode()


def test_connect_saves_and_returns_to_the_tab_with_its_filters(client, store, admin):
    order(store, "o-1", ("100", "102"))
    order(store, "o-2", ("100", "102"), held=False)
    url = reverse("portal:variant_connect", args=[variant(store, "102").pk])
    response = client.post(
        url,
        {
            "back": "mapping=unmapped&q=poster&next=https://evil.example/",
            "product_uid": "pst-a4",
            "design_file_url": "https://files.example.com/a3.pdf",
            "spec_key_0": "format",
            "spec_value_0": "A3",
            "spec_key_1": "",
            "spec_value_1": "",
            "attr_0": "format",
            "attr_1": "",
        },
        follow=True,
    )
    assert response.redirect_chain == [
        (reverse("portal:store_products", args=[store.pk]) + "?q=poster&mapping=unmapped", 302)
    ]
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "Connected Poster (Size: A3 · Paper: Matte) to PST-A4. 1 held order contains it; it will be re-processed."
    ]
    row = variant(store, "102")
    assert row.catalog_product.uid == "PST-A4"
    assert row.design_file_url == "https://files.example.com/a3.pdf"
    assert row.print_spec_overrides == {"format": "A3"}
    assert row.attribute_specs == {"Size": "format"}


def test_connect_errors_show_inline_and_save_nothing(client, store, admin):
    target = variant(store, "102")
    url = reverse("portal:variant_connect", args=[target.pk])
    response = client.post(url, {"product_uid": "NOPE-9", "design_file_url": "https://a.example/x.pdf"})
    assert response.status_code == 200
    assert "There is no active catalog product with UID &#x27;NOPE-9&#x27;" in response.content.decode()
    assert response.context["form"]["design_file_url"].value() == "https://a.example/x.pdf"  # kept for the retry
    response = client.post(url, {"product_uid": "PST-A4", "spec_key_0": "", "spec_value_0": "350 g"})
    assert "Row 1 has the value “350 g” but no print spec name" in response.content.decode()
    response = client.post(url, {"product_uid": "PST-A4", "spec_key_0": "paper", "spec_value_0": ""})
    assert "Give print spec “paper” a value, or remove it." in response.content.decode()
    target.refresh_from_db()
    assert target.catalog_product is None and target.mapped_at is None


def test_connect_page_lists_the_picked_products_specs_and_its_keys_for_each_attribute(client, store, admin):
    catalog_product("CARD-1", name="Business card", print_specs={"Format": "85x55", "finish": "matte"})
    url = reverse("portal:variant_connect", args=[variant(store, "102").pk])
    response = client.get(url, {"product_uid": "card-1", "back": "mapping=unmapped"})
    assert response.status_code == 200
    assert response.context["chosen"].uid == "CARD-1"
    html = response.content.decode()
    assert "Business card" in html and "85x55" in html
    size = response.context["form"]["attr_0"]
    assert size.label == "Size (this variant: A3)"
    assert [value for value, _ in size.field.widget.choices] == ["", "finish", "format"]
    assert 'name="back" value="mapping=unmapped"' in html


def test_connect_page_of_a_connected_variant_starts_from_its_mapping(client, store, admin):
    target = variant(store, "101")
    response = client.get(reverse("portal:variant_connect", args=[target.pk]))
    assert response.context["form"]["product_uid"].value() == "PST-A4"
    assert 'data-testid="disconnect"' in response.content.decode()


def test_catalog_search_lists_active_products_by_uid_or_name(client, store, admin):
    catalog_product("CARD-1", name="Business card", kind="printable")
    catalog_product("MUG-1", name="White mug", kind="stock", print_specs={})
    url = reverse("portal:catalog_search", args=[store.pk])
    found = client.get(url, {"q": "mug"}).context["results"]
    assert [p.uid for p in found] == ["MUG-1"]
    assert [p.uid for p in client.get(url, {"q": "card"}).context["results"]] == ["CARD-1"]
    assert [p.uid for p in client.get(url, {"kind": "stock"}).context["results"]] == ["MUG-1"]
    assert [p.uid for p in client.get(url).context["results"]] == ["CARD-1", "MUG-1", "PST-A4"]
    assert '<a class="list-group-item' in client.get(url, {"q": "mug", "back": "q=x"}).content.decode()


def test_disconnect(client, store, admin):
    target = variant(store, "101")
    response = client.post(reverse("portal:variant_disconnect", args=[target.pk]), {"back": "mapping=mapped"})
    assert response["Location"] == reverse("portal:store_products", args=[store.pk]) + "?mapping=mapped"
    target.refresh_from_db()
    assert target.catalog_product is None


def test_read_only_sees_the_tab_without_connect_buttons(client, store):
    _login(client, make_member(store.client, Role.READ_ONLY))
    html = _tab(client, store).content.decode()
    assert "PST-A4" in html and 'data-testid="connect-' not in html
    response = client.post(
        reverse("portal:variant_connect", args=[variant(store, "102").pk]), {"product_uid": "PST-A4"}
    )
    assert response.status_code == 403
    assert variant(store, "102").catalog_product is None


def test_store_manager_sees_only_assigned_stores_products(client, store):
    other = make_store(store.client)
    poster(other)
    _login(client, make_member(store.client, Role.STORE_MANAGER, stores=[store]))
    assert _tab(client, store).status_code == 200
    assert _tab(client, other).status_code == 404
    assert client.get(reverse("portal:variant_connect", args=[variant(other, "101").pk])).status_code == 404


def test_store_page_has_the_tabs(client, store, admin):
    html = client.get(reverse("portal:store_detail", args=[store.pk])).content.decode()
    assert reverse("portal:store_products", args=[store.pk]) in html
    assert reverse("portal:store_bulk", args=[store.pk]) in html


# --- staff console -------------------------------------------------------------------------------------------------


@pytest.fixture
def staff(client):
    return _login(client, StaffFactory())


def test_staff_products_tab(client, store, staff):
    response = client.get(reverse("catalog:store_products", args=[store.pk]), {"mapping": "unmapped"})
    assert response.status_code == 200
    assert sorted(_rows(response)) == ["102", "300"]
    html = response.content.decode()
    assert reverse("catalog:variant_connect", args=[variant(store, "102").pk]) + "?back=mapping%3Dunmapped" in html
    assert store.client.name in html


def test_staff_connect_and_disconnect(client, store, staff):
    target = variant(store, "102")
    url = reverse("catalog:variant_connect", args=[target.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"product_uid": "PST-A4", "back": "mapping=unmapped"})
    assert response["Location"] == reverse("catalog:store_products", args=[store.pk]) + "?mapping=unmapped"
    assert variant(store, "102").catalog_product.uid == "PST-A4"
    client.post(reverse("catalog:variant_disconnect", args=[target.pk]))
    assert variant(store, "102").catalog_product is None
    search = client.get(reverse("catalog:catalog_search", args=[store.pk]), {"q": "pst"})
    assert [p.uid for p in search.context["results"]] == ["PST-A4"]


def test_staff_pages_refuse_client_users(client, store, admin):
    assert client.get(reverse("catalog:store_products", args=[store.pk])).status_code == 403
    response = client.post(
        reverse("catalog:variant_connect", args=[variant(store, "102").pk]), {"product_uid": "PST-A4"}
    )
    assert response.status_code == 403
    assert StoreProduct.objects.filter(store=store).count() == 2
    assert variant(store, "102").catalog_product is None


def test_add_a_row_keeps_what_was_typed_and_saves_nothing(client, store, admin):
    target = variant(store, "102")
    url = reverse("portal:variant_connect", args=[target.pk])
    typed = {"product_uid": "PST-A4", "design_file_url": "https://a.example/x.pdf", "attr_0": "format", "add_row": "1"}
    typed.update({f"spec_key_{n}": f"k{n}" for n in range(3)} | {f"spec_value_{n}": f"v{n}" for n in range(3)})
    response = client.post(url, typed)
    assert response.status_code == 200
    form = response.context["form"]
    assert len(form.override_rows) == 4
    assert [key.value() for key, _ in form.override_rows] == ["k0", "k1", "k2", ""]
    assert form["design_file_url"].value() == "https://a.example/x.pdf" and form["attr_0"].value() == "format"
    assert not form.errors
    assert variant(store, "102").catalog_product is None


def test_sync_and_add_buttons_show_for_those_who_may_change_products(client, store, admin):
    shop = store_create_connected(
        client=store.client,
        name="Web shop",
        platform=Store.Platform.WOOCOMMERCE,
        base_url="https://shop.example",
        credentials={"consumer_key": "ck_x", "consumer_secret": "cs_x"},
        actor=StaffFactory(),
    )
    html = _tab(client, shop).content.decode()
    assert reverse("portal:store_products_sync", args=[shop.pk]) in html
    assert reverse("portal:store_product_add", args=[shop.pk]) in html
    manual = _tab(client, store).content.decode()  # no shop to sync from
    assert 'data-testid="sync-products"' not in manual and 'data-testid="add-product"' in manual
    _login(client, make_member(store.client, Role.READ_ONLY))
    html = _tab(client, shop).content.decode()
    assert 'data-testid="sync-products"' not in html and 'data-testid="add-product"' not in html


def test_staff_reach_the_tab_from_the_clients_stores_and_the_store_integration_page(client, store, staff):
    link = reverse("catalog:store_products", args=[store.pk])
    assert link in client.get(reverse("staff_client_stores", args=[store.client_id])).content.decode()
    assert link in client.get(reverse("integration:store", args=[store.pk])).content.decode()
