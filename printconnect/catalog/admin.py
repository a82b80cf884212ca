from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from import_export import fields, resources, widgets
from import_export.admin import ImportExportMixin, ImportExportModelAdmin
from import_export.instance_loaders import ModelInstanceLoader

from printconnect.catalog import services
from printconnect.catalog.models import (
    Carrier,
    CatalogProduct,
    MappingImport,
    ShippingMethod,
    ShippingRate,
    StoreProduct,
    StoreVariant,
)
from printconnect.catalog.resources import StaffStoreVariantMappingResource
from printconnect.core.exceptions import ApplicationError

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
class StoreVariantAdmin(ImportExportMixin, admin.ModelAdmin):
    """Export and import of mappings with the portal's columns (plus the printconnect ID, variant ids being unique
    per store only); the import checks UIDs and URLs like the portal's and tells held orders afterwards."""

    resource_classes = [StaffStoreVariantMappingResource]
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


# --- the PSP catalog and shipping reference data -------------------------------------------------------------------
# Edits here go through the same checks as the staff pages (services' *_clean functions); rows that orders reference
# are deactivated, never deleted.


def _checked(clean: Callable[[Any], Any], value: Any) -> Any:
    try:
        return clean(value)
    except ApplicationError as exc:
        raise ValidationError(exc.message) from exc


class CatalogProductAdminForm(forms.ModelForm):
    class Meta:
        model = CatalogProduct
        fields = ["uid", "name", "kind", "print_specs", "active"]

    def clean_uid(self) -> str:
        uid = _checked(services.catalog_uid_clean, self.cleaned_data.get("uid"))
        others = CatalogProduct.objects.filter(uid__iexact=uid).exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError(f"Product UID {uid!r} is already used (UIDs are unique whatever their case).")
        return uid

    def clean_print_specs(self) -> dict[str, str]:
        return _checked(services.print_specs_clean, self.cleaned_data.get("print_specs"))


class _UidInstanceLoader(ModelInstanceLoader):
    """Rows find their product by UID whatever its case, as the unique constraint does."""

    def get_instance(self, row: Any) -> CatalogProduct | None:
        uid = str(self.resource.fields["uid"].clean(row) or "").strip()
        return self.get_queryset().filter(uid__iexact=uid).first() if uid else None


class CatalogProductResource(resources.ModelResource):
    """CSV/XLSX of the catalog, keyed on product UID; print specs as a JSON object in one column."""

    print_specs = fields.Field(attribute="print_specs", column_name="print_specs", widget=widgets.JSONWidget())

    class Meta:
        model = CatalogProduct
        fields = ["uid", "name", "kind", "print_specs", "active"]
        import_id_fields = ["uid"]
        instance_loader_class = _UidInstanceLoader
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def validate_instance(
        self, instance: CatalogProduct, import_validation_errors: dict | None = None, validate_unique: bool = True
    ) -> None:
        errors = dict(import_validation_errors or {})
        for name, clean in (("uid", services.catalog_uid_clean), ("print_specs", services.print_specs_clean)):
            if name in errors:
                continue
            try:
                setattr(instance, name, clean(getattr(instance, name)))
            except ApplicationError as exc:
                errors[name] = [exc.message]
        super().validate_instance(instance, errors, validate_unique)


def _activate_action(service: Callable[..., Any], kwarg: str, *, active: bool, noun: str) -> Callable[..., None]:
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        changed = 0
        for row in queryset.filter(active=not active):
            service(**{kwarg: row, "actor": request.user})
            changed += 1
        modeladmin.message_user(
            request, f"{changed} {noun} {'reactivated' if active else 'deactivated'}.", messages.SUCCESS
        )

    action.__name__ = f"{'reactivate' if active else 'deactivate'}_selected"
    action.short_description = f"{'Reactivate' if active else 'Deactivate'} selected {noun}"  # type: ignore[attr-defined]
    return action


@admin.register(CatalogProduct)
class CatalogProductAdmin(ImportExportModelAdmin):
    form = CatalogProductAdminForm
    resource_classes = [CatalogProductResource]
    list_display = ["uid", "name", "kind", "active", "updated_at"]
    list_filter = ["kind", "active"]
    search_fields = ["uid", "name"]
    readonly_fields = ["created_at", "updated_at"]
    actions = [
        _activate_action(services.catalog_product_deactivate, "product", active=False, noun="products"),
        _activate_action(services.catalog_product_reactivate, "product", active=True, noun="products"),
    ]

    def has_delete_permission(self, request: HttpRequest, obj: CatalogProduct | None = None) -> bool:
        return False


class CarrierAdminForm(forms.ModelForm):
    class Meta:
        model = Carrier
        fields = ["code", "name", "tracking_url_template", "active"]

    def clean_code(self) -> str:
        return _checked(lambda code: services.code_clean(code, label="carrier"), self.cleaned_data.get("code"))

    def clean_tracking_url_template(self) -> str:
        return _checked(services.tracking_url_template_clean, self.cleaned_data.get("tracking_url_template"))


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    form = CarrierAdminForm
    list_display = ["code", "name", "tracking_url_template", "active", "method_count"]
    list_filter = ["active"]
    search_fields = ["code", "name"]
    readonly_fields = ["created_at", "updated_at"]
    actions = [
        _activate_action(services.carrier_deactivate, "carrier", active=False, noun="carriers"),
        _activate_action(services.carrier_reactivate, "carrier", active=True, noun="carriers"),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Carrier]:
        return super().get_queryset(request).annotate(method_total=Count("shipping_methods"))

    @admin.display(description="shipping methods", ordering="method_total")
    def method_count(self, carrier: Carrier) -> int:
        return carrier.method_total

    def has_delete_permission(self, request: HttpRequest, obj: Carrier | None = None) -> bool:
        return False


class ShippingMethodAdminForm(forms.ModelForm):
    class Meta:
        model = ShippingMethod
        fields = ["code", "name", "carrier", "service_level", "active"]

    def clean_code(self) -> str:
        return _checked(lambda code: services.code_clean(code, label="shipping method"), self.cleaned_data.get("code"))


class ShippingRateAdminForm(forms.ModelForm):
    class Meta:
        model = ShippingRate
        fields = ["country_group", "countries", "currency", "price"]

    def clean_countries(self) -> list[str]:
        return _checked(services.countries_clean, self.cleaned_data.get("countries"))

    def clean_currency(self) -> str:
        return _checked(services.currency_clean, self.cleaned_data.get("currency"))

    def clean_price(self) -> Any:
        return _checked(services.price_clean, self.cleaned_data.get("price"))


class ShippingRateInline(admin.TabularInline):
    model = ShippingRate
    form = ShippingRateAdminForm
    extra = 0


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    form = ShippingMethodAdminForm
    list_display = ["code", "name", "carrier", "service_level", "active", "rate_count"]
    list_filter = ["service_level", "active", "carrier"]
    search_fields = ["code", "name", "carrier__name", "carrier__code"]
    list_select_related = ["carrier"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ShippingRateInline]
    actions = [
        _activate_action(services.shipping_method_deactivate, "method", active=False, noun="shipping methods"),
        _activate_action(services.shipping_method_reactivate, "method", active=True, noun="shipping methods"),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ShippingMethod]:
        return super().get_queryset(request).annotate(rate_total=Count("rates"))

    @admin.display(description="rates", ordering="rate_total")
    def rate_count(self, method: ShippingMethod) -> int:
        return method.rate_total

    def has_delete_permission(self, request: HttpRequest, obj: ShippingMethod | None = None) -> bool:
        return False


# --- bulk mapping imports (the portal's Bulk operations) ----------------------------------------------------------


@admin.register(MappingImport)
class MappingImportAdmin(admin.ModelAdmin):
    """History of the clients' uploads. Read-only: imports are started, confirmed and discarded in the portal."""

    list_display = ["original_name", "store", "status", "mode", "file_format", "rows_total", "rows_create"]
    list_display += ["rows_update", "rows_unchanged", "rows_error", "created_by", "created_at", "applied_at"]
    list_filter = ["status", "mode", "file_format", "store__platform", "store__client"]
    search_fields = ["original_name", "store__name", "store__client__name", "created_by__email", "message"]
    list_select_related = ["store", "store__client", "created_by"]
    date_hierarchy = "created_at"
    fields = ["store", "original_name", "file", "file_size", "file_format", "mode", "status", "task_id", "message"]
    fields += ["rows_total", "rows_done", "rows_create", "rows_update", "rows_unchanged", "rows_error", "errors"]
    fields += ["created_by", "created_at", "checked_at", "applied_at", "applied_by", "updated_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: MappingImport | None = None) -> bool:
        return False
