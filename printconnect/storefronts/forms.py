from django import forms
from django.contrib.auth import password_validation

from printconnect.clients.models import Client, Invitation
from printconnect.core.models import User, normalize_email
from printconnect.core.permissions import ROLE_DESCRIPTIONS, Role
from printconnect.storefronts.models import Store


class StoreForm(forms.Form):
    name = forms.CharField(max_length=200, label="Store name")


class _RoleStoresMixin(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, widget=forms.RadioSelect)
    stores = forms.ModelMultipleChoiceField(
        queryset=Store.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Store managers see and manage only these stores.",
    )

    def __init__(self, *args: object, client: Client, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stores"].queryset = Store.objects.filter(client=client).order_by("name")
        self.fields["role"].choices = [(r.value, r.label) for r in Role]
        self.role_descriptions = {r.value: ROLE_DESCRIPTIONS[r] for r in Role}

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("role") == Role.STORE_MANAGER and not cleaned.get("stores"):
            self.add_error("stores", "Choose at least one store for a Store manager.")
        return cleaned

    @property
    def store_ids(self) -> list[int]:
        return [store.pk for store in self.cleaned_data.get("stores") or []]


class InviteForm(_RoleStoresMixin):
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    field_order = ["email", "first_name", "last_name", "role", "stores"]

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])


class RoleForm(_RoleStoresMixin):
    pass


class AcceptInvitationForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: object, invitation: Invitation, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        self.fields["password1"].help_text = password_validation.password_validators_help_text_html()

    def clean(self) -> dict:
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords differ; type the same password twice.")
        elif password1:
            probe = User(
                email=self.invitation.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password1, user=probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned
