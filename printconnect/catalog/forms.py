"""Staff forms for the catalog and shipping data. They check shapes; services check the rules and name the field."""

from __future__ import annotations

from typing import Any

from django import forms

from printconnect.catalog.models import Carrier, CatalogProduct, ShippingMethod
from printconnect.catalog.services import catalog_uid_clean
from printconnect.core.exceptions import ApplicationError

ACTIVE_CHOICES = [("", "Active and inactive"), ("active", "Active"), ("inactive", "Inactive")]


def active_from_choice(value: str) -> bool | None:
    return {"active": True, "inactive": False}.get(value)


def specs_to_text(specs: dict[str, str]) -> str:
    return "\n".join(f"{key}: {value}" for key, value in specs.items())


class CatalogFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)
    kind = forms.ChoiceField(required=False, choices=[("", "All kinds"), *CatalogProduct.Kind.choices])
    active = forms.ChoiceField(required=False, choices=ACTIVE_CHOICES, initial="active")


class ActiveFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)
    active = forms.ChoiceField(required=False, choices=ACTIVE_CHOICES, initial="active")


class CatalogProductForm(forms.Form):
    uid = forms.CharField(
        label="Product UID",
        max_length=64,
        help_text="The key clients use in mappings and files: letters, digits, '-', '_' and '.'; unique in any case.",
    )
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=CatalogProduct.Kind.choices, initial=CatalogProduct.Kind.PRINTABLE)
    print_specs = forms.CharField(
        label="Print specs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "format: A4\npaper: 170 g silk\ncolours: 4/4"}),
        help_text="One spec per line, written <code>name: value</code>, e.g. <code>format: A4</code>.",
    )

    def clean_uid(self) -> str:
        # Checked here as well as in the service, so a bad UID is shown together with the form's other errors.
        try:
            return catalog_uid_clean(self.cleaned_data["uid"])
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean_print_specs(self) -> dict[str, str]:
        """'name: value' lines to a mapping; the service then checks names and values."""
        specs: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["print_specs"].splitlines(), start=1):
            if not line.strip():
                continue
            name, colon, value = line.partition(":")
            if not colon:
                raise forms.ValidationError(
                    f"Line {number} (“{line.strip()[:60]}”) has no ':'. Write each spec as name: value."
                )
            if not name.strip():
                raise forms.ValidationError(f"Line {number} has no name before the ':'.")
            if name.strip().lower() in (key.lower() for key in specs):
                raise forms.ValidationError(f"Line {number}: “{name.strip()}” is given twice. Keep one line for it.")
            specs[name.strip()] = value.strip()
        return specs


class CarrierForm(forms.Form):
    code = forms.CharField(max_length=32, help_text="Short and unique, e.g. dhl, ups, postnl.")
    name = forms.CharField(max_length=200)
    tracking_url_template = forms.CharField(
        label="Tracking URL template",
        max_length=500,
        required=False,
        help_text="Optional. An https:// address with <code>{tracking}</code> where the tracking number goes.",
    )


class ShippingMethodForm(forms.Form):
    code = forms.CharField(max_length=32, help_text="Short and unique, e.g. std-eu, express-de.")
    name = forms.CharField(max_length=200)
    carrier = forms.ModelChoiceField(queryset=Carrier.objects.none(), empty_label="Pick a carrier")
    service_level = forms.ChoiceField(
        choices=ShippingMethod.ServiceLevel.choices, initial=ShippingMethod.ServiceLevel.STANDARD
    )

    def __init__(self, *args: Any, carriers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["carrier"].queryset = carriers


class ShippingRateForm(forms.Form):
    country_group = forms.CharField(label="Country group", max_length=64, help_text="e.g. DACH, EU, Rest of Europe.")
    countries = forms.CharField(
        label="Countries", max_length=2000, help_text="ISO-3166 codes separated by commas, e.g. DE, AT, CH."
    )
    currency = forms.CharField(max_length=3, help_text="ISO-4217, e.g. EUR.")
    # Text, so the service's message ("cannot be negative", "2 decimal places") is the one shown.
    price = forms.CharField(max_length=20, help_text="e.g. 4.95; 0 for free shipping.")
