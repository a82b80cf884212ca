import pytest
from django.db import connection

from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory
from tests.factories.core import StaffFactory

pytestmark = pytest.mark.django_db

SECRET = "cs_0123456789abcdef0123456789abcdef"


def test_store_credentials_are_ciphertext_in_the_database_and_plain_in_python():
    store = Store.objects.create(client=ClientFactory(), name="Woo", platform=Store.Platform.WOOCOMMERCE)
    store.credentials = {"consumer_key": "ck_visible", "consumer_secret": SECRET}
    store.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials_encrypted FROM storefronts_store WHERE id = %s", [store.pk])
        (raw,) = cursor.fetchone()
    assert SECRET not in raw and "ck_visible" not in raw
    assert Store.objects.get(pk=store.pk).credentials["consumer_secret"] == SECRET


def test_new_stores_start_in_test_mode_with_their_own_webhook_token():
    client = ClientFactory()
    one, two = (Store.objects.create(client=client, name=f"S{n}") for n in range(2))
    assert one.mode == Store.Mode.TEST and not one.is_live
    assert one.webhook_token and one.webhook_token != two.webhook_token


def test_web_admin_never_shows_store_credentials(client):
    store = Store.objects.create(client=ClientFactory(), name="Woo", platform=Store.Platform.WOOCOMMERCE)
    store.credentials = {"consumer_secret": SECRET}
    store.save()
    client.force_login(StaffFactory(is_superuser=True))
    page = client.get(f"/admin/storefronts/store/{store.pk}/change/")
    assert page.status_code == 200
    assert SECRET not in page.text and "credentials_encrypted" not in page.text
