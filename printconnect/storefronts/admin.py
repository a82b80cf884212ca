from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from printconnect.clients.admin import ObjectPermissionAdmin
from printconnect.storefronts.models import Store, StoreUserObjectPermission


@admin.register(Store)
class StoreAdmin(GuardedModelAdmin):
    list_display = ["name", "client", "platform", "created_at"]
    list_filter = ["platform", "client"]
    search_fields = ["name", "client__name", "client__reference"]
    list_select_related = ["client"]
    autocomplete_fields = ["client"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(StoreUserObjectPermission)
class StoreUserObjectPermissionAdmin(ObjectPermissionAdmin):
    search_fields = ["user__email", "content_object__name", "content_object__client__name"]
    list_filter = ["permission", "content_object__client"]
