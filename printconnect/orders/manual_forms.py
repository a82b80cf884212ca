"""Forms of the "Place order" and "Import orders" pages of a manual store. They read input; the services
(orders.manual, orders.order_imports) check it against the store and the catalog and create the order."""

from __future__ import annotations

from typing import Any

from django import forms

from printconnect.catalog.models import ShippingMethod, StoreVariant
from printconnect.core.countries import COUNTRIES
from printconnect.orders import manual, services
from printconnect.storefronts.models import Store

BLANK_LINES = 3  # rows the form offers without JavaScript; "Add line" adds more


class _VariantField(forms.ModelChoiceField):
    def label_from_instance(self, obj: StoreVariant) -> str:
        label = services.variant_label(obj)
        mapped = f" → {obj.catalog_product.uid}" if obj.catalog_product else " (not connected: the order is held)"
        return f"{label}{f' · {obj.sku}' if obj.sku else ''}{mapped}"


class _MethodField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ShippingMethod) -> str:
        return f"{obj.name} ({obj.carrier.name})"


class ManualOrderForm(forms.Form):
    number = forms.CharField(
        required=False,
        max_length=64,
        label="Order number",
        help_text="Leave empty for the store's next number (M-000123).",
    )
    customer_name = forms.CharField(max_length=200, required=False, label="Customer name")
    customer_email = forms.EmailField(required=False, label="Customer email")
    ship_name = forms.CharField(max_length=200, label="Recipient")
    ship_company = forms.CharField(max_length=200, required=False, label="Company")
    ship_line1 = forms.CharField(max_length=200, label="Street address")
    ship_line2 = forms.CharField(max_length=200, required=False, label="Address line 2")
    ship_postcode = forms.CharField(max_length=20, required=False, label="Postcode")
    ship_city = forms.CharField(max_length=100, label="City")
    ship_state = forms.CharField(max_length=100, required=False, label="State / region")
    ship_country = forms.ChoiceField(choices=[("", "— choose —"), *COUNTRIES], label="Country")
    ship_phone = forms.CharField(max_length=40, required=False, label="Phone")
    shipping_method = _MethodField(
        queryset=ShippingMethod.objects.none(),
        required=False,
        empty_label="— the store's default shipping method —",
        label="Shipping method",
    )
    currency = forms.ChoiceField(choices=[(c, c) for c in manual.CURRENCIES], label="Currency")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        methods = ShippingMethod.objects.filter(active=True).select_related("carrier").order_by("name")
        self.fields["shipping_method"].queryset = methods
        self.fields["currency"].initial = manual.default_currency()

    def address(self) -> manual.ManualAddress:
        data = self.cleaned_data
        return manual.ManualAddress(
            name=data["ship_name"],
            company=data["ship_company"],
            line1=data["ship_line1"],
            line2=data["ship_line2"],
            postcode=data["ship_postcode"],
            city=data["ship_city"],
            state=data["ship_state"],
            country=data["ship_country"],
            phone=data["ship_phone"],
        )


class ManualLineForm(forms.Form):
    variant = _VariantField(
        queryset=StoreVariant.objects.none(), required=False, empty_label="— a product of this store —", label="Product"
    )
    catalog_uid = forms.CharField(max_length=64, required=False, label="or catalog product UID")
    quantity = forms.IntegerField(min_value=1, max_value=manual.MAX_QUANTITY, required=False, label="Quantity")
    design_file_url = forms.URLField(max_length=2000, required=False, assume_scheme="https", label="Design file URL")
    upload = forms.FileField(required=False, label="or upload the file")

    def __init__(self, *args: Any, store: Store, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["variant"].queryset = (
            StoreVariant.objects.filter(store=store, product__active=True)
            .select_related("product", "catalog_product")
            .order_by("product__title", "sku", "pk")
        )

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in ("variant", "catalog_uid", "quantity", "design_file_url", "upload"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.is_blank():
            return cleaned
        if cleaned.get("variant") and cleaned.get("catalog_uid"):
            self.add_error("catalog_uid", "Choose a product of the store or enter a catalog UID, not both.")
        if not cleaned.get("quantity") and "quantity" not in self.errors:
            self.add_error("quantity", "Enter the quantity.")
        return cleaned

    def line(self) -> manual.ManualLine:
        data = self.cleaned_data
        return manual.ManualLine(
            quantity=data["quantity"],
            variant=data.get("variant"),
            catalog_uid=(data.get("catalog_uid") or "").strip(),
            design_file_url=data.get("design_file_url") or "",
            upload=data.get("upload"),
        )


ManualLineFormSet = forms.formset_factory(
    ManualLineForm, extra=BLANK_LINES, max_num=manual.MAX_LINES, absolute_max=manual.MAX_LINES
)


class OrderImportForm(forms.Form):
    file = forms.FileField(label="Orders file (CSV)", help_text="UTF-8 CSV, separated by , ; or tab; one row per line.")
