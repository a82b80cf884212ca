"""Actions on stores and on the team's access to them. One transaction each.

Roles become guardian object permissions here, on the client and on its stores (core.permissions says which).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from guardian.shortcuts import assign_perm

from printconnect.clients import services as client_services
from printconnect.clients.models import Client, ClientUserObjectPermission, Invitation, Membership
from printconnect.clients.services import ensure_not_last_admin
from printconnect.core import permissions as perms
from printconnect.core.exceptions import ApplicationError
from printconnect.core.models import User
from printconnect.core.permissions import Role
from printconnect.storefronts.models import Store, StoreUserObjectPermission
from printconnect.storefronts.signals import store_activation_date_changed

logger = logging.getLogger(__name__)


# --- permissions ----------------------------------------------------------------------------------------------


def _checked_store_ids(*, client: Client, role: str, store_ids: Iterable[int] | None) -> list[int]:
    """Store managers need at least one store, and only stores of their own client."""
    if role != Role.STORE_MANAGER:
        return []
    wanted = {int(pk) for pk in store_ids or []}
    if not wanted:
        raise ApplicationError("Choose at least one store for a Store manager.", field="stores")
    found = set(Store.objects.filter(client=client, pk__in=wanted).values_list("pk", flat=True))
    if found != wanted:
        raise ApplicationError("Choose stores of your own client only.", field="stores")
    return sorted(found)


def membership_permissions_sync(*, membership: Membership, store_ids: Iterable[int] = ()) -> None:
    """Make the member's permissions exactly their role's: on the client, and on all or assigned stores."""
    client_services.membership_client_permissions_sync(membership=membership)
    role = Role(membership.role)
    client_stores = Store.objects.filter(client_id=membership.client_id)
    StoreUserObjectPermission.objects.filter(user=membership.user, content_object__in=client_stores).delete()
    stores = client_stores if perms.role_covers_all_stores(role) else client_stores.filter(pk__in=list(store_ids))
    stores = list(stores)
    if not stores:
        return
    for codename in sorted(perms.STORE_PERMISSIONS[role]):
        assign_perm(f"storefronts.{codename}", membership.user, stores)


# --- stores -----------------------------------------------------------------------------------------------------


def store_name_check(*, client: Client, name: str) -> str:
    """The name, stripped, when the client has no store of that name yet (so callers can refuse before slow work)."""
    name = name.strip()
    if not name:
        raise ApplicationError("Give the store a name.", field="name")
    if Store.objects.filter(client=client, name__iexact=name).exists():
        raise ApplicationError(f"{client.name} already has a store called “{name}”.", field="name")
    return name


def _store_create(*, client: Client, name: str, actor: User, **fields: Any) -> Store:
    """Create the store and give every member whose role covers all stores their role's permissions on it."""
    name = store_name_check(client=client, name=name)
    try:
        with transaction.atomic():
            store = Store.objects.create(client=client, name=name, **fields)
    except IntegrityError as exc:
        raise ApplicationError(f"{client.name} already has a store called “{name}”.", field="name") from exc
    memberships = Membership.objects.filter(client=client, role__in=perms.ALL_STORES_ROLES).select_related("user")
    for membership in memberships:
        for codename in sorted(perms.STORE_PERMISSIONS[Role(membership.role)]):
            assign_perm(f"storefronts.{codename}", membership.user, store)
    logger.info(
        "storefronts.store.created", extra={"store_id": store.pk, "platform": store.platform, "actor_id": actor.pk}
    )
    return store


@transaction.atomic
def store_create_manual(*, client: Client, name: str, actor: User) -> Store:
    """A store for orders placed by hand or imported from CSV; every member whose role covers all stores sees it."""
    return _store_create(client=client, name=name, actor=actor, platform=Store.Platform.MANUAL)


@transaction.atomic
def store_create_connected(
    *,
    client: Client,
    name: str,
    platform: str,
    base_url: str,
    credentials: dict[str, Any],
    actor: User,
    activation_date: datetime | None = None,
) -> Store:
    """A store connected to a platform, in test mode, its credentials encrypted. The caller (integrations) has checked
    the connection; this only records it, with the same permissions as a manual store."""
    if platform == Store.Platform.MANUAL or platform not in Store.Platform.values:
        raise ApplicationError(f"“{platform}” is not a platform a store can be connected to.", field="platform")
    return _store_create(
        client=client,
        name=name,
        actor=actor,
        platform=platform,
        base_url=base_url,
        credentials=credentials,
        mode=Store.Mode.TEST,
        activation_date=activation_date,
    )


@transaction.atomic
def store_connection_update(*, store: Store, base_url: str, credentials: dict[str, Any], actor: User) -> Store:
    """New store URL and credentials for a connected store (checked by the caller); feeds and mode are kept."""
    store = Store.objects.select_for_update().get(pk=store.pk)
    if store.platform == Store.Platform.MANUAL:
        raise ApplicationError("A manual store has no connection to update.")
    store.base_url = base_url
    store.credentials = credentials
    store.save(update_fields=["base_url", "credentials_encrypted", "updated_at"])
    logger.info("storefronts.store.connection_updated", extra={"store_id": store.pk, "actor_id": actor.pk})
    return store


@transaction.atomic
def store_update(*, store: Store, name: str, actor: User) -> Store:
    name = name.strip()
    if not name:
        raise ApplicationError("Give the store a name.", field="name")
    if Store.objects.filter(client_id=store.client_id, name__iexact=name).exclude(pk=store.pk).exists():
        raise ApplicationError(f"{store.client.name} already has a store called “{name}”.", field="name")
    store.name = name
    store.save(update_fields=["name", "updated_at"])
    logger.info("storefronts.store.updated", extra={"store_id": store.pk, "actor_id": actor.pk})
    return store


@transaction.atomic
def store_activation_date_set(*, store: Store, activation_date: datetime | None, actor: User) -> Store:
    """Only orders placed on or after the activation date are imported. Print shop staff only: moving it back
    imports older orders (a backfill, on the next import run), which the client's team must not decide alone."""
    if not actor.is_staff:
        raise ApplicationError("Only print shop staff can change a store's activation date.", field="activation_date")
    if activation_date is not None and activation_date.tzinfo is None:
        raise ApplicationError("Give the activation date with its time zone.", field="activation_date")
    store = Store.objects.select_for_update().get(pk=store.pk)
    before = store.activation_date
    if before == activation_date:
        return store
    store.activation_date = activation_date
    store.save(update_fields=["activation_date", "updated_at"])
    store_activation_date_changed.send(sender=Store, store=store, before=before, after=activation_date)
    logger.info(
        "storefronts.store.activation_date_set",
        extra={"store_id": store.pk, "actor_id": actor.pk, "before": str(before), "after": str(activation_date)},
    )
    return store


# --- team -----------------------------------------------------------------------------------------------------------


@transaction.atomic
def member_invite(
    *,
    client: Client,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    store_ids: Iterable[int] = (),
    actor: User,
    base_url: str,
) -> Invitation:
    store_ids = _checked_store_ids(client=client, role=role, store_ids=store_ids)
    return client_services.invitation_create(
        client=client,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        store_ids=store_ids,
        actor=actor,
        base_url=base_url,
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str, first_name: str, last_name: str) -> Membership:
    membership = client_services.invitation_accept(
        invitation=invitation, password=password, first_name=first_name, last_name=last_name
    )
    # Stores deleted since the invitation was sent are simply not assigned.
    membership_permissions_sync(membership=membership, store_ids=invitation.store_ids)
    return membership


@transaction.atomic
def membership_role_change(
    *, membership: Membership, role: str, store_ids: Iterable[int] = (), actor: User
) -> Membership:
    membership = Membership.objects.select_for_update().select_related("user", "client").get(pk=membership.pk)
    if role not in Role.values:
        raise ApplicationError("Choose one of the roles.", field="role")
    store_ids = _checked_store_ids(client=membership.client, role=role, store_ids=store_ids)
    if role != Role.ADMIN:
        ensure_not_last_admin(membership=membership, action="change their role")
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    membership_permissions_sync(membership=membership, store_ids=store_ids)
    logger.info("storefronts.membership.role_changed", extra={"membership_id": membership.pk, "actor_id": actor.pk})
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User) -> None:
    """Take the person out of the team: no permissions left, account deactivated (they can be invited again)."""
    membership = Membership.objects.select_for_update().select_related("user", "client").get(pk=membership.pk)
    ensure_not_last_admin(membership=membership, action="remove them")
    user = membership.user
    client_stores = Store.objects.filter(client_id=membership.client_id)
    StoreUserObjectPermission.objects.filter(user=user, content_object__in=client_stores).delete()
    ClientUserObjectPermission.objects.filter(user=user, content_object_id=membership.client_id).delete()
    membership.delete()
    user.is_active = False
    user.save(update_fields=["is_active"])
    logger.info("storefronts.membership.removed", extra={"user_id": user.pk, "actor_id": actor.pk})
