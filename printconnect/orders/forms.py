"""Forms of a store's Shipping settings page. They only read input; the services validate and save."""

from __future__ import annotations

from typing import Any

from django import forms

from printconnect.catalog.models import Carrier, ShippingMethod
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
