"""The Storefronts portal (client users) and the staff console's Stores tab. Thin: selectors read, services act.

Objects are looked up through selectors scoped to the user, so another client's id answers 404; an action the
user's role does not allow on an object they can see answers 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from printconnect.clients import selectors as client_selectors
from printconnect.clients.access import portal_member_required, require_client_permission, staff_required
from printconnect.clients.models import Client, Invitation, Membership
from printconnect.clients.services import (
    InvitationLinkError,
    invitation_cancel,
    invitation_from_token,
    invitation_resend,
)
from printconnect.core import permissions as perms
from printconnect.core.exceptions import ApplicationError
from printconnect.core.forms import add_application_error
from printconnect.core.permissions import Role
from printconnect.storefronts import selectors, services
from printconnect.storefronts.forms import AcceptInvitationForm, InviteForm, RoleForm, StoreForm
from printconnect.storefronts.models import Store

PAGE_SIZE = 25


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


# --- dashboard and stores ----------------------------------------------------------------------------------------


@portal_member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user, client = request.user, request.client
    stores = selectors.stores_for_user(user=user).filter(client=client).order_by("name")
    order_stores = selectors.stores_for_user(user=user, perm=perms.VIEW_STORE_ORDERS).filter(client=client)
    context = {
        # Counts and a handful of names: a client may have thousands of stores.
        "store_count": stores.count(),
        "store_names": list(stores.values_list("name", flat=True)[:5]),
        "order_store_count": order_stores.count(),
        "order_store_names": list(order_stores.order_by("name").values_list("name", flat=True)[:5]),
        "member_count": None,
        "open_invitations": None,
    }
    if user.has_perm(f"clients.{perms.MANAGE_MEMBERS}", client):
        context["member_count"] = client_selectors.members_for_client(client=client).count()
        context["open_invitations"] = client_selectors.invitations_open_for_client(client=client).count()
    return render(request, "portal/dashboard.html", context)


@portal_member_required
def store_list(request: HttpRequest) -> HttpResponse:
    require_client_permission(request, perms.VIEW_CLIENT_STORES)
    stores = selectors.stores_for_user(user=request.user).filter(client=request.client).order_by("name", "pk")
    page = Paginator(stores, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/stores/store_list.html", {"page": page})


@portal_member_required
def store_add(request: HttpRequest) -> HttpResponse:
    require_client_permission(request, perms.ADD_STORE)
    form = StoreForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            store = services.store_create_manual(client=request.client, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, f"Manual store “{store.name}” added.")
            return redirect("portal:store_detail", pk=store.pk)
    return render(request, "portal/stores/store_add.html", {"form": form})


def _visible_store(request: HttpRequest, pk: int) -> Store:
    return get_object_or_404(selectors.stores_for_user(user=request.user).filter(client=request.client), pk=pk)


@portal_member_required
def store_detail(request: HttpRequest, pk: int) -> HttpResponse:
    store = _visible_store(request, pk)
    can_change = request.user.has_perm(f"storefronts.{perms.CHANGE_STORE}", store)
    # "Send test order" changes the store's orders (Admins; Order managers reach it from the order list).
    can_send_test = request.user.has_perm(f"storefronts.{perms.CHANGE_STORE_ORDERS}", store)
    # A manual store's orders are placed and imported by hand, by those who may change the store's orders.
    can_place = store.platform == Store.Platform.MANUAL and request.user.has_perm(
        f"storefronts.{perms.CHANGE_STORE_ORDERS}", store
    )
    context = {"store": store, "can_change": can_change, "can_place_orders": can_place, "can_send_test": can_send_test}
    return render(request, "portal/stores/store_detail.html", context)


@portal_member_required
def store_edit(request: HttpRequest, pk: int) -> HttpResponse:
    store = _visible_store(request, pk)
    if not request.user.has_perm(f"storefronts.{perms.CHANGE_STORE}", store):
        raise PermissionDenied("Your role lets you see this store, not change it.")
    form = StoreForm(request.POST or None, initial={"name": store.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.store_update(store=store, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            store.refresh_from_db()
            add_application_error(form, exc)
        else:
            messages.success(request, "Store saved.")
            return redirect("portal:store_detail", pk=store.pk)
    return render(request, "portal/stores/store_edit.html", {"store": store, "form": form})


# --- user management (client Admins) -----------------------------------------------------------------------------


@portal_member_required
def user_list(request: HttpRequest) -> HttpResponse:
    require_client_permission(request, perms.MANAGE_MEMBERS)
    members = list(client_selectors.members_for_client(client=request.client))
    assigned = selectors.assigned_store_names_by_user(client=request.client)
    for member in members:
        member.assigned_store_names = assigned.get(member.user_id, [])
    store_names = dict(selectors.stores_for_client(client=request.client).values_list("pk", "name"))
    invitations = list(client_selectors.invitations_open_for_client(client=request.client))
    for invitation in invitations:
        invitation.store_names = [store_names[pk] for pk in invitation.store_ids if pk in store_names]
    sole_admin = [m for m in members if m.role == Role.ADMIN]
    context = {
        "members": members,
        "invitations": invitations,
        "sole_admin_id": sole_admin[0].pk if len(sole_admin) == 1 else None,
    }
    return render(request, "portal/settings/user_list.html", context)


@portal_member_required
def user_invite(request: HttpRequest) -> HttpResponse:
    require_client_permission(request, perms.MANAGE_MEMBERS)
    form = InviteForm(request.POST or None, client=request.client)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = services.member_invite(
                client=request.client,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                role=data["role"],
                store_ids=form.store_ids,
                actor=request.user,
                base_url=_base_url(request),
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("portal:user_list")
    return render(request, "portal/settings/user_invite.html", {"form": form})


def _team_member(request: HttpRequest, pk: int) -> Membership:
    require_client_permission(request, perms.MANAGE_MEMBERS)
    return get_object_or_404(
        Membership.objects.select_related("user", "client"),
        pk=pk,
        client=request.client,
        user__is_active=True,
    )


@portal_member_required
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _team_member(request, pk)
    initial = {"role": membership.role, "stores": selectors.assigned_store_ids(membership=membership)}
    form = RoleForm(request.POST or None, client=request.client, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_role_change(
                membership=membership,
                role=form.cleaned_data["role"],
                store_ids=form.store_ids,
                actor=request.user,
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            role_label = Role(form.cleaned_data["role"]).label
            messages.success(request, f"{membership.user.display_name} is now {role_label}.")
            return redirect("portal:user_list")
    return render(request, "portal/settings/member_edit.html", {"membership": membership, "form": form})


@portal_member_required
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _team_member(request, pk)
    if request.method == "POST":
        try:
            services.membership_remove(membership=membership, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("portal:user_list")
        messages.success(request, f"{membership.user.display_name} was removed and can no longer sign in.")
        if membership.user_id == request.user.pk:
            logout(request)
            return redirect("account_login")
        return redirect("portal:user_list")
    return render(request, "portal/settings/member_remove.html", {"membership": membership})


def _team_invitation(request: HttpRequest, pk: int) -> Invitation:
    require_client_permission(request, perms.MANAGE_MEMBERS)
    return get_object_or_404(client_selectors.invitations_for_client(client=request.client), pk=pk)


@portal_member_required
@require_POST
def invitation_resend_view(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _team_invitation(request, pk)
    try:
        invitation_resend(invitation=invitation, actor=request.user, base_url=_base_url(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"A new invitation was sent to {invitation.email}; earlier links no longer work.")
    return redirect("portal:user_list")


@portal_member_required
@require_POST
def invitation_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _team_invitation(request, pk)
    try:
        invitation_cancel(invitation=invitation, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The invitation of {invitation.email} was cancelled; its link no longer works.")
    return redirect("portal:user_list")


# --- accepting an invitation (anyone holding the link) ------------------------------------------------------------


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitation_from_token(token)
    except InvitationLinkError as exc:
        return render(request, "portal/invitation_invalid.html", {"reason": exc.message}, status=400)
    form = AcceptInvitationForm(
        request.POST or None,
        invitation=invitation,
        initial={"first_name": invitation.first_name, "last_name": invitation.last_name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_accept(
                invitation=invitation,
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except InvitationLinkError as exc:
            return render(request, "portal/invitation_invalid.html", {"reason": exc.message}, status=400)
        if request.user.is_authenticated:
            logout(request)
        login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to {membership.client.name}. Your password is set.")
        return redirect("portal:dashboard")
    return render(request, "portal/invitation_accept.html", {"invitation": invitation, "form": form})


# --- staff console: a client's stores ------------------------------------------------------------------------------


@staff_required
def staff_client_stores(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    page = Paginator(selectors.stores_for_client(client=client), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "staff/clients/client_stores.html", {"client": client, "page": page, "tab": "stores"})
