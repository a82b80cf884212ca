"""Read-only queries for clients and teams."""

from __future__ import annotations

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
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


def _holds_client_perm(codename: str) -> ExpressionWrapper:
    """Whether the membership's user holds `codename` on its client, directly or through a group (what guardian's
    ObjectPermissionChecker answers, in one correlated subquery each instead of two queries)."""
    direct = ClientUserObjectPermission.objects.filter(
        user_id=OuterRef("user_id"), content_object_id=OuterRef("client_id"), permission__codename=codename
    )
    via_group = ClientGroupObjectPermission.objects.filter(
        group__user=OuterRef("user_id"), content_object_id=OuterRef("client_id"), permission__codename=codename
    )
    return ExpressionWrapper(Q(Exists(direct)) | Q(Exists(via_group)), output_field=BooleanField())


def membership_for_portal(user: User) -> Membership | None:
    """membership_for_user, with `client_perms`: which of PORTAL_CLIENT_PERMISSIONS the user holds on the client."""
    if not user.is_authenticated or user.is_staff:
        return None
    membership = (
        Membership.objects.select_related("client", "user")
        .filter(user=user)
        .annotate(**{f"_has_{codename}": _holds_client_perm(codename) for codename in PORTAL_CLIENT_PERMISSIONS})
        .first()
    )
    if membership is not None:
        membership.client_perms = frozenset(
            codename for codename in PORTAL_CLIENT_PERMISSIONS if getattr(membership, f"_has_{codename}")
        )
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
