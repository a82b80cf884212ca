"""Read-only queries for clients and teams."""

from __future__ import annotations

import functools
from typing import Any

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from printconnect.clients.models import (
    Client,
    ClientGroupObjectPermission,
    ClientUserObjectPermission,
    Invitation,
    Membership,
)
from printconnect.core import permissions as perms
from printconnect.core.models import User
from printconnect.core.permissions import Role


def _count_of(model_related: str) -> Coalesce:
    """Correlated count subquery (two Count() joins would multiply each other)."""
    return Coalesce(
        Subquery(
            Client.objects.filter(pk=OuterRef("pk")).annotate(n=Count(model_related)).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def clients_list(*, search: str = "") -> QuerySet[Client]:
    """Staff console list: every client, with its store and user counts."""
    qs = Client.objects.annotate(store_count=_count_of("stores"), member_count=_count_of("memberships"))
    search = search.strip()
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(reference__icontains=search) | Q(description__icontains=search))
    return qs.order_by("name", "pk")


def membership_for_user(user: User) -> Membership | None:
    if not user.is_authenticated or user.is_staff:
        return None
    return Membership.objects.select_related("client", "user").filter(user=user).first()


# The client permissions every portal page asks about (its side bar); read with the membership, in its query.
PORTAL_CLIENT_PERMISSIONS = (perms.VIEW_CLIENT_STORES, perms.VIEW_CLIENT_ORDERS, perms.MANAGE_MEMBERS, perms.ADD_STORE)


# A bit per permission: SUM(DISTINCT bit) over the rows granting them is their OR, in SQLite and PostgreSQL alike.
_PORTAL_PERMISSION_BITS = {codename: 1 << n for n, codename in enumerate(PORTAL_CLIENT_PERMISSIONS)}


def _client_perm_mask(model: type[ClientUserObjectPermission | ClientGroupObjectPermission], **who: Any) -> Coalesce:
    """The bits of PORTAL_CLIENT_PERMISSIONS that `model`'s rows grant on the membership's client (one correlated
    subquery, where guardian's ObjectPermissionChecker makes a query for the user's and one for their groups')."""
    bit = Case(
        *(When(permission__codename=codename, then=Value(b)) for codename, b in _PORTAL_PERMISSION_BITS.items()),
        default=Value(0),
    )
    rows = (
        model.objects.filter(
            content_object_id=OuterRef("client_id"), permission__codename__in=PORTAL_CLIENT_PERMISSIONS
        )
        .filter(**who)
        .order_by()
        .values("content_object_id")
        .annotate(mask=Sum(bit, distinct=True))
        .values("mask")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


@functools.cache
def _portal_memberships() -> QuerySet[Membership]:
    """Built once per process (a lazy queryset: no database state), so a request does not rebuild its subqueries."""
    return Membership.objects.select_related("client", "user").annotate(
        _user_mask=_client_perm_mask(ClientUserObjectPermission, user_id=OuterRef("user_id")),
        _group_mask=_client_perm_mask(ClientGroupObjectPermission, group__user=OuterRef("user_id")),
    )


def membership_for_portal(user: User) -> Membership | None:
    """membership_for_user, with `client_perms`: which of PORTAL_CLIENT_PERMISSIONS the user holds on the client."""
    if not user.is_authenticated or user.is_staff:
        return None
    membership = _portal_memberships().filter(user=user).first()
    if membership is not None:
        mask = membership._user_mask | membership._group_mask
        membership.client_perms = frozenset(c for c, b in _PORTAL_PERMISSION_BITS.items() if mask & b)
    return membership


def members_for_client(*, client: Client) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(client=client, user__is_active=True)
        .select_related("user", "client")
        .order_by("user__email")
    )


def invitations_for_client(*, client: Client) -> QuerySet[Invitation]:
    return Invitation.objects.filter(client=client).select_related("client", "invited_by")


def invitations_open_for_client(*, client: Client) -> QuerySet[Invitation]:
    return Invitation.objects.filter(client=client, accepted_at__isnull=True, cancelled_at__isnull=True).select_related(
        "invited_by"
    )


def client_admin_invitation(*, client: Client) -> Invitation | None:
    """The latest Admin invitation of the client, for the staff Settings tab."""
    return (
        Invitation.objects.filter(client=client, role=Role.ADMIN, cancelled_at__isnull=True)
        .select_related("accepted_user")
        .order_by("-created_at")
        .first()
    )


def client_admins(*, client: Client) -> QuerySet[Membership]:
    return members_for_client(client=client).filter(role=Role.ADMIN)
