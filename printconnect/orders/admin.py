from django.contrib import admin

from printconnect.orders.models import (
    CarrierRule,
    Order,
    OrderHold,
    OrderImport,
    OrderItem,
    OrderSourceChange,
    OrderStatusChange,
    OutboxEvent,
    PrintFile,
    Shipment,
    ShipmentItem,
    StoreOrderSettings,
    StoreShippingMethod,
)


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    fields = ["external_id", "sku", "title", "quantity", "external_variant_id", "kind", "catalog_product"]
    readonly_fields = fields
    can_delete = False


class OrderHoldInline(admin.TabularInline):
    """What holds the order now (rows exist only while it is on hold); the pipeline writes and clears them."""

    model = OrderHold
    extra = 0
    fields = ["reason", "key"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


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
    list_display = ["number", "client", "store", "status", "hold_reason", "is_test", "placed_at", "total", "currency"]
    list_filter = ["status", "hold_reason", "is_test", "store_status", "financial_status", "client"]
    search_fields = ["number", "external_id", "customer_name", "customer_email"]
    list_select_related = ["store", "client"]
    date_hierarchy = "placed_at"
    # Status moves go through the production flow's checks and write history and outbox rows: not editable here.
    readonly_fields = ["store", "client", "external_id", "status", "synced_at", "created_at", "updated_at"]
    raw_id_fields = ["psp_shipping_method"]
    inlines = [OrderHoldInline, OrderItemInline, OrderStatusChangeInline]


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


class ShipmentItemInline(admin.TabularInline):
    model = ShipmentItem
    extra = 0
    raw_id_fields = ["item"]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["order", "carrier", "tracking_number", "shipped_at", "source"]
    list_filter = ["carrier", "source"]
    search_fields = ["tracking_number", "order__number"]
    list_select_related = ["order", "carrier"]
    date_hierarchy = "shipped_at"
    raw_id_fields = ["order", "created_by"]
    inlines = [ShipmentItemInline]


@admin.register(StoreOrderSettings)
class StoreOrderSettingsAdmin(admin.ModelAdmin):
    list_display = ["store", "non_printable_rule", "fulfilment", "default_shipping_method", "default_carrier"]
    list_filter = ["non_printable_rule", "fulfilment"]
    search_fields = ["store__name", "store__client__name"]
    list_select_related = ["store", "default_shipping_method", "default_carrier"]


@admin.register(StoreShippingMethod)
class StoreShippingMethodAdmin(admin.ModelAdmin):
    list_display = ["name", "store", "shipping_method", "last_seen_at"]
    list_filter = [("shipping_method", admin.EmptyFieldListFilter)]
    search_fields = ["name", "store__name"]
    list_select_related = ["store", "shipping_method"]


@admin.register(CarrierRule)
class CarrierRuleAdmin(admin.ModelAdmin):
    list_display = ["store", "position", "pattern", "carrier"]
    list_filter = ["carrier"]
    search_fields = ["store__name", "pattern"]
    list_select_related = ["store", "carrier"]


@admin.register(PrintFile)
class PrintFileAdmin(admin.ModelAdmin):
    """Read-only: files change through downloads and "Replace file" (orders.printfiles), which hold and release."""

    list_display = ["pk", "item", "status", "content_type", "size", "page_count", "attempts", "updated_at"]
    list_filter = ["status"]
    search_fields = ["item__order__number", "source_url", "sha256"]
    list_select_related = ["item"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(OrderSourceChange)
class OrderSourceChangeAdmin(admin.ModelAdmin):
    """Read-only: decided on the order page ("Accept the store's changes" / "Keep as imported"), which holds and
    releases the order."""

    list_display = ["pk", "order", "status", "production_started", "detected_at", "decided_by", "decided_at"]
    list_filter = ["status", "production_started"]
    search_fields = ["order__number", "order__external_id"]
    list_select_related = ["order", "order__store", "decided_by"]
    date_hierarchy = "detected_at"

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(OrderImport)
class OrderImportAdmin(admin.ModelAdmin):
    """History of the orders CSV uploads of manual stores. Read-only: files are checked, imported and discarded on
    the store's Import orders page."""

    list_display = ["original_name", "store", "status", "rows_total", "orders_count", "lines_count", "orders_created"]
    list_display += ["created_by", "created_at", "imported_at"]
    list_filter = ["status", "store__client"]
    search_fields = ["original_name", "store__name", "store__client__name", "created_by__email", "message"]
    list_select_related = ["store", "store__client", "created_by"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in OrderImport._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
