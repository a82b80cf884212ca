"""Actions that change clients, their storefront access, invitations and memberships. One transaction each."""

from __future__ import annotations

import logging

from allauth.account.models import EmailAddress
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from guardian.shortcuts import assign_perm, remove_perm

from printconnect.clients.models import Client, Invitation, Membership
from printconnect.clients.tasks import invitation_email_send_task
from printconnect.core import permissions as perms
from printconnect.core.exceptions import ApplicationError
from printconnect.core.models import User, normalize_email
from printconnect.core.permissions import Role

logger = logging.getLogger(__name__)

INVITATION_SALT = "printconnect.clients.invitation"


class InvitationLinkError(ApplicationError):
    """An invitation link that cannot be used; the message tells the person what to do."""


# --- clients -------------------------------------------------------------------------------------------


def _clean_reference(reference: str | None, *, exclude_pk: int | None = None) -> str | None:
    reference = (reference or "").strip() or None
    if reference is None:
        return None
    clash = Client.objects.filter(reference__iexact=reference)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ApplicationError(
            f"The client reference “{reference}” is already used by another client. References must be unique; "
            "leave it empty if this client has none.",
            field="reference",
        )
    return reference


@transaction.atomic
def client_create(*, name: str, reference: str | None = None, description: str = "", actor: User) -> Client:
    name = name.strip()
    if not name:
        raise ApplicationError("Give the client a name.", field="name")
    client = Client(name=name, reference=_clean_reference(reference), description=description.strip())
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError as exc:  # two staff saving the same reference at once
        raise ApplicationError("That client reference was just taken; choose another.", field="reference") from exc
    logger.info("clients.client.created", extra={"client_id": client.pk, "actor_id": actor.pk})
    return client


@transaction.atomic
def client_update(*, client: Client, name: str, reference: str | None, description: str, actor: User) -> Client:
    name = name.strip()
    if not name:
        raise ApplicationError("Give the client a name.", field="name")
    client.name = name
    client.reference = _clean_reference(reference, exclude_pk=client.pk)
    client.description = description.strip()
    try:
        with transaction.atomic():
            client.save(update_fields=["name", "reference", "description", "updated_at"])
    except IntegrityError as exc:
        raise ApplicationError("That client reference was just taken; choose another.", field="reference") from exc
    logger.info("clients.client.updated", extra={"client_id": client.pk, "actor_id": actor.pk})
    return client


# --- storefront access -----------------------------------------------------------------------------------


def client_needs_admin_invitation(client: Client) -> bool:
    """True when nobody could administer the client's portal: no Admin member and no open Admin invitation."""
    has_admin = Membership.objects.filter(client=client, role=Role.ADMIN, user__is_active=True).exists()
    has_open_invitation = Invitation.objects.filter(
        client=client, role=Role.ADMIN, accepted_at__isnull=True, cancelled_at__isnull=True
    ).exists()
    return not (has_admin or has_open_invitation)


@transaction.atomic
def storefront_access_enable(
    *,
    client: Client,
    actor: User,
    base_url: str,
    admin_email: str = "",
    admin_first_name: str = "",
    admin_last_name: str = "",
) -> Invitation | None:
    """Turn portal access on; invite the client's admin when the client has none yet.

    Users who had access before it was turned off get it back as they were.
    """
    client = Client.objects.select_for_update().get(pk=client.pk)
    invitation = None
    if client_needs_admin_invitation(client):
        if not admin_email.strip():
            raise ApplicationError(
                "This client has no admin yet: enter the email of the person who will manage the client's portal.",
                field="admin_email",
            )
        invitation = invitation_create(
            client=client,
            email=admin_email,
            first_name=admin_first_name,
            last_name=admin_last_name,
            role=Role.ADMIN,
            actor=actor,
            base_url=base_url,
        )
    client.storefront_access = True
    client.storefront_access_changed_at = timezone.now()
    client.save(update_fields=["storefront_access", "storefront_access_changed_at", "updated_at"])
    logger.info("clients.storefront_access.enabled", extra={"client_id": client.pk, "actor_id": actor.pk})
    return invitation


@transaction.atomic
def storefront_access_disable(*, client: Client, actor: User) -> Client:
    """Turn portal access off: every user of the client is refused at sign-in and at their next request."""
    client.storefront_access = False
    client.storefront_access_changed_at = timezone.now()
    client.save(update_fields=["storefront_access", "storefront_access_changed_at", "updated_at"])
    logger.info("clients.storefront_access.disabled", extra={"client_id": client.pk, "actor_id": actor.pk})
    return client


# --- invitations ----------------------------------------------------------------------------------------


def _check_invitable(*, client: Client, email: str) -> None:
    user = User.objects.filter(email=email).select_related("membership").first()
    if user is not None:
        membership = getattr(user, "membership", None)
        if membership is not None and membership.client_id == client.pk:
            raise ApplicationError(f"{email} is already a member of {client.name}.", field="email")
        if membership is not None or user.is_staff:
            raise ApplicationError(
                f"{email} already has a printconnect account elsewhere and cannot join {client.name}. "
                "Use another address, or ask your print shop.",
                field="email",
            )
    open_invitation = Invitation.objects.filter(
        client=client, email=email, accepted_at__isnull=True, cancelled_at__isnull=True
    ).first()
    if open_invitation is not None:
        raise ApplicationError(
            f"{email} has already been invited ({open_invitation.get_state_display().lower()}). "
            "Use “Resend invitation” instead.",
            field="email",
        )


@transaction.atomic
def invitation_create(
    *,
    client: Client,
    email: str,
    role: str,
    actor: User,
    base_url: str,
    first_name: str = "",
    last_name: str = "",
    store_ids: list[int] | None = None,
) -> Invitation:
    """Invite a person to the client's team; the email goes out once the transaction commits."""
    email = normalize_email(email)
    if role not in Role.values:
        raise ApplicationError("Choose one of the roles.", field="role")
    _check_invitable(client=client, email=email)
    invitation = Invitation(
        client=client,
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
        store_ids=sorted(set(store_ids or [])) if role == Role.STORE_MANAGER else [],
        invited_by=actor,
    )
    invitation.rotate()
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError as exc:  # the same address invited twice at the same moment
        raise ApplicationError(f"{email} has just been invited by someone else.", field="email") from exc
    _invitation_email_queue(invitation, base_url=base_url)
    logger.info("clients.invitation.created", extra={"invitation_id": invitation.pk, "actor_id": actor.pk})
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: User, base_url: str) -> Invitation:
    """Send a fresh link with a new expiry; earlier links stop working."""
    invitation = Invitation.objects.select_for_update().select_related("client").get(pk=invitation.pk)
    if invitation.accepted_at:
        raise ApplicationError(f"{invitation.email} has already accepted the invitation; nothing to resend.")
    if invitation.cancelled_at:
        raise ApplicationError("This invitation was cancelled. Invite the person again instead.")
    invitation.rotate()
    invitation.save(update_fields=["nonce", "sent_at", "expires_at", "updated_at"])
    _invitation_email_queue(invitation, base_url=base_url)
    logger.info("clients.invitation.resent", extra={"invitation_id": invitation.pk, "actor_id": actor.pk})
    return invitation


@transaction.atomic
def invitation_cancel(*, invitation: Invitation, actor: User) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise ApplicationError(f"{invitation.email} has already accepted; remove the user instead.")
    if invitation.cancelled_at is None:
        invitation.cancelled_at = timezone.now()
        invitation.save(update_fields=["cancelled_at", "updated_at"])
    logger.info("clients.invitation.cancelled", extra={"invitation_id": invitation.pk, "actor_id": actor.pk})
    return invitation


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT)


def invitation_from_token(token: str) -> Invitation:
    """The open invitation a link stands for, or InvitationLinkError saying why the link cannot be used."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT)
    except signing.BadSignature as exc:
        raise InvitationLinkError(
            "This invitation link is not valid. Open the link from the email exactly as it was sent, "
            "or ask for a new invitation."
        ) from exc
    invitation = (
        Invitation.objects.select_related("client").filter(pk=data.get("i") if isinstance(data, dict) else None).first()
    )
    if invitation is None:
        raise InvitationLinkError("This invitation no longer exists. Ask for a new invitation.")
    if invitation.accepted_at:
        raise InvitationLinkError(
            "This invitation has already been used. Sign in with your email address and password, "
            "or use “Forgot your password?” on the sign-in page."
        )
    if invitation.cancelled_at:
        raise InvitationLinkError("This invitation was withdrawn. Ask your administrator for a new one.")
    if not constant_time_compare(invitation.nonce, str(data.get("n", ""))):
        raise InvitationLinkError(
            "A newer invitation was sent after this one, so this link no longer works. "
            "Use the link in the most recent invitation email."
        )
    if invitation.state == Invitation.State.EXPIRED:
        raise InvitationLinkError(
            f"This invitation expired on {timezone.localtime(invitation.expires_at):%d %b %Y at %H:%M}. "
            "Ask your administrator to resend it."
        )
    if not invitation.client.storefront_access:
        raise InvitationLinkError(
            f"Portal access for {invitation.client.name} is switched off at the moment. Contact your print shop."
        )
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str, first_name: str, last_name: str) -> Membership:
    """Create (or reactivate) the account, join the team with the invited role. Single use."""
    invitation = Invitation.objects.select_for_update().select_related("client").get(pk=invitation.pk)
    if not invitation.is_open or invitation.state == Invitation.State.EXPIRED:
        raise InvitationLinkError("This invitation can no longer be used. Ask your administrator for a new one.")
    email = invitation.email
    user = User.objects.filter(email=email).select_related("membership").first()
    if user is not None and (user.is_staff or getattr(user, "membership", None) is not None):
        raise InvitationLinkError(
            f"{email} already has a printconnect account elsewhere. Sign in with it, or ask for an invitation "
            "to another address."
        )
    if user is None:
        user = User(email=email)
    user.first_name = first_name.strip() or invitation.first_name
    user.last_name = last_name.strip() or invitation.last_name
    user.is_active = True
    user.set_password(password)
    user.save()
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    membership = Membership.objects.create(
        client=invitation.client, user=user, role=invitation.role, invited_by=invitation.invited_by
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["accepted_at", "accepted_user", "updated_at"])
    membership_client_permissions_sync(membership=membership)
    logger.info("clients.invitation.accepted", extra={"invitation_id": invitation.pk, "user_id": user.pk})
    return membership


def _invitation_email_queue(invitation: Invitation, *, base_url: str) -> None:
    args = (invitation.pk, invitation.nonce, base_url.rstrip("/"))
    transaction.on_commit(lambda: invitation_email_send_task.delay(*args))


def invitation_email_send(*, invitation_id: int, nonce: str, base_url: str) -> bool:
    """Send the invitation email; skip it when the invitation changed since it was queued."""
    invitation = Invitation.objects.select_related("client", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_open or invitation.nonce != nonce:
        logger.info("clients.invitation.email_skipped", extra={"invitation_id": invitation_id})
        return False
    context = {
        "invitation": invitation,
        "client": invitation.client,
        "link": base_url + reverse("invitation_accept", kwargs={"token": invitation_token(invitation)}),
        "inviter": invitation.invited_by.display_name if invitation.invited_by else "Your print shop",
        "role_description": perms.ROLE_DESCRIPTIONS[Role(invitation.role)],
    }
    subject = f"You are invited to {invitation.client.name} on printconnect"
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string("emails/invitation.txt", context), to=[invitation.email]
    )
    message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    message.send()
    logger.info("clients.invitation.email_sent", extra={"invitation_id": invitation.pk})
    return True


# --- memberships --------------------------------------------------------------------------------------------


def membership_client_permissions_sync(*, membership: Membership) -> None:
    """Make the user's permissions on the client exactly those of their role."""
    wanted = perms.CLIENT_PERMISSIONS[Role(membership.role)]
    every = set().union(*perms.CLIENT_PERMISSIONS.values())
    for codename in every - wanted:
        remove_perm(f"clients.{codename}", membership.user, membership.client)
    for codename in wanted:
        assign_perm(f"clients.{codename}", membership.user, membership.client)


def ensure_not_last_admin(*, membership: Membership, action: str) -> None:
    if membership.role != Role.ADMIN:
        return
    other_admins = Membership.objects.filter(
        client_id=membership.client_id, role=Role.ADMIN, user__is_active=True
    ).exclude(pk=membership.pk)
    if not other_admins.exists():
        raise ApplicationError(
            f"{membership.user.display_name} is the only Admin of {membership.client.name}, so you cannot {action}. "
            "Make someone else an Admin first."
        )
