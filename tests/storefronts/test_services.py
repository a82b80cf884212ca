import pytest

from printconnect.clients.models import Membership
from printconnect.core.exceptions import ApplicationError
from printconnect.core.models import User
from printconnect.core.permissions import Role
from printconnect.storefronts import selectors, services
from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory
from tests.factories.core import StaffFactory
from tests.factories.storefronts import make_member, make_store

pytestmark = pytest.mark.django_db


def fresh(user):
    return User.objects.get(pk=user.pk)


def test_store_manager_sees_only_assigned_stores_and_admin_sees_all():
    client = ClientFactory()
    one, two = make_store(client), make_store(client)
    manager = make_member(client, Role.STORE_MANAGER, stores=[one])
    admin = make_member(client, Role.ADMIN)
    assert list(selectors.stores_for_user(user=manager)) == [one]
    assert set(selectors.stores_for_user(user=admin)) == {one, two}
    assert manager.has_perm("storefronts.change_store_products", one)
    assert not manager.has_perm("storefronts.view_store_orders", one)


def test_a_new_store_is_visible_to_all_store_roles_but_not_to_store_managers():
    client = ClientFactory()
    first = make_store(client)
    members = {role: make_member(client, role, stores=[first]) for role in Role}
    new = make_store(client)
    assert fresh(members[Role.ADMIN]).has_perm("storefronts.change_store", new)
    assert fresh(members[Role.READ_ONLY]).has_perm("storefronts.view_store", new)
    assert not fresh(members[Role.READ_ONLY]).has_perm("storefronts.change_store", new)
    assert fresh(members[Role.ORDER_MANAGER]).has_perm("storefronts.change_store_orders", new)
    assert not fresh(members[Role.ORDER_MANAGER]).has_perm("storefronts.view_store", new)
    assert not fresh(members[Role.STORE_MANAGER]).has_perm("storefronts.view_store", new)


def test_manual_store_names_are_unique_per_client():
    client = ClientFactory()
    make_store(client, name="Phone orders")
    with pytest.raises(ApplicationError, match="already has a store"):
        services.store_create_manual(client=client, name="phone ORDERS", actor=StaffFactory())
    make_store(ClientFactory(), name="Phone orders")  # another client may use the name
    assert Store.objects.filter(client=client).count() == 1


def test_role_change_to_store_manager_replaces_permissions_with_assigned_stores():
    client = ClientFactory()
    _one, two = make_store(client), make_store(client)
    make_member(client, Role.ADMIN)
    person = make_member(client, Role.ADMIN)
    services.membership_role_change(
        membership=person.membership, role=Role.STORE_MANAGER, store_ids=[two.pk], actor=StaffFactory()
    )
    person = fresh(person)
    assert list(selectors.stores_for_user(user=person)) == [two]
    assert not person.has_perm("clients.manage_members", client)
    assert selectors.assigned_store_ids(membership=person.membership) == [two.pk]


def test_store_manager_needs_stores_of_its_own_client():
    client = ClientFactory()
    mine, theirs = make_store(client), make_store(ClientFactory())
    make_member(client, Role.ADMIN)
    person = make_member(client, Role.READ_ONLY)
    for store_ids, message in (([], "at least one store"), ([mine.pk, theirs.pk], "own client")):
        with pytest.raises(ApplicationError, match=message):
            services.membership_role_change(
                membership=person.membership, role=Role.STORE_MANAGER, store_ids=store_ids, actor=StaffFactory()
            )
    assert Membership.objects.get(user=person).role == Role.READ_ONLY


def test_the_last_admin_can_be_neither_removed_nor_demoted():
    client = ClientFactory()
    admin = make_member(client, Role.ADMIN)
    with pytest.raises(ApplicationError, match="only Admin"):
        services.membership_remove(membership=admin.membership, actor=admin)
    with pytest.raises(ApplicationError, match="only Admin"):
        services.membership_role_change(membership=admin.membership, role=Role.READ_ONLY, actor=admin)
    admin = fresh(admin)
    assert admin.is_active and admin.membership.role == Role.ADMIN
    assert admin.has_perm("clients.manage_members", client)


def test_removing_a_member_takes_every_permission_and_deactivates_the_account():
    client = ClientFactory()
    store = make_store(client)
    admin = make_member(client, Role.ADMIN)
    person = make_member(client, Role.READ_ONLY)
    services.membership_remove(membership=person.membership, actor=admin)
    person = fresh(person)
    assert not person.is_active
    assert not Membership.objects.filter(user=person).exists()
    assert not person.has_perm("storefronts.view_store", store)
    assert not person.has_perm("clients.view_client", client)
