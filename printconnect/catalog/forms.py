"""Forms for the catalog and shipping data (staff) and for mapping store variants (portal and staff). They check
shapes; services check the rules and name the field."""

from __future__ import annotations

from typing import Any

from django import forms

from printconnect.catalog.models import Carrier, CatalogProduct, ShippingMethod
from printconnect.catalog.selectors import MappingFilter
from printconnect.catalog.services import MappingData, catalog_uid_clean
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


# --- mapping store variants to the catalog -----------------------------------------------------------------------


class ProductsTabFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)
    mapping = forms.ChoiceField(required=False, choices=MappingFilter.CHOICES)
    inactive = forms.BooleanField(required=False, label="Show inactive products")


OVERRIDE_ROWS_MIN = 3
OVERRIDE_ROWS_MAX = 50  # print_specs_clean's limit; rows past it are not read


class VariantConnectForm(forms.Form):
    """Connect product: the catalog product by UID, the design file, print-spec overrides as name/value rows, and
    one select per store attribute of the variant naming the print spec it sets."""

    product_uid = forms.CharField(
        label="Product UID",
        max_length=64,
        required=False,  # the service says what to do when it is missing
        help_text="Pick a product from the catalog search above, or type its UID (any case).",
    )
    design_file_url = forms.CharField(
        label="Design file URL",
        required=False,
        max_length=4000,  # the service names the real limit in its message
        help_text="Optional. The https:// address the print file is downloaded from, e.g. "
        "https://files.example.com/poster-a4.pdf.",
    )

    # Service errors on these belong to a group of inputs, not to one field: shown above that group.
    GROUPS = ("print_spec_overrides", "attribute_specs")

    def __init__(
        self,
        data: Any = None,
        *,
        attributes: dict[str, Any],
        spec_keys: list[str],
        initial_overrides: dict[str, str] | None = None,
        initial_attribute_specs: dict[str, str] | None = None,
        extra_rows: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.group_errors: dict[str, list[str]] = {group: [] for group in self.GROUPS}
        overrides = list((initial_overrides or {}).items())
        rows = max(len(overrides) + 1, OVERRIDE_ROWS_MIN, self._posted_rows()) + extra_rows
        self.rows_full = rows >= OVERRIDE_ROWS_MAX
        self.override_rows = []
        for index in range(min(rows, OVERRIDE_ROWS_MAX)):
            key, value = overrides[index] if index < len(overrides) else ("", "")
            self.fields[f"spec_key_{index}"] = forms.CharField(
                label=f"Print spec {index + 1}",
                required=False,
                max_length=100,
                initial=key,
                widget=forms.TextInput(attrs={"list": "spec-keys", "placeholder": "name, e.g. paper"}),
            )
            self.fields[f"spec_value_{index}"] = forms.CharField(
                label=f"Value {index + 1}",
                required=False,
                max_length=300,
                initial=value,
                widget=forms.TextInput(attrs={"placeholder": "value, e.g. 350 g silk"}),
            )
            self.override_rows.append((self[f"spec_key_{index}"], self[f"spec_value_{index}"]))
        current = initial_attribute_specs or {}
        self.attribute_rows = []
        self._attribute_names = list(attributes)
        for index, name in enumerate(self._attribute_names):
            keys = list(spec_keys)
            if current.get(name) and current[name] not in keys:
                keys.append(current[name])  # a spec the catalog product does not list stays selectable
            choices = [("", "— not mapped —"), *((key, key) for key in keys)]
            self.fields[f"attr_{index}"] = forms.CharField(
                label=f"{name} (this variant: {attributes[name]})" if attributes[name] else name,
                required=False,
                max_length=100,
                initial=current.get(name, ""),
                widget=forms.Select(choices=choices),
            )
            self.attribute_rows.append(self[f"attr_{index}"])

    def _posted_rows(self) -> int:
        # Rows the user sent (or, re-shown unbound after "Add a row", the values they had typed).
        source = self.data or self.initial
        posted = [key for key in source if key.startswith("spec_key_") and key[9:].isdigit()]
        return max((int(key[9:]) + 1 for key in posted), default=0)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        overrides: dict[str, str] = {}
        for index, (key_field, _value_field) in enumerate(self.override_rows):
            key = (cleaned.get(key_field.name) or "").strip()
            value = (cleaned.get(f"spec_value_{index}") or "").strip()
            if not key and not value:
                continue
            if not key:
                self.group_errors["print_spec_overrides"].append(
                    f"Row {index + 1} has the value “{value[:60]}” but no print spec name. Name it, or clear the row."
                )
                continue
            if key.lower() in (known.lower() for known in overrides):
                self.group_errors["print_spec_overrides"].append(
                    f"Print spec “{key}” is given twice. Keep one row for it."
                )
                continue
            overrides[key] = value
        cleaned["print_spec_overrides"] = overrides
        cleaned["attribute_specs"] = {
            name: cleaned.get(f"attr_{index}") or "" for index, name in enumerate(self._attribute_names)
        }
        if any(self.group_errors.values()):
            raise forms.ValidationError("Correct the print-spec rows marked below.")
        return cleaned

    def add_service_error(self, exc: ApplicationError) -> None:
        if exc.field in self.group_errors:
            self.group_errors[exc.field].append(exc.message)
            self.add_error(None, "Correct the entries marked below; nothing was saved.")
        else:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)

    def mapping_data(self) -> MappingData:
        data = self.cleaned_data
        return MappingData(
            product_uid=data["product_uid"],
            design_file_url=data["design_file_url"],
            print_spec_overrides=data["print_spec_overrides"],
            attribute_specs=data["attribute_specs"],
        )
