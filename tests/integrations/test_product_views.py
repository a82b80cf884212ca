"""The "Add product" and "Sync products" pages, portal and staff console, against the WooCommerce sandbox over HTTP:
what the page promises, the preview (full page and htmx), publishing, refusals shown with nothing saved, and the
sync flash."""

from __future__ import annotations

import pytest
from django.urls import reverse

from printconnect.catalog.models import StoreProduct, StoreVariant
from printconnect.core.permissions import Role
from printconnect.storefronts.models import Store
from tests.catalog.mapping_helpers import catalog_product
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD, StaffFactory
from tests.factories.storefronts import make_member, make_store
from tests.integrations.sandbox_shop import connect_shop, slug_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_allowed")]


@pytest.fixture
def shop(sandbox, request):
    return connect_shop(sandbox, slug_for(request.node.name), products=3)


@pytest.fixture
def poster():
    return catalog_product("PST-A4")


def _login(client, store, role=Role.ADMIN):
    user = make_member(store.client, role, stores=[store])
    assert client.login(username=user.email, password=PASSWORD)
    return user


def _form(product, **changes):
    data = {
        "catalog_product": product.pk,
        "title": "Poster",
        "sku": "POSTER",
        "price": "12.50",
        "design_file_url": "https://files.example.com/poster.pdf",
        "option_1_name": "Size",
        "option_1_values": "A4, A3",
        "option_2_name": "Paper",
        "option_2_values": "Matte",
    }
    data.update(changes)
    return data


def _add_url(store, ns="portal"):
    return reverse(f"{ns}:store_product_add", kwargs={"pk": store.pk})


def test_the_add_page_offers_active_catalog_products_and_says_it_creates_a_real_product(client, shop, poster):
    _remote, store = shop
    catalog_product("OLD-1", active=False)
    _login(client, store)
    page = client.get(_add_url(store)).content.decode()
    assert "PST-A4 · Poster PST-A4" in page and "OLD-1" not in page
    assert f"Publishing creates a real product in {store.name}, even though the store is in test mode" in page
    assert f"Publish to {store.name}" in page


def test_preview_says_what_will_be_created_and_creates_nothing(client, shop, poster):
    remote, store = shop
    _login(client, store)
    remote.clear_requests()
    page = client.post(_add_url(store), {**_form(poster), "preview": "1"}).content.decode()
    assert f"Creates a product with 2 variants in {store.name} and connects them to PST-A4." in page
    assert "POSTER-A4-MATTE" in page and "Size: A3 · Paper: Matte" in page
    htmx = client.post(_add_url(store), {**_form(poster), "preview": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Creates a product with 2 variants" in htmx and "<html" not in htmx
    bad = client.post(_add_url(store), {**_form(poster, price="lots"), "preview": "1"}, HTTP_HX_REQUEST="true")
    assert "Enter the price customers pay" in bad.content.decode()
    assert not [e for e in remote.requests() if e["method"] == "POST"]
    assert not StoreProduct.objects.filter(store=store, title="Poster").exists()


def test_publishing_creates_the_product_in_the_store_and_goes_back_to_the_products_tab(client, shop, poster):
    remote, store = shop
    _login(client, store)
    response = client.post(_add_url(store), _form(poster), follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:store_products", kwargs={"pk": store.pk})
    assert f"Published “Poster” to {store.name} with 2 variants, connected to PST-A4." in response.content.decode()
    product = StoreProduct.objects.get(store=store, title="Poster")
    assert int(product.external_id) in remote.products
    assert set(StoreVariant.objects.filter(product=product).values_list("catalog_product__uid", flat=True)) == {
        "PST-A4"
    }


def test_a_refusal_by_the_store_is_shown_on_the_form_and_nothing_is_saved(client, shop, poster):
    _remote, store = shop
    _login(client, store)
    client.post(
        _add_url(store),
        _form(poster, title="First", option_1_name="", option_1_values="", option_2_name="", option_2_values=""),
    )
    before = StoreProduct.objects.filter(store=store).count()
    page = client.post(
        _add_url(store), _form(poster, option_1_name="", option_1_values="", option_2_name="", option_2_values="")
    )
    assert page.status_code == 200
    assert "WooCommerce refused the SKU “POSTER”" in page.content.decode()
    assert StoreProduct.objects.filter(store=store).count() == before


def test_an_option_error_is_shown_with_the_options(client, shop, poster):
    _remote, store = shop
    _login(client, store)
    many = ", ".join(f"S{i}" for i in range(11))
    page = client.post(
        _add_url(store), _form(poster, option_1_values=many, option_2_values=", ".join(f"P{i}" for i in range(10)))
    )
    assert 'data-testid="options-error"' in page.content.decode()
    assert "These options make 110 variants; at most 100" in page.content.decode()


def test_a_store_that_cannot_receive_products_shows_why_instead_of_the_form(client, poster):
    store = make_store(ClientFactory())
    Store.objects.filter(pk=store.pk).update(platform=Store.Platform.ETSY)
    _login(client, store)
    page = client.get(_add_url(store)).content.decode()
    assert "Etsy stores can&#x27;t receive new products from printconnect yet" in page
    assert 'id="product-add-form"' not in page
    assert client.post(_add_url(store), _form(poster)).status_code == 200
    assert not StoreProduct.objects.filter(store=store).exists()


def test_a_manual_store_gets_the_product_here_only(client, poster):
    store = make_store(ClientFactory())
    _login(client, store)
    assert (
        "is a manual store: the product is added in printconnect only" in client.get(_add_url(store)).content.decode()
    )
    response = client.post(_add_url(store), _form(poster), follow=True)
    assert f"Added “Poster” to {store.name} with 2 variants" in response.content.decode()
    assert StoreProduct.objects.get(store=store).external_id == "manual-1"


def test_sync_products_runs_the_product_import_and_says_so(client, shop, run_on_commit):
    remote, store = shop
    _login(client, store, Role.STORE_MANAGER)
    with run_on_commit():
        response = client.post(reverse("portal:store_products_sync", kwargs={"pk": store.pk}), follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:store_products", kwargs={"pk": store.pk})
    assert "Product sync started; the list updates when it finishes." in response.content.decode()
    assert StoreProduct.objects.filter(store=store).count() == len(remote.products) == 3


def test_sync_of_a_manual_store_says_there_is_nothing_to_sync(client):
    store = make_store(ClientFactory())
    _login(client, store)
    response = client.post(reverse("portal:store_products_sync", kwargs={"pk": store.pk}), follow=True)
    assert "is a manual store: there is no shop to sync products from" in response.content.decode()


def test_read_only_members_may_not_add_or_sync(client, shop, poster):
    remote, store = shop
    _login(client, store, Role.READ_ONLY)
    assert client.get(_add_url(store)).status_code == 403
    assert client.post(_add_url(store), _form(poster)).status_code == 403
    assert client.post(reverse("portal:store_products_sync", kwargs={"pk": store.pk})).status_code == 403
    assert not [e for e in remote.requests() if e["method"] == "POST"]


def test_staff_publish_and_sync_from_the_integration_page(client, shop, poster, run_on_commit):
    remote, store = shop
    client.force_login(StaffFactory())
    integration = client.get(reverse("integration:store", kwargs={"pk": store.pk})).content.decode()
    assert _add_url(store, "integration") in integration
    assert reverse("integration:store_products_sync", kwargs={"pk": store.pk}) in integration
    assert client.get(_add_url(store, "integration")).status_code == 200
    response = client.post(_add_url(store, "integration"), _form(poster))
    assert response["Location"] == reverse("catalog:store_products", kwargs={"pk": store.pk})
    assert StoreProduct.objects.filter(store=store, title="Poster").exists()
    with run_on_commit():
        response = client.post(reverse("integration:store_products_sync", kwargs={"pk": store.pk}), follow=True)
    page = response.content.decode()
    assert "Product sync started" in page and f"{reverse('integration:run_list')}?feed_id=" in page
    assert StoreProduct.objects.filter(store=store).count() == len(remote.products) == 4
