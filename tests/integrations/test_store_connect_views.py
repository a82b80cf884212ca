"""The "Connect WooCommerce store" and "Update credentials" pages (portal and staff console) against the sandbox over
HTTP. No secret ever appears in a page; a failed check re-renders the form with its exact message and saves nothing."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse

from printconnect.core.permissions import Role
from printconnect.integrations.models import Feed
from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory
from tests.factories.core import PASSWORD, StaffFactory
from tests.factories.storefronts import make_member, make_store
from tests.integrations.loopback_sites import site

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_allowed")]
next_shop_number = itertools.count(1).__next__  # one sandbox store per test, parametrized ones too
CONNECT = reverse("portal:store_connect_woocommerce")


@pytest.fixture
def remote(sandbox, request):
    slug = f"view-{next_shop_number()}"
    shop = sandbox.app.create_store(slug, name=slug, webhook_secret="whsec-view-secret-never-shown")
    shop.url = sandbox.store_url(slug)
    return shop


@pytest.fixture
def acme():
    return ClientFactory(name="Acme Prints")


class Pages:
    """A signed-in browser that keeps every page it was sent, to check no secret is in any of them."""

    def __init__(self, client, user):
        self.client = client
        self.seen: list[str] = []
        assert client.login(username=user.email, password=PASSWORD)

    def _keep(self, response):
        for page in [*getattr(response, "redirect_chain", []), response]:
            if hasattr(page, "content"):
                self.seen.append(page.content.decode())
        return response

    def get(self, url, **kwargs):
        return self._keep(self.client.get(url, **kwargs))

    def post(self, url, data, **kwargs):
        return self._keep(self.client.post(url, data, **kwargs))

    def assert_never_shown(self, *secrets):
        for secret in secrets:
            assert all(secret not in page for page in self.seen), "a secret was rendered into a page"


def form_data(shop, **changes):
    return {
        "name": "Acme web shop",
        "base_url": shop.url,
        "consumer_key": shop.consumer_key,
        "consumer_secret": shop.consumer_secret,
        "webhook_secret": shop.webhook_secret,
        **changes,
    }


def test_admin_connects_a_store_and_sees_its_connection_but_no_secret(client, acme, remote):
    pages = Pages(client, make_member(acme, Role.ADMIN))
    page = pages.get(CONNECT)
    assert page.status_code == 200
    assert "WooCommerce &gt; Settings &gt; Advanced &gt; REST API" in page.content.decode()
    assert "Read/Write" in page.content.decode()

    done = pages.post(CONNECT, form_data(remote), follow=True)
    store = Store.objects.get(client=acme)
    assert done.redirect_chain == [(reverse("portal:store_detail", kwargs={"pk": store.pk}), 302)]
    html = done.content.decode()
    assert "alert-success" in html and "Connected to WooCommerce 8.9.0." in html
    assert remote.url in html and "Test mode" in html and "Credentials saved" in html
    assert f"http://testserver/webhooks/woocommerce/{store.webhook_token}/" in html
    assert "Order created" in html and "Order updated" in html and "Product updated" in html
    assert Feed.objects.filter(store=store).count() == 8
    pages.get(reverse("portal:store_credentials", kwargs={"pk": store.pk}))
    pages.get(reverse("portal:store_list"))
    pages.assert_never_shown(remote.consumer_secret, remote.webhook_secret)
    assert remote.consumer_key not in pages.seen[-1] and remote.consumer_key not in html


def test_a_refused_key_re_renders_the_form_with_the_message_and_values_but_no_secret(client, acme, remote):
    pages = Pages(client, make_member(acme, Role.ADMIN))
    wrong = "cs_wrong-but-still-a-secret-123"
    page = pages.post(CONNECT, form_data(remote, consumer_secret=wrong))
    html = page.content.decode()
    assert page.status_code == 200
    assert "WooCommerce refused the consumer key and secret (“Consumer secret is invalid.”)" in html
    assert 'value="Acme web shop"' in html and f'value="{remote.url}"' in html
    assert f'value="{remote.consumer_key}"' in html  # the key is not secret: no need to paste it again
    pages.assert_never_shown(wrong, remote.webhook_secret)
    assert (Store.objects.count(), Feed.objects.count()) == (0, 0)


def test_a_store_answering_401_is_not_saved_and_the_page_says_so(client, acme, remote):
    pages = Pages(client, make_member(acme, Role.ADMIN))
    remote.set_faults(unauthorized=True)
    page = pages.post(CONNECT, form_data(remote))
    assert "WooCommerce refused the consumer key and secret (“Consumer key is invalid.”)" in page.content.decode()
    pages.assert_never_shown(remote.consumer_secret, remote.webhook_secret)
    assert (Store.objects.count(), Feed.objects.count()) == (0, 0)


def test_a_site_that_is_not_woocommerce_is_named_as_such_on_the_form(client, acme):
    pages = Pages(client, make_member(acme, Role.ADMIN))
    with site("html") as plain:
        page = pages.post(
            CONNECT, {"name": "Shop", "base_url": plain.url, "consumer_key": "ck_1", "consumer_secret": "cs_1"}
        )
    assert "No WooCommerce REST API at this URL: /wp-json/wc/v3/system_status answered a page" in page.content.decode()
    assert Store.objects.count() == 0


def test_a_malformed_url_is_shown_under_the_url_field(client, acme):
    pages = Pages(client, make_member(acme, Role.ADMIN))
    page = pages.post(
        CONNECT, {"name": "Shop", "base_url": "ftp://shop.example", "consumer_key": "ck_1", "consumer_secret": "cs_1"}
    )
    html = page.content.decode()
    assert page.status_code == 200
    url_field = html[html.index('name="base_url"') :]
    assert url_field.index("The store URL must start with https:// (not ftp://)") < url_field.index(
        'name="consumer_key"'
    )


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.ORDER_MANAGER, Role.READ_ONLY])
def test_roles_without_add_store_cannot_open_or_post_the_connect_page(client, acme, remote, role):
    assigned = make_store(acme)
    pages = Pages(client, make_member(acme, role, stores=[assigned]))
    assert pages.get(CONNECT).status_code == 403
    assert pages.post(CONNECT, form_data(remote)).status_code == 403
    assert Store.objects.filter(platform=Store.Platform.WOOCOMMERCE).count() == 0
    assert remote.requests() == []  # refused before anything talked to the shop
    assert "Connect WooCommerce store" not in pages.get(reverse("portal:store_list")).content.decode()


def _connected(client_obj, remote, pages):
    pages.post(CONNECT, form_data(remote))
    return Store.objects.get(client=client_obj, platform=Store.Platform.WOOCOMMERCE)


def test_update_credentials_with_blank_secrets_keeps_them_and_checks_again(client, acme, remote):
    pages = Pages(client, make_member(acme, Role.ADMIN))
    store = _connected(acme, remote, pages)
    url = reverse("portal:store_credentials", kwargs={"pk": store.pk})
    page = pages.get(url)
    assert page.status_code == 200 and "consumer key, consumer secret, webhook secret" in page.content.decode()
    remote.clear_requests()
    done = pages.post(url, {"base_url": remote.url, "consumer_key": "", "consumer_secret": "", "webhook_secret": ""})
    assert done.status_code == 302
    assert [r["path"] for r in remote.requests()][:1] == ["/wp-json/wc/v3/system_status"]  # checked again
    saved = Store.objects.get(pk=store.pk)
    assert saved.credentials["consumer_secret"] == remote.consumer_secret
    assert saved.credentials["webhook_secret"] == remote.webhook_secret
    pages.assert_never_shown(remote.consumer_secret, remote.webhook_secret)


def test_update_credentials_with_a_wrong_secret_shows_why_and_keeps_the_old_ones(client, acme, remote):
    pages = Pages(client, make_member(acme, Role.ADMIN))
    store = _connected(acme, remote, pages)
    url = reverse("portal:store_credentials", kwargs={"pk": store.pk})
    page = pages.post(url, {"base_url": remote.url, "consumer_secret": "cs_typo-secret"})
    assert page.status_code == 200
    assert "Consumer secret is invalid." in page.content.decode()
    assert Store.objects.get(pk=store.pk).credentials["consumer_secret"] == remote.consumer_secret
    pages.assert_never_shown("cs_typo-secret", remote.consumer_secret)


def test_a_store_manager_updates_credentials_of_an_assigned_store_only(client, acme, remote):
    admin_pages = Pages(client, make_member(acme, Role.ADMIN))
    store = _connected(acme, remote, admin_pages)
    other = make_store(acme)
    client.logout()
    manager_pages = Pages(client, make_member(acme, Role.STORE_MANAGER, stores=[store]))
    assert manager_pages.get(reverse("portal:store_credentials", kwargs={"pk": store.pk})).status_code == 200
    assert manager_pages.get(reverse("portal:store_credentials", kwargs={"pk": other.pk})).status_code == 404


def test_read_only_sees_the_connection_but_not_the_webhook_setup_or_the_update_page(client, acme, remote):
    admin_pages = Pages(client, make_member(acme, Role.ADMIN))
    store = _connected(acme, remote, admin_pages)
    client.logout()
    pages = Pages(client, make_member(acme, Role.READ_ONLY))
    html = pages.get(reverse("portal:store_detail", kwargs={"pk": store.pk})).content.decode()
    assert "Test mode" in html and "Credentials saved" in html
    assert store.webhook_token not in html and "Update credentials" not in html
    assert pages.get(reverse("portal:store_credentials", kwargs={"pk": store.pk})).status_code == 403


def test_another_clients_store_answers_404_on_update_credentials(client, acme, remote):
    other_client = ClientFactory()
    theirs = _connected(other_client, remote, Pages(client, make_member(other_client, Role.ADMIN)))
    client.logout()
    pages = Pages(client, make_member(acme, Role.ADMIN))
    url = reverse("portal:store_credentials", kwargs={"pk": theirs.pk})
    assert pages.get(url).status_code == 404
    assert pages.post(url, {"base_url": "https://evil.example", "consumer_secret": "cs_x"}).status_code == 404
    assert Store.objects.get(pk=theirs.pk).base_url == remote.url


def test_a_manual_store_has_no_credentials_page(client, acme):
    store = make_store(acme)
    pages = Pages(client, make_member(acme, Role.ADMIN))
    assert pages.get(reverse("portal:store_credentials", kwargs={"pk": store.pk})).status_code == 404


# --- staff console ---------------------------------------------------------------------------------------------------


def test_staff_connect_a_store_for_a_client_from_its_stores_tab(client, acme, remote):
    admin = make_member(acme, Role.ADMIN)
    pages = Pages(client, StaffFactory())
    tab = pages.get(reverse("staff_client_stores", kwargs={"pk": acme.pk}))
    url = reverse("staff_store_connect_woocommerce", kwargs={"pk": acme.pk})
    assert url in tab.content.decode()
    assert pages.get(url).status_code == 200
    done = pages.post(url, form_data(remote), follow=True)
    assert done.redirect_chain == [(reverse("staff_client_stores", kwargs={"pk": acme.pk}), 302)]
    assert "Connected to WooCommerce 8.9.0." in done.content.decode()
    store = Store.objects.get(client=acme)
    assert admin.has_perm("storefronts.change_store", store)
    pages.assert_never_shown(remote.consumer_secret, remote.webhook_secret)


def test_staff_see_the_check_failure_on_the_form_and_nothing_is_saved(client, acme, remote):
    pages = Pages(client, StaffFactory())
    remote.set_faults(unauthorized=True)
    url = reverse("staff_store_connect_woocommerce", kwargs={"pk": acme.pk})
    page = pages.post(url, form_data(remote))
    assert page.status_code == 200 and "refused the consumer key" in page.content.decode()
    assert (Store.objects.count(), Feed.objects.count()) == (0, 0)


def test_client_users_cannot_use_the_staff_connect_page(client, acme, remote):
    pages = Pages(client, make_member(acme, Role.ADMIN))
    url = reverse("staff_store_connect_woocommerce", kwargs={"pk": acme.pk})
    assert pages.get(url).status_code == 403
    assert pages.post(url, form_data(remote)).status_code == 403
    assert Store.objects.count() == 0
