from django import forms

from printconnect.clients.models import Client


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = ["name", "reference", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class StorefrontAccessEnableForm(forms.Form):
    """The admin's details are asked only when the client has no admin yet (`needs_admin`)."""

    admin_email = forms.EmailField(label="Client admin's email", required=False)
    admin_first_name = forms.CharField(label="First name", max_length=150, required=False)
    admin_last_name = forms.CharField(label="Last name", max_length=150, required=False)

    def __init__(self, *args: object, needs_admin: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.needs_admin = needs_admin
        for name in ("admin_email", "admin_first_name", "admin_last_name"):
            self.fields[name].required = needs_admin
        if not needs_admin:
            for name in ("admin_email", "admin_first_name", "admin_last_name"):
                del self.fields[name]
