from django.contrib import admin
from django.db import models
from guardian.admin import GuardedModelAdmin

from printconnect.clients.admin import ObjectPermissionAdmin
from printconnect.storefronts.models import Store, StoreUserObjectPermission


@admin.register(Store)
class StoreAdmin(GuardedModelAdmin):
    list_display = ["name", "client", "platform", "mode", "activation_date", "created_at"]
    list_filter = ["platform", "mode", "client"]
    search_fields = ["name", "client__name", "client__reference", "base_url"]
    list_select_related = ["client"]
    autocomplete_fields = ["client"]
    # Credentials are never shown here; reconnect the store from the portal to change them.
    exclude = ["credentials_encrypted"]
    readonly_fields = ["webhook_token", "created_at", "updated_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(StoreUserObjectPermission)
class StoreUserObjectPermissionAdmin(ObjectPermissionAdmin):
    search_fields = ["user__email", "content_object__name", "content_object__client__name"]
    list_filter = ["permission", "content_object__client"]
