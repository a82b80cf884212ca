"""Forms of a store's Shipping settings page. They only read input; the services validate and save."""

from __future__ import annotations

from typing import Any

from django import forms

from printconnect.catalog.models import Carrier, ShippingMethod, StoreProduct, StoreVariant
from printconnect.core.countries import COUNTRIES
from printconnect.orders.models import CarrierRule, StoreOrderSettings, StoreShippingMethod
from printconnect.orders.services import CarrierRuleData

BLANK_RULE_ROWS = 3


def _method_choices() -> Any:
    return ShippingMethod.objects.filter(active=True).select_related("carrier").order_by("name")


class _MethodChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ShippingMethod) -> str:
        return f"{obj.name} ({obj.code}, {obj.carrier.name})"


class ShippingMethodsForm(forms.Form):
    """One select per shipping method name seen in the store's orders, and the store's default method."""

    def __init__(
        self, data: Any = None, *, seen: list[StoreShippingMethod], settings: StoreOrderSettings, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.seen = seen
        choices = _method_choices()
        for row in seen:
            self.fields[f"method_{row.pk}"] = _MethodChoiceField(
                queryset=choices,
                required=False,
                empty_label="— not mapped —",
                label=row.name,
                initial=row.shipping_method,
            )
        self.fields["default_method"] = _MethodChoiceField(
            queryset=choices,
            required=False,
            empty_label="— no default: hold orders with an unmapped method —",
            label="Default shipping method",
            initial=settings.default_shipping_method,
            help_text="Used for every order whose shipping method is not mapped above (or names none).",
        )

    def rows(self) -> list[tuple[StoreShippingMethod, forms.BoundField]]:
        return [(row, self[f"method_{row.pk}"]) for row in self.seen]

    def mappings(self) -> dict[int, ShippingMethod | None]:
        return {row.pk: self.cleaned_data.get(f"method_{row.pk}") for row in self.seen}


class CarrierRulesForm(forms.Form):
    """The store's carrier rules as ordered rows (pattern -> carrier), a few blank rows to add more, and the
    default carrier."""

    def __init__(
        self, data: Any = None, *, rules: list[CarrierRule], settings: StoreOrderSettings, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        carriers = Carrier.objects.filter(active=True).order_by("name")
        self.count = len(rules) + BLANK_RULE_ROWS
        for index in range(self.count):
            rule = rules[index] if index < len(rules) else None
            self.fields[f"pattern_{index}"] = forms.CharField(
                required=False, label=f"Pattern of rule {index + 1}", initial=rule.pattern if rule else ""
            )
            self.fields[f"carrier_{index}"] = forms.ModelChoiceField(
                queryset=carriers,
                required=False,
                empty_label="— carrier —",
                label=f"Carrier of rule {index + 1}",
                initial=rule.carrier if rule else None,
            )
        self.fields["default_carrier"] = forms.ModelChoiceField(
            queryset=carriers,
            required=False,
            empty_label="— no default —",
            label="Default carrier",
            initial=settings.default_carrier,
            help_text="For tracking numbers no rule matches. Without one, such tracking is not sent to the store and "
            "an Error says so.",
        )

    def row_fields(self) -> list[tuple[int, forms.BoundField, forms.BoundField]]:
        return [(i + 1, self[f"pattern_{i}"], self[f"carrier_{i}"]) for i in range(self.count)]

    def rules(self) -> list[CarrierRuleData]:
        return [
            CarrierRuleData(self.cleaned_data.get(f"pattern_{i}") or "", self.cleaned_data.get(f"carrier_{i}"))
            for i in range(self.count)
        ]


class IntakeRulesForm(forms.Form):
    non_printable_rule = forms.ChoiceField(
        choices=StoreOrderSettings.NonPrintableRule.choices,
        widget=forms.RadioSelect,
        label="Lines whose store product is not printed (stock items)",
    )
    fulfilment = forms.ChoiceField(
        choices=StoreOrderSettings.Fulfilment.choices,
        widget=forms.RadioSelect,
        label="Which orders this store sends to the print shop",
        help_text="Orders of the other kind are skipped, with an Info in the store's events.",
    )


class ActivationDateForm(forms.Form):
    activation_date = forms.DateTimeField(
        required=False,
        label="Activation date (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text="Only orders placed on or after this moment are imported. Empty: every open order is imported.",
    )


class PrintFileReplaceForm(forms.Form):
    """ "Replace file" on a held order's line: the new file's address, or the file itself."""

    url = forms.URLField(required=False, max_length=2000, label="New file's address (URL)", assume_scheme="https")
    upload = forms.FileField(required=False, label="or upload the file")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if bool(cleaned.get("url")) == bool(cleaned.get("upload")):
            raise forms.ValidationError("Give either the new file's address or a file to upload.")
        return cleaned


# --- Send test order ------------------------------------------------------------------------------------------------

TEST_ORDER_PRODUCTS_SHOWN = 500


def _variant_choice_label(variant: StoreVariant, text: str) -> str:
    sku = f" · SKU {variant.sku}" if variant.sku else ""
    return f"{text}{sku}{'' if variant.catalog_product_id else ' · not connected (the order will be held)'}"


def _test_order_choices(store: Any) -> list[Any]:
    """The store's products for the menu: a product with variants is a group ("any variant" picks one at random)."""
    variants = list(
        StoreVariant.objects.filter(store=store, active=True, product__active=True)
        .select_related("product")
        .order_by("product__title", "product_id", "sku", "pk")[:TEST_ORDER_PRODUCTS_SHOWN]
    )
    by_product: dict[int, list[Any]] = {}
    for variant in variants:
        by_product.setdefault(variant.product_id, []).append(variant)
    choices: list[Any] = [("", "— choose a product —")]
    for rows in by_product.values():
        product = rows[0].product
        title = product.title or product.sku or f"Product {product.external_id}"
        if len(rows) == 1 and rows[0].is_product_itself:
            choices.append((f"v{rows[0].pk}", _variant_choice_label(rows[0], title)))
            continue
        group = [(f"p{product.pk}", f"{title}: any variant (picked at random)")]
        for variant in rows:
            values = ", ".join(str(v) for v in (variant.attributes or {}).values() if v not in (None, ""))
            text = f"{title} - {values or variant.external_id}"
            group.append((f"v{variant.pk}", _variant_choice_label(variant, text)))
        choices.append((title, group))
    return choices


class TestOrderForm(forms.Form):
    """Which product and country a test order is for; the service makes up the rest."""

    product = forms.ChoiceField(
        label="Product",
        required=False,
        help_text="The store's products by name (the first 500). For another one, type its SKU or variant ID below.",
    )
    sku = forms.CharField(label="…or its SKU or variant ID", required=False, max_length=200)
    country = forms.ChoiceField(
        label="Country of the test customer",
        help_text="A made-up customer and address of that country's format are used.",
    )

    def __init__(self, data: Any = None, *, store: Any, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.store = store
        self.fields["product"].choices = _test_order_choices(store)
        self.fields["country"].choices = [(code, f"{name} ({code})") for code, name in COUNTRIES]
        self.fields["country"].initial = "DE"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["variant"], data["store_product"] = None, None
        sku = (data.get("sku") or "").strip()
        choice = data.get("product") or ""
        if sku:
            variants = StoreVariant.objects.filter(store=self.store)
            found = variants.filter(sku__iexact=sku).first() or variants.filter(external_id=sku).first()
            if found is None:
                self.add_error("sku", f"No product of this store has SKU or variant ID “{sku}”.")
            data["variant"] = found
        elif choice[:1] == "v" and choice[1:].isdigit():
            data["variant"] = StoreVariant.objects.filter(store=self.store, pk=int(choice[1:])).first()
        elif choice[:1] == "p" and choice[1:].isdigit():
            data["store_product"] = StoreProduct.objects.filter(store=self.store, pk=int(choice[1:])).first()
        if not sku and data["variant"] is None and data["store_product"] is None:
            self.add_error("product", "Choose one of the store's products, or type its SKU.")
        return data
