"""Forms for connecting a store. Secrets are never rendered back: a re-shown form has them blank."""

from __future__ import annotations

from django import forms

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
