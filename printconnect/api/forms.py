"""The "Make a token" form, shared by the portal (client Admins) and the staff console."""

from __future__ import annotations

from typing import Any

from django import forms

from printconnect.api.models import ApiToken
from printconnect.clients.models import Client
from printconnect.storefronts.models import Store


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Where it is used, e.g. “Production MIS” or “Infigo checkout”.")
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        required=False,
        empty_label="All clients (staff token)",
        help_text="A staff token sees every client's orders.",
    )
    store = forms.ModelChoiceField(
        queryset=Store.objects.none(),
        required=False,
        empty_label="All stores",
        help_text="Limit the token to one store's orders, e.g. for an Infigo storefront.",
    )
    scopes = forms.MultipleChoiceField(
        choices=ApiToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiToken.Scope.ORDERS_READ],
        help_text="What the token may do.",
    )

    def __init__(self, *args: Any, client: Client | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if client is None:  # staff: any client, any store
            self.fields["client"].queryset = Client.objects.order_by("name")
            self.fields["store"].queryset = Store.objects.select_related("client").order_by("client__name", "name")
            self.fields["store"].label_from_instance = lambda store: f"{store.client.name}: {store.name}"
        else:
            del self.fields["client"]
            self.fields["store"].queryset = Store.objects.filter(client=client).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        store = data.get("store")
        if "client" in self.fields and store is not None and data.get("client") is None:
            data["client"] = store.client  # a store was chosen: the token is its client's
        return data
