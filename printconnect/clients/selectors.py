"""Read-only queries for clients and teams."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from printconnect.clients.models import Client, Invitation, Membership
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
