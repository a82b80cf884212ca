"""The web admin is part of the product: every model of printconnect is in it, and each list opens."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories.core import StaffFactory

# Roles are per-user object permissions; printconnect grants nothing through groups, so these tables stay empty.
NOT_IN_ADMIN = {"clients.ClientGroupObjectPermission", "storefronts.StoreGroupObjectPermission"}

OWN_MODELS = [model for model in apps.get_models() if model.__module__.startswith("printconnect.")]
REGISTERED = [model for model in OWN_MODELS if model in admin.site._registry]


def test_every_printconnect_model_is_in_the_web_admin_on_its_own_or_inline():
    inline = {inline.model for model_admin in admin.site._registry.values() for inline in model_admin.inlines}
    shown = set(REGISTERED) | inline
    missing = [
        model._meta.label for model in OWN_MODELS if model not in shown and model._meta.label not in NOT_IN_ADMIN
    ]
    assert missing == [], "register these in their app's admin.py"


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=[model._meta.label for model in REGISTERED])
def test_each_admin_list_opens_with_its_search(client, model):
    client.force_login(StaffFactory(is_superuser=True))
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    params = {"q": "x"} if admin.site._registry[model].search_fields else {}
    assert client.get(url, params).status_code == 200
