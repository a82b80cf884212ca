from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from printconnect.catalog.models import StoreProduct, StoreVariant

# Mirrored from the store by the product feeds, which would overwrite an edit here: change them in the store.
# Only the stock level is printconnect's own (the stock export pushes it).
_PRODUCT_SYNCED = ["store", "external_id", "title", "sku", "product_type", "active", "remote_updated_at", "synced_at"]
_PRODUCT_SYNCED += ["images", "images_synced_at"]
_VARIANT_SYNCED = ["external_id", "sku", "attributes", "price", "weight", "active"]


class StoreVariantInline(admin.TabularInline):
    model = StoreVariant
    extra = 0
    fields = [*_VARIANT_SYNCED, "stock_quantity", "stock_exported_quantity"]
    readonly_fields = [*_VARIANT_SYNCED, "stock_exported_quantity"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: StoreProduct | None = None) -> bool:
        return False


@admin.register(StoreProduct)
class StoreProductAdmin(admin.ModelAdmin):
    list_display = ["title", "sku", "store", "product_type", "active", "variant_count", "images_synced_at"]
    list_display += ["synced_at"]
    list_filter = ["product_type", "active", ("images_synced_at", admin.EmptyFieldListFilter), "store__platform"]
    list_filter += ["store__client"]
    search_fields = ["title", "sku", "external_id", "variants__sku", "store__name", "store__client__name"]
    list_select_related = ["store", "store__client"]
    readonly_fields = [*_PRODUCT_SYNCED, "created_at", "updated_at"]
    inlines = [StoreVariantInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[StoreProduct]:
        return super().get_queryset(request).annotate(variant_total=Count("variants"))

    @admin.display(description="variants", ordering="variant_total")
    def variant_count(self, product: StoreProduct) -> int:
        return product.variant_total

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(StoreVariant)
class StoreVariantAdmin(admin.ModelAdmin):
    list_display = ["sku", "product", "store", "price", "stock_quantity", "stock_exported_quantity", "active"]
    list_display += ["synced_at"]
    list_filter = ["active", ("stock_quantity", admin.EmptyFieldListFilter), "product__product_type"]
    list_filter += ["store__platform", "store__client"]
    search_fields = ["sku", "external_id", "product__title", "product__external_id", "store__name"]
    list_select_related = ["product", "product__store", "store"]
    readonly_fields = ["product", "store", *_VARIANT_SYNCED, "stock_exported_quantity", "synced_at"]
    readonly_fields += ["created_at", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
