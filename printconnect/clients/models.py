from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from printconnect.core import permissions as perms
from printconnect.core.models import TimeStampedModel
from printconnect.core.permissions import Role


class Client(TimeStampedModel):
    """A business the print shop prints for. Its team uses the Storefronts portal when access is on."""

    name = models.CharField(max_length=200)
    reference = models.CharField(
        "client reference",
        max_length=64,
        null=True,
        blank=True,
        help_text="Optional. The ID B2B platforms such as Pressero send for this client; unique when given.",
    )
    description = models.TextField(blank=True)
    storefront_access = models.BooleanField(
        default=False, help_text="When off, no user of this client can sign in to the portal."
    )
    storefront_access_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                Lower("reference"),
                condition=Q(reference__isnull=False),
                name="clients_client_reference_ci_unique",
            )
        ]
        permissions = [
            (perms.MANAGE_MEMBERS, "Can invite, change and remove the client's users"),
            (perms.ADD_STORE, "Can add stores to the client"),
            (perms.VIEW_CLIENT_STORES, "Can see the client's stores"),
            (perms.VIEW_CLIENT_ORDERS, "Can see the client's orders"),
        ]

    def __str__(self) -> str:
        return self.name


class ClientUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Client, on_delete=models.CASCADE)


class ClientGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Client, on_delete=models.CASCADE)


class Membership(TimeStampedModel):
    """A user's place in one client's team. The role's permissions are granted through guardian."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="memberships")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(max_length=20, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["client", "user__email"]
        indexes = [models.Index(fields=["client", "role"])]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()} of {self.client})"


class Invitation(TimeStampedModel):
    """A signed, expiring, single-use invitation to join a client's team with a role."""

    class State(models.TextChoices):
        PENDING = "pending", "Invitation sent"
        EXPIRED = "expired", "Invitation expired"
        ACCEPTED = "accepted", "Active"
        CANCELLED = "cancelled", "Cancelled"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices)
    # Stores a Store manager gets on acceptance (ids of this client's stores, checked when invited).
    store_ids = models.JSONField(default=list, blank=True)
    # Rotated on every send: a resent invitation makes the earlier links useless.
    nonce = models.CharField(max_length=64, default="", editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "client",
                Lower("email"),
                condition=Q(accepted_at__isnull=True, cancelled_at__isnull=True),
                name="clients_invitation_one_open_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.client} as {self.get_role_display()}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.cancelled_at is None

    @property
    def state(self) -> str:
        if self.accepted_at:
            return self.State.ACCEPTED
        if self.cancelled_at:
            return self.State.CANCELLED
        if self.expires_at and self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.PENDING

    def get_state_display(self) -> str:
        return self.State(self.state).label

    def rotate(self) -> None:
        """Issue a fresh link: new nonce, new expiry."""
        now = timezone.now()
        self.nonce = secrets.token_urlsafe(24)
        self.sent_at = now
        self.expires_at = now + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
