from django.contrib import admin

from printconnect.orders.models import Order, OrderItem


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    fields = ["external_id", "sku", "title", "quantity", "external_product_id", "external_variant_id"]
    readonly_fields = fields
    can_delete = False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "store", "status", "store_status", "financial_status", "placed_at", "total", "currency"]
    list_filter = ["status", "store_status", "financial_status", "store__client"]
    search_fields = ["number", "external_id", "customer_name", "customer_email"]
    list_select_related = ["store", "store__client"]
    date_hierarchy = "placed_at"
    readonly_fields = ["store", "external_id", "synced_at", "created_at", "updated_at"]
    inlines = [OrderItemInline]
