from django.forms import Form

from printconnect.core.exceptions import ApplicationError


def add_application_error(form: Form, exc: ApplicationError) -> None:
    """Show a service's refusal on the form: under its field when the form has it, else at the top."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
