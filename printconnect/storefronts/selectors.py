"""Permission-scoped reads for the portal: the only road to a client user's stores."""

from __future__ import annotations

from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from printconnect.clients.models import Client, Membership
from printconnect.core import permissions as perms
from printconnect.core.models import User
from printconnect.storefronts.models import Store, StoreUserObjectPermission


def stores_for_user(*, user: User, perm: str = perms.VIEW_STORE) -> QuerySet[Store]:
    """Stores on which the user holds `perm` (staff: every store)."""
    qs = Store.objects.select_related("client")
    if user.is_staff:
        return qs
    return get_objects_for_user(user, f"storefronts.{perm}", klass=qs, accept_global_perms=False)


def stores_for_client(*, client: Client) -> QuerySet[Store]:
    return Store.objects.filter(client=client).order_by("name", "pk")


def store_ids_with_perm(*, user: User, client: Client, perm: str) -> set[int]:
    return set(stores_for_user(user=user, perm=perm).filter(client=client).values_list("pk", flat=True))


def assigned_store_ids(*, membership: Membership) -> list[int]:
    """Stores the member may change (for a Store manager: their assigned stores)."""
    return sorted(
        StoreUserObjectPermission.objects.filter(
            user_id=membership.user_id,
            content_object__client_id=membership.client_id,
            permission__codename=perms.CHANGE_STORE,
        ).values_list("content_object_id", flat=True)
    )


def assigned_store_names_by_user(*, client: Client) -> dict[int, list[str]]:
    """user id -> names of the client's stores they may change, in one query (for the team list)."""
    rows = (
        StoreUserObjectPermission.objects.filter(content_object__client=client, permission__codename=perms.CHANGE_STORE)
        .order_by("content_object__name")
        .values_list("user_id", "content_object__name")
    )
    names: dict[int, list[str]] = {}
    for user_id, name in rows:
        names.setdefault(user_id, []).append(name)
    return names
