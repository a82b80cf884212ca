from django.contrib import admin

from printconnect.integrations.models import (
    DeliveryAttempt,
    Feed,
    FeedRun,
    IntegrationEvent,
    OutboxDelivery,
    OutboxFanout,
    PostbackSubscription,
    WebhookDelivery,
)


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    list_display = ["store", "kind", "enabled", "interval", "crontab", "next_run_at", "synced_until"]
    list_filter = ["kind", "enabled", "store__platform"]
    search_fields = ["store__name", "store__client__name"]
    list_select_related = ["store", "interval", "crontab"]
    readonly_fields = ["cursor", "synced_until", "created_at", "updated_at"]


@admin.register(FeedRun)
class FeedRunAdmin(admin.ModelAdmin):
    list_display = ["feed", "trigger", "status", "started_at", "finished_at", "seen", "created", "updated", "failed"]
    list_filter = ["status", "trigger", "feed__kind", "feed__store__client"]
    search_fields = ["feed__store__name", "log", "task_id"]
    list_select_related = ["feed", "feed__store"]
    date_hierarchy = "started_at"
    readonly_fields = ["feed", "trigger", "started_at", "finished_at", "heartbeat_at", "task_id"]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(IntegrationEvent)
class IntegrationEventAdmin(admin.ModelAdmin):
    list_display = ["severity", "store", "code", "object_type", "object_id", "count", "last_seen", "resolved_at"]
    list_filter = ["severity", "code", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["message", "object_id", "store__name"]
    list_select_related = ["store"]
    readonly_fields = ["fingerprint", "first_seen", "last_seen", "count", "feed_run"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["received_at", "store", "topic", "external_id", "status", "attempts", "queued_at", "processed_at"]
    list_filter = ["status", "platform", "topic"]
    search_fields = ["delivery_id", "external_id", "store__name", "store__client__name"]
    list_select_related = ["store"]
    date_hierarchy = "received_at"
    readonly_fields = [
        "store", "platform", "delivery_id", "topic", "external_id", "received_at", "queued_at", "headers", "body",
    ]  # fmt: skip

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(PostbackSubscription)
class PostbackSubscriptionAdmin(admin.ModelAdmin):
    """Read only: subscriptions are added and changed on the staff and portal Postbacks pages, which check the URL
    rules and make the secret (shown once there, never here)."""

    list_display = ["url", "name", "client", "store", "active", "previous_secret_until", "updated_at"]
    list_filter = ["active", "client"]
    search_fields = ["url", "name", "client__name", "store__name"]
    list_select_related = ["client", "store"]
    fields = ["client", "store", "name", "url", "events", "active", "previous_secret_until"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    fields = ["at", "status_code", "latency_ms", "error", "response_excerpt", "manual"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(OutboxDelivery)
class OutboxDeliveryAdmin(admin.ModelAdmin):
    """Read only: redelivery goes through the staff pages' "Redeliver", which logs the attempt."""

    list_display = ["pk", "event", "target", "destination", "store", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "target"]
    search_fields = ["order__number", "store__name", "destination"]
    list_select_related = ["event", "store"]
    date_hierarchy = "created_at"
    inlines = [DeliveryAttemptInline]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(OutboxFanout)
class OutboxFanoutAdmin(admin.ModelAdmin):
    """The dispatcher's mark: every outbox event below it has its deliveries."""

    list_display = ["pk", "done_below"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
