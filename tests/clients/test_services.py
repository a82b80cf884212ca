import re
from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from printconnect.clients import services
from printconnect.clients.models import Client, Invitation, Membership
from printconnect.clients.services import InvitationLinkError, invitation_from_token, invitation_token
from printconnect.core.exceptions import ApplicationError
from printconnect.core.models import User
from printconnect.core.permissions import Role
from printconnect.storefronts.services import invitation_accept, membership_remove
from tests.factories.clients import ClientFactory
from tests.factories.core import StaffFactory
from tests.factories.storefronts import make_member

pytestmark = pytest.mark.django_db
BASE = "http://testserver"


def invite(client, email="new.person@example.test", role=Role.ORDER_MANAGER, **kwargs):
    return services.invitation_create(
        client=client, email=email, role=role, actor=StaffFactory(), base_url=BASE, **kwargs
    )


# --- clients ------------------------------------------------------------------------------------------------------


def test_client_create_refuses_a_duplicate_reference_whatever_its_case():
    ClientFactory(reference="PRESSERO-42")
    with pytest.raises(ApplicationError) as excinfo:
        services.client_create(name="Other", reference="pressero-42", actor=StaffFactory())
    assert excinfo.value.field == "reference"
    assert "already used" in excinfo.value.message
    assert Client.objects.count() == 1


def test_client_create_stores_an_empty_reference_as_none_so_many_clients_can_have_none():
    a = services.client_create(name="A", reference="  ", actor=StaffFactory())
    b = services.client_create(name="B", reference="", actor=StaffFactory())
    assert a.reference is None and b.reference is None


def test_client_update_keeps_its_own_reference():
    client = ClientFactory(reference="KEEP-1")
    services.client_update(client=client, name="Renamed", reference="KEEP-1", description="", actor=StaffFactory())
    client.refresh_from_db()
    assert (client.name, client.reference) == ("Renamed", "KEEP-1")


# --- storefront access ------------------------------------------------------------------------------------------------


def test_enabling_access_without_an_admin_asks_for_the_admin_email_and_changes_nothing():
    client = ClientFactory(storefront_access=False)
    with pytest.raises(ApplicationError) as excinfo:
        services.storefront_access_enable(client=client, actor=StaffFactory(), base_url=BASE)
    assert excinfo.value.field == "admin_email"
    client.refresh_from_db()
    assert client.storefront_access is False
    assert not Invitation.objects.exists()


def test_enabling_access_invites_the_admin_by_email_with_a_working_link(mailoutbox, run_on_commit):
    client = ClientFactory(storefront_access=False, name="Acme")
    with run_on_commit():
        invitation = services.storefront_access_enable(
            client=client,
            actor=StaffFactory(),
            base_url=BASE,
            admin_email="Boss@Acme.TEST",
            admin_first_name="Bo",
            admin_last_name="Ss",
        )
    client.refresh_from_db()
    assert client.storefront_access is True
    assert (invitation.email, invitation.role, invitation.state) == ("boss@acme.test", Role.ADMIN, "pending")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["boss@acme.test"]
    assert "Acme" in message.subject
    link = re.search(rf"{BASE}/invitations/([^/\s]+)/", message.body)
    assert link, message.body
    assert invitation_from_token(link.group(1)) == invitation


def test_enabling_access_again_restores_the_team_without_a_new_invitation(mailoutbox, run_on_commit):
    client = ClientFactory(storefront_access=False)
    make_member(client, Role.ADMIN)
    with run_on_commit():
        invitation = services.storefront_access_enable(client=client, actor=StaffFactory(), base_url=BASE)
    assert invitation is None
    assert mailoutbox == []
    client.refresh_from_db()
    assert client.storefront_access is True


# --- invitations ------------------------------------------------------------------------------------------------------


def test_invitation_refuses_an_address_already_in_the_team_whatever_its_case():
    client = ClientFactory()
    make_member(client, Role.READ_ONLY, email="member@example.test")
    with pytest.raises(ApplicationError, match="already a member"):
        invite(client, email="MEMBER@example.test")
    assert not Invitation.objects.exists()


def test_invitation_refuses_an_address_invited_twice():
    client = ClientFactory()
    invite(client, email="twice@example.test")
    with pytest.raises(ApplicationError, match="already been invited"):
        invite(client, email="Twice@Example.test")
    assert Invitation.objects.count() == 1


@pytest.mark.parametrize("kind", ["staff", "other_client"])
def test_invitation_refuses_an_address_with_an_account_elsewhere(kind):
    client = ClientFactory()
    if kind == "staff":
        StaffFactory(email="taken@example.test")
    else:
        make_member(ClientFactory(), Role.ADMIN, email="taken@example.test")
    with pytest.raises(ApplicationError, match="account elsewhere"):
        invite(client, email="taken@example.test")
    assert not Invitation.objects.exists()


def test_invitation_link_that_was_tampered_with_is_refused():
    invitation = invite(ClientFactory())
    token = invitation_token(invitation)
    forged = signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt="another-salt")
    for bad in (token[:-2] + "xx", forged, "garbage"):
        with pytest.raises(InvitationLinkError, match="not valid"):
            invitation_from_token(bad)


def test_invitation_link_expires():
    invitation = invite(ClientFactory())
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(InvitationLinkError, match="expired"):
        invitation_from_token(invitation_token(invitation))


def test_invitation_link_is_single_use():
    invitation = invite(ClientFactory())
    token = invitation_token(invitation)
    invitation_accept(invitation=invitation, password="Long-enough-pw-1", first_name="A", last_name="B")
    with pytest.raises(InvitationLinkError, match="already been used"):
        invitation_from_token(token)
    with pytest.raises(InvitationLinkError):
        invitation_accept(invitation=invitation, password="Long-enough-pw-1", first_name="A", last_name="B")
    assert Membership.objects.count() == 1


def test_resending_an_invitation_replaces_the_earlier_link(mailoutbox, run_on_commit):
    client = ClientFactory()
    with run_on_commit():
        invitation = invite(client)
    old_token = invitation_token(invitation)
    with run_on_commit():
        invitation = services.invitation_resend(invitation=invitation, actor=StaffFactory(), base_url=BASE)
    assert len(mailoutbox) == 2
    with pytest.raises(InvitationLinkError, match="newer invitation"):
        invitation_from_token(old_token)
    assert invitation_from_token(invitation_token(invitation)) == invitation


def test_a_queued_email_for_a_replaced_link_is_not_sent(mailoutbox):
    invitation = invite(ClientFactory())
    stale_nonce = invitation.nonce
    services.invitation_resend(invitation=invitation, actor=StaffFactory(), base_url=BASE)
    sent = services.invitation_email_send(invitation_id=invitation.pk, nonce=stale_nonce, base_url=BASE)
    assert sent is False
    assert mailoutbox == []


def test_cancelled_invitation_link_is_refused():
    invitation = invite(ClientFactory())
    services.invitation_cancel(invitation=invitation, actor=StaffFactory())
    with pytest.raises(InvitationLinkError, match="withdrawn"):
        invitation_from_token(invitation_token(invitation))


def test_invitation_link_is_refused_while_storefront_access_is_off():
    client = ClientFactory()
    invitation = invite(client)
    services.storefront_access_disable(client=client, actor=StaffFactory())
    with pytest.raises(InvitationLinkError, match="switched off"):
        invitation_from_token(invitation_token(invitation))


def test_accepting_creates_the_account_with_the_role_on_the_client():
    client = ClientFactory()
    invitation = invite(client, email="olivia@example.test", role=Role.ORDER_MANAGER)
    membership = invitation_accept(
        invitation=invitation, password="Long-enough-pw-1", first_name="Olivia", last_name="O"
    )
    user = User.objects.get(email="olivia@example.test")
    assert membership.user == user and membership.role == Role.ORDER_MANAGER
    assert user.check_password("Long-enough-pw-1")
    assert user.has_perm("clients.view_client_orders", client)
    assert not user.has_perm("clients.manage_members", client)
    invitation.refresh_from_db()
    assert invitation.state == "accepted" and invitation.accepted_user == user


def test_a_removed_member_can_be_invited_again_and_reuses_the_account():
    client = ClientFactory()
    make_member(client, Role.ADMIN)
    person = make_member(client, Role.READ_ONLY, email="back@example.test")
    membership_remove(membership=person.membership, actor=StaffFactory())
    person.refresh_from_db()
    assert person.is_active is False
    invitation = invite(client, email="back@example.test", role=Role.ADMIN)
    invitation_accept(invitation=invitation, password="Long-enough-pw-2", first_name="Back", last_name="Again")
    person.refresh_from_db()
    assert person.is_active and person.membership.role == Role.ADMIN
    assert User.objects.filter(email="back@example.test").count() == 1
