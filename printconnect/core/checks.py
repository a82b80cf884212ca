"""Refuse to serve production traffic on the development keys."""

import os

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


def insecure_production_settings() -> list[str]:
    if settings.DEBUG:
        return []
    problems = []
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        problems.append("SECRET_KEY is the development key: set SECRET_KEY in the environment.")
    if not os.environ.get("FIELD_ENCRYPTION_KEY"):
        problems.append(
            "FIELD_ENCRYPTION_KEY is not set: store credentials would be encrypted with a key derived from "
            "SECRET_KEY. Set FIELD_ENCRYPTION_KEY to a Fernet key."
        )
    return problems


def refuse_insecure_production_settings() -> None:
    problems = insecure_production_settings()
    if problems:
        raise ImproperlyConfigured(" ".join(problems))


@register(deploy=True)
def check_production_keys(app_configs: object, **kwargs: object) -> list[Error]:
    return [Error(problem, id="printconnect.E001") for problem in insecure_production_settings()]
