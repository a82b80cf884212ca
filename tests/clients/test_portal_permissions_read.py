"""The portal's side bar reads the role's client permissions with the membership; they must match guardian's."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import assign_perm, remove_perm

from printconnect.clients.selectors import PORTAL_CLIENT_PERMISSIONS, membership_for_portal
from printconnect.core import permissions as perms
from printconnect.core.permissions import Role
from tests.factories.clients import ClientFactory
from tests.factories.storefronts import make_member

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(Role))
def test_portal_membership_permissions_match_guardian_when_granted_by_the_role(role):
    client = ClientFactory()
    user = make_member(client, role)
    membership = membership_for_portal(user)
    expected = set(ObjectPermissionChecker(user).get_perms(client)) & set(PORTAL_CLIENT_PERMISSIONS)
    assert membership.client_perms == expected
    assert (perms.MANAGE_MEMBERS in membership.client_perms) == (role == Role.ADMIN)


def test_portal_membership_permissions_follow_group_and_removed_grants_when_changed_by_hand():
    client = ClientFactory()
    user = make_member(client, Role.ORDER_MANAGER)
    group = Group.objects.create(name="Helpers")
    user.groups.add(group)
    assign_perm(f"clients.{perms.MANAGE_MEMBERS}", group, client)
    second = Group.objects.create(name="Also helpers")  # the same grant twice, and one the user has directly
    user.groups.add(second)
    assign_perm(f"clients.{perms.MANAGE_MEMBERS}", second, client)
    assign_perm(f"clients.{perms.VIEW_CLIENT_STORES}", second, client)
    remove_perm(f"clients.{perms.VIEW_CLIENT_ORDERS}", user, client)
    membership = membership_for_portal(user)
    assert perms.MANAGE_MEMBERS in membership.client_perms
    assert perms.VIEW_CLIENT_ORDERS not in membership.client_perms
    assert membership.client_perms == set(ObjectPermissionChecker(user).get_perms(client)) & set(
        PORTAL_CLIENT_PERMISSIONS
    )
