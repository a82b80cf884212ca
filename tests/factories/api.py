"""API tokens for the API's tests, made through the service (so the hash and prefix are real)."""

from __future__ import annotations

from typing import Any

from printconnect.api.models import ApiToken
from printconnect.api.services import api_token_create
from tests.factories.core import StaffFactory

ALL_SCOPES = tuple(ApiToken.Scope.values)


def make_token(
    *, client: Any = None, store: Any = None, scopes: tuple[str, ...] = ALL_SCOPES, name: str = "MIS", actor: Any = None
) -> tuple[ApiToken, str]:
    return api_token_create(name=name, scopes=scopes, client=client, store=store, actor=actor or StaffFactory())
