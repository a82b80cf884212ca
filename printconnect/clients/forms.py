from django import forms


class ClientForm(forms.Form):
    """Checks shapes only; the service checks the rules (a unique reference) and names the field it refuses."""

    name = forms.CharField(max_length=200)
    reference = forms.CharField(
        label="Client reference",
        max_length=64,
        required=False,
        help_text="Optional. The ID B2B platforms such as Pressero send for this client; unique when given.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class StorefrontAccessEnableForm(forms.Form):
    """The admin's details are asked only when the client has no admin yet (`needs_admin`)."""

    admin_email = forms.EmailField(label="Client admin's email", required=False)
    admin_first_name = forms.CharField(label="First name", max_length=150, required=False)
    admin_last_name = forms.CharField(label="Last name", max_length=150, required=False)

    def __init__(self, *args: object, needs_admin: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.needs_admin = needs_admin
        for name in ("admin_email", "admin_first_name", "admin_last_name"):
            if needs_admin:
                self.fields[name].required = True
            else:
                del self.fields[name]
