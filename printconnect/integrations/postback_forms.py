"""The postback subscription form, shared by the portal (client Admins) and the staff console."""

from __future__ import annotations

from typing import Any

from django import forms

from printconnect.integrations.models import PostbackSubscription
from printconnect.storefronts.models import Store


class PostbackForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, help_text="For you, e.g. “ERP production”.")
    url = forms.CharField(
        label="URL",
        max_length=500,
        help_text="Where we POST the signed JSON. https only.",
        widget=forms.URLInput(attrs={"placeholder": "https://erp.example.com/printconnect"}),
    )
    store = forms.ModelChoiceField(
        queryset=Store.objects.none(), required=False, empty_label="All stores (also those connected later)"
    )
    events = forms.MultipleChoiceField(
        choices=PostbackSubscription.EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=[kind for kind, _ in PostbackSubscription.EVENT_CHOICES],
        help_text="Which order events this URL receives.",
    )
    active = forms.BooleanField(required=False, initial=True, help_text="Switched off, nothing is sent to it.")

    def __init__(self, *args: Any, client: Any, subscription: PostbackSubscription | None = None, **kwargs: Any):
        if subscription is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": subscription.name, "url": subscription.url, "store": subscription.store_id,
                "events": subscription.events, "active": subscription.active,
            }  # fmt: skip
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = Store.objects.filter(client=client).order_by("name")
        if subscription is None:
            del self.fields["active"]
