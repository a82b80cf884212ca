"""Making and revoking API tokens, and recognising one on a request."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from printconnect.api.models import ApiToken
from printconnect.clients.models import Client
from printconnect.core.exceptions import ApplicationError
from printconnect.storefronts.models import Store

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "pc_"  # noqa: S105  (the visible start of every token, not a secret)
# last_used_at is written at most this often per token: a busy production system calls many times a minute.
LAST_USED_EVERY = timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _scopes_clean(scopes: Iterable[str]) -> list[str]:
    chosen = [scope for scope in ApiToken.Scope.values if scope in set(scopes)]
    unknown = sorted(set(scopes) - set(ApiToken.Scope.values))
    if unknown:
        raise ApplicationError(
            f"Unknown scope {', '.join(unknown)}: choose from {', '.join(ApiToken.Scope.values)}.", field="scopes"
        )
    if not chosen:
        raise ApplicationError("Tick at least one thing the token may do.", field="scopes")
    return chosen


def api_token_create(
    *, name: str, scopes: Iterable[str], client: Client | None, store: Store | None = None, actor: Any
) -> tuple[ApiToken, str]:
    """A new token and its full text (shown once; only its hash is kept). Without a client it is a staff token,
    which only staff may make."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError("Give the token a name that says where it is used, e.g. “Production MIS”.", field="name")
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise ApplicationError("Keep the name under 100 characters.", field="name")
    if client is None and not getattr(actor, "is_staff", False):
        raise ApplicationError("Only print shop staff can make a token for all clients; choose a client.")
    if store is not None and (client is None or store.client_id != client.pk):
        raise ApplicationError("That store is not one of this client's stores; choose one of theirs.", field="store")
    chosen = _scopes_clean(list(scopes))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            name=name,
            client=client,
            store=store,
            scopes=chosen,
            prefix=raw[: len(TOKEN_PREFIX) + 8],
            secret_hash=token_hash(raw),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
    logger.info(
        "api.token.created",
        extra={"token_id": token.pk, "client_id": token.client_id, "actor_id": getattr(actor, "pk", None)},
    )
    return token, raw


def api_token_revoke(*, token: ApiToken, actor: Any) -> ApiToken:
    """Stop the token working at once. Revoking twice changes nothing."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
    token.revoked_at = locked.revoked_at
    logger.info("api.token.revoked", extra={"token_id": token.pk, "actor_id": getattr(actor, "pk", None)})
    return token


def api_token_for_secret(*, raw: str) -> ApiToken | None:
    """The active token with this secret, its last use noted (at most once a minute); None when there is none."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("client", "store", "created_by")
        .filter(secret_hash=token_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        # One conditional UPDATE: concurrent requests of the same minute write it once.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token
