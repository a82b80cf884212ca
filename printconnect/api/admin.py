from django.contrib import admin

from printconnect.api.models import ApiIdempotencyKey, ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made on the token pages (the secret is shown once there); here they are read and revoked."""

    list_display = [
        "name",
        "prefix",
        "client",
        "store",
        "scopes",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("client", admin.RelatedOnlyFieldListFilter), ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "client__name", "store__name", "created_by__email"]
    list_select_related = ["client", "store", "created_by"]
    readonly_fields = ["prefix", "secret_hash", "created_by", "created_at", "last_used_at"]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(ApiIdempotencyKey)
class ApiIdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "token", "status_code", "created_at"]
    list_filter = ["status_code"]
    search_fields = ["key", "token__name", "token__prefix"]
    list_select_related = ["token"]
    readonly_fields = ["token", "key", "request_hash", "status_code", "response_body", "created_at"]

    def has_add_permission(self, request: object) -> bool:
        return False
