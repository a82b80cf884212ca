from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from printconnect.clients.models import Client, ClientUserObjectPermission, Invitation, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "client"
    extra = 0
    fields = ["user", "role", "invited_by", "created_at"]
    readonly_fields = ["user", "invited_by", "created_at"]
    can_delete = False
    show_change_link = True


@admin.register(Client)
class ClientAdmin(GuardedModelAdmin):
    list_display = ["name", "reference", "storefront_access", "created_at"]
    list_filter = ["storefront_access", "created_at"]
    search_fields = ["name", "reference", "description"]
    readonly_fields = ["storefront_access_changed_at", "created_at", "updated_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "client", "role", "invited_by", "created_at"]
    list_filter = ["role", "client"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "client__name"]
    list_select_related = ["user", "client", "invited_by"]
    autocomplete_fields = ["client", "user", "invited_by"]
    # Roles are applied as object permissions by the portal's services; change them there, not here.
    readonly_fields = ["role"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "client",
        "role",
        "state_label",
        "sent_at",
        "expires_at",
        "accepted_at",
        "invited_by",
    ]
    list_filter = ["role", "client", "accepted_at", "cancelled_at"]
    search_fields = ["email", "first_name", "last_name", "client__name"]
    list_select_related = ["client", "invited_by"]
    # The nonce is never shown: with it and the signing key a link could be rebuilt.
    exclude = ["nonce"]
    readonly_fields = [
        "client",
        "email",
        "first_name",
        "last_name",
        "role",
        "store_ids",
        "sent_at",
        "expires_at",
        "accepted_at",
        "cancelled_at",
        "invited_by",
        "accepted_user",
        "created_at",
        "updated_at",
    ]

    @admin.display(description="state")
    def state_label(self, obj: Invitation) -> str:
        return obj.get_state_display()

    def has_add_permission(self, request: object) -> bool:
        return False  # invitations are sent from the staff console and the portal, which email them


class ObjectPermissionAdmin(admin.ModelAdmin):
    """Who holds which object permission: read-only, because roles are granted by the portal's services."""

    list_display = ["user", "permission", "content_object"]
    list_filter = ["permission"]
    search_fields = ["user__email"]
    list_select_related = ["user", "permission", "content_object"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(ClientUserObjectPermission)
class ClientUserObjectPermissionAdmin(ObjectPermissionAdmin):
    search_fields = ["user__email", "content_object__name"]
