from django.contrib import admin

from printconnect.orders.models import Order, OrderItem, OrderStatusChange, OutboxEvent


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    fields = ["external_id", "sku", "title", "quantity", "external_product_id", "external_variant_id"]
    readonly_fields = fields
    can_delete = False


class OrderStatusChangeInline(admin.TabularInline):
    """The order's history; written only by orders.services (a status change here would skip its outbox row)."""

    model = OrderStatusChange
    extra = 0
    fields = ["at", "from_status", "to_status", "source", "actor", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "store", "status", "store_status", "financial_status", "placed_at", "total", "currency"]
    list_filter = ["status", "store_status", "financial_status", "store__client"]
    search_fields = ["number", "external_id", "customer_name", "customer_email"]
    list_select_related = ["store", "store__client"]
    date_hierarchy = "placed_at"
    # Status moves go through the production flow's checks and write history and outbox rows: not editable here.
    readonly_fields = ["store", "external_id", "status", "synced_at", "created_at", "updated_at"]
    inlines = [OrderItemInline, OrderStatusChangeInline]


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "order", "source", "created_at"]
    list_filter = ["kind", "source"]
    search_fields = ["order__number", "order__external_id"]
    list_select_related = ["order", "order__store"]
    date_hierarchy = "created_at"
    readonly_fields = ["order", "kind", "source", "payload", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
