"""Portal (and staff) forms of the integrations app: connecting a store, whose secrets are never rendered back (a
re-shown form has them blank), and adding a product to a store."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from printconnect.catalog.models import CatalogProduct
from printconnect.storefronts.models import Store

KEYS_HELP = (
    "In WordPress: <strong>WooCommerce &gt; Settings &gt; Advanced &gt; REST API</strong> &gt; <em>Add key</em>, "
    "Permissions <strong>Read/Write</strong>, then <em>Generate API key</em>. WooCommerce shows the key and the "
    "secret only once: copy both."
)


def _text(placeholder: str = "", **attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"placeholder": placeholder, "spellcheck": "false", "autocomplete": "off", **attrs})


def _secret(placeholder: str = "") -> forms.PasswordInput:
    return forms.PasswordInput(render_value=False, attrs={"placeholder": placeholder, "autocomplete": "new-password"})


class _WooCommerceCredentials(forms.Form):
    credential_names = ("consumer_key", "consumer_secret", "webhook_secret")

    @property
    def credentials(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in self.credential_names}


class WooCommerceConnectForm(_WooCommerceCredentials):
    name = forms.CharField(
        max_length=200, label="Store name", help_text="How the store is called in printconnect and on its orders."
    )
    # A CharField, not a URLField: the service says what is wrong with an address ("shop.example" is fine).
    base_url = forms.CharField(
        max_length=500,
        label="Store URL",
        help_text="The shop's home page, e.g. https://shop.example.com (not the /wp-admin address).",
        widget=_text("https://shop.example.com", inputmode="url"),
    )
    consumer_key = forms.CharField(max_length=200, label="Consumer key", help_text=KEYS_HELP, widget=_text("ck_…"))
    consumer_secret = forms.CharField(
        max_length=200, label="Consumer secret", help_text="Starts with cs_.", widget=_secret("cs_…")
    )
    webhook_secret = forms.CharField(
        max_length=200,
        required=False,
        label="Webhook secret (optional)",
        help_text="The Secret you give the webhooks you create in WooCommerce, so orders arrive at once instead of at "
        "the next import. You can add it later under “Update credentials”.",
        widget=_secret(),
    )


class WooCommerceCredentialsForm(_WooCommerceCredentials):
    """Update a connected store: every blank field keeps what is saved."""

    base_url = forms.CharField(
        max_length=500,
        label="Store URL",
        help_text="Change it only if the shop moved to a new address.",
        widget=_text("https://shop.example.com", inputmode="url"),
    )
    consumer_key = forms.CharField(
        max_length=200,
        required=False,
        label="Consumer key",
        help_text=f"Leave blank to keep the saved key. {KEYS_HELP}",
        widget=_text("ck_… (saved)"),
    )
    consumer_secret = forms.CharField(
        max_length=200,
        required=False,
        label="Consumer secret",
        help_text="Leave blank to keep the saved secret.",
        widget=_secret("cs_… (saved)"),
    )
    webhook_secret = forms.CharField(
        max_length=200,
        required=False,
        label="Webhook secret",
        help_text="Leave blank to keep the saved one (if any).",
        widget=_secret(),
    )


# The credentials form of each platform whose stores connect to a shop ("Update credentials", portal and staff).
CREDENTIAL_FORMS: dict[str, type[forms.Form]] = {Store.Platform.WOOCOMMERCE: WooCommerceCredentialsForm}


# --- "Add product" / "Publish to store" ------------------------------------------------------------------------------

OPTION_ROWS = 3  # services.products.MAX_OPTIONS


class ProductAddForm(forms.Form):
    """A catalog product to sell in the store: title, options (one row per option: name + comma-separated values),
    SKU prefix, price, design file. The service checks the values and says what to fix."""

    catalog_product = forms.ModelChoiceField(
        queryset=None,
        label="Catalog product",
        empty_label="Pick the product the print shop makes…",
        help_text="What the print shop produces for every variant of the new product.",
    )
    title = forms.CharField(
        max_length=200, label="Title", help_text="The product name customers see in the store.", widget=_text()
    )
    sku = forms.CharField(
        max_length=100,
        required=False,
        label="SKU prefix",
        help_text="Each variant's SKU is the prefix followed by its values, e.g. POSTER-A4-MATTE. "
        "Leave it empty for no SKUs.",
        widget=_text("POSTER"),
    )
    price = forms.CharField(
        max_length=20,
        label="Price",
        help_text="What customers pay for each variant, in the store's currency, e.g. 12.50.",
        widget=_text("12.50", inputmode="decimal"),
    )
    design_file_url = forms.CharField(
        max_length=2000,
        required=False,
        label="Design file URL",
        help_text="Where the print file can be downloaded (https://…), used for every variant.",
        widget=_text("https://files.example.com/poster.pdf", inputmode="url"),
    )

    def __init__(self, *args: Any, catalog_products: QuerySet[CatalogProduct], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["catalog_product"].queryset = catalog_products
        for row in range(1, OPTION_ROWS + 1):
            self.fields[f"option_{row}_name"] = forms.CharField(
                max_length=100, required=False, label=f"Option {row}", widget=_text("Size" if row == 1 else "")
            )
            self.fields[f"option_{row}_values"] = forms.CharField(
                max_length=2000,
                required=False,
                label=f"Values of option {row}",
                widget=_text("A4, A3" if row == 1 else ""),
            )

    @property
    def option_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"option_{row}_name"], self[f"option_{row}_values"]) for row in range(1, OPTION_ROWS + 1)]

    @property
    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("catalog_product", "title", "sku", "price", "design_file_url")]

    @property
    def options(self) -> list[tuple[str, list[str]]]:
        """(name, values) of the filled-in rows; values split on commas (the service drops empty ones)."""
        data = self.cleaned_data
        rows = []
        for row in range(1, OPTION_ROWS + 1):
            name, values = data.get(f"option_{row}_name") or "", data.get(f"option_{row}_values") or ""
            if name.strip() or values.strip():
                rows.append((name, values.split(",")))
        return rows

    @property
    def publish_kwargs(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "catalog_product": data["catalog_product"],
            "title": data["title"],
            "options": self.options,
            "sku": data.get("sku", ""),
            "price": data["price"],
            "design_file_url": data.get("design_file_url", ""),
        }
