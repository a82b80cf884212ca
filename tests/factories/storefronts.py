"""Stores and team members, made through the services so their permissions are real."""

from __future__ import annotations

import factory

from printconnect.clients.models import Client, Membership
from printconnect.core.models import User
from printconnect.core.permissions import Role
from printconnect.storefronts.models import Store
from printconnect.storefronts.services import membership_permissions_sync, store_create_manual
from tests.factories.clients import ClientFactory
from tests.factories.core import StaffFactory, UserFactory


def make_store(client: Client, name: str | None = None) -> Store:
    global _store_counter
    _store_counter += 1
    return store_create_manual(client=client, name=name or f"Store {_store_counter}", actor=StaffFactory())


_store_counter = 0


def make_member(client: Client, role: str = Role.ADMIN, *, stores: list[Store] = (), **user_fields: object) -> User:
    """A user in the client's team with the role's permissions (stores: a Store manager's assigned stores)."""
    user = UserFactory(**user_fields)
    membership = Membership.objects.create(client=client, user=user, role=role)
    membership_permissions_sync(membership=membership, store_ids=[s.pk for s in stores])
    return User.objects.get(pk=user.pk)  # guardian caches permissions on the instance


class StoreFactory(factory.django.DjangoModelFactory):
    """A bare store row (no permissions granted); prefer make_store in tests of access."""

    class Meta:
        model = Store

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Bare store {n}")
