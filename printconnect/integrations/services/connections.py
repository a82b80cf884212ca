"""Connecting a store to its platform. The connection check runs first; a store that fails it is never saved.

The check talks to the store over HTTP, so it runs before the transaction that creates the store and its feeds, not
inside it: a slow shop must not hold a database transaction open.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from printconnect.clients.models import Client
from printconnect.core.exceptions import ApplicationError
from printconnect.core.http import safe_session_from_settings
from printconnect.core.models import User
from printconnect.integrations.connectors import registry
from printconnect.integrations.connectors.base import Connector
from printconnect.integrations.connectors.types import ConnectionCheck, ConnectionConfig
from printconnect.integrations.services.feeds import feeds_ensure_for_store
from printconnect.storefronts import services as store_services
from printconnect.storefronts.models import Store

logger = logging.getLogger(__name__)

# A person waits on the form: at most one retry, and not the feeds' long read timeout.
CHECK_MAX_RETRIES = 1
CHECK_READ_TIMEOUT = 20.0

EXAMPLE = "https://shop.example.com"
_URL_MAX = 500
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
# Pages people copy from the browser instead of the shop's address; the shop is the part before them.
_ADMIN_PATHS = re.compile(r"/(wp-admin|wp-json|wp-login\.php)(/.*)?$", re.IGNORECASE)


def _url_error(message: str) -> ApplicationError:
    return ApplicationError(message, field="base_url")


def _ip_or_none(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _is_loopback(host: str) -> bool:
    ip = _ip_or_none(host)
    return host in _LOOPBACK_NAMES or (ip is not None and ip.is_loopback)


def store_url_normalize(raw: str) -> str:
    """The shop's address as printconnect stores it (https://host[:port][/path], no trailing slash), or an
    ApplicationError on `base_url` saying what is wrong with what was typed."""
    text = (raw or "").strip()
    if not text:
        raise _url_error(f"Enter the store URL, for example {EXAMPLE}.")
    if len(text) > _URL_MAX:
        raise _url_error(f"The store URL is longer than {_URL_MAX} characters; enter the shop's home page address.")
    if any(ch.isspace() or ord(ch) < 0x20 or ch == "\\" for ch in text):
        raise _url_error(f"The store URL contains spaces or a backslash; enter it as {EXAMPLE}.")
    if not _SCHEME.match(text):
        text = f"https://{text}"  # "shop.example.com" is what most people type
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise _url_error(f"The store URL must start with https:// (not {scheme}://); for example {EXAMPLE}.")
    if "@" in parts.netloc:
        raise _url_error(
            "Remove the user name and password from the store URL; the store is reached with its API keys."
        )
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise _url_error("The port in the store URL must be a number from 1 to 65535; most shops need none.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise _url_error(f"The store URL has no host name; enter it as {EXAMPLE}.")
    loopback = _is_loopback(host)
    ip = _ip_or_none(host)
    if ip is None:
        try:
            host = host.encode("idna").decode("ascii")  # bücher.example -> xn--bcher-kva.example
        except UnicodeError:
            raise _url_error(f"“{parts.hostname}” is not a valid host name; check the store URL for typos.") from None
        labels = host.split(".")
        if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
            raise _url_error(f"“{parts.hostname}” is not a valid host name; check the store URL for typos.")
        if len(labels) < 2 and not loopback:
            raise _url_error(f"“{host}” is not a complete host name; enter the full address, for example {EXAMPLE}.")
    allow_private = bool(getattr(settings, "OUTBOUND_ALLOW_PRIVATE", False))
    if (loopback or (ip is not None and not ip.is_global)) and not allow_private:
        raise _url_error(
            f"printconnect does not connect to {host}: it is a loopback or private address; use the shop's public "
            "https address."
        )
    if scheme == "http" and not loopback:
        raise _url_error("The store URL must start with https://: shops accept API keys only over https.")
    path = _ADMIN_PATHS.sub("", parts.path).rstrip("/")
    netloc = f"[{host}]" if ip is not None and ip.version == 6 else host
    if parts.port is not None and parts.port != (443 if scheme == "https" else 80):
        netloc = f"{netloc}:{parts.port}"
    return f"{scheme}://{netloc}{path}"


def _connector_class(platform: str) -> type[Connector]:
    if platform == Store.Platform.MANUAL or not registry.has(platform):
        label = dict(Store.Platform.choices).get(platform, platform)
        raise ApplicationError(f"printconnect cannot connect {label} stores yet.", field="platform")
    return registry.get(platform)


def _clean_credentials(connector_class: type[Connector], credentials: Mapping[str, Any]) -> dict[str, str]:
    """The connector's credential fields only, stripped (pasted keys often carry spaces); blank optional ones left
    out. Refuses a blank required field by name."""
    cleaned: dict[str, str] = {}
    for spec in connector_class.credential_fields:
        value = str(credentials.get(spec.name) or "").strip()
        if value:
            cleaned[spec.name] = value
        elif spec.required:
            raise ApplicationError(f"Enter the {spec.label.lower()}.", field=spec.name)
    return cleaned


def _check(connector_class: type[Connector], base_url: str, credentials: Mapping[str, str]) -> ConnectionCheck:
    session = safe_session_from_settings(
        max_retries=min(CHECK_MAX_RETRIES, getattr(settings, "OUTBOUND_MAX_RETRIES", 3)),
        read_timeout=min(CHECK_READ_TIMEOUT, getattr(settings, "OUTBOUND_READ_TIMEOUT", 30.0)),
    )
    config = ConnectionConfig(base_url=base_url, credentials=dict(credentials), options={})
    with session:
        return connector_class(config, session=session).check_connection()


def _refuse_duplicate(*, client: Client, platform: str, base_url: str, exclude: Store | None = None) -> None:
    """One store per shop per client: a second one would import every order twice."""
    same = Store.objects.filter(client=client, platform=platform, base_url__iexact=base_url)
    if exclude is not None:
        same = same.exclude(pk=exclude.pk)
    existing = same.first()
    if existing is not None:
        raise ApplicationError(
            f"{client.name} already has this shop connected as “{existing.name}”; update that store's credentials "
            "instead of connecting it twice.",
            field="base_url",
        )


def store_connect(
    *, client: Client, platform: str, name: str, base_url: str, credentials: Mapping[str, Any], actor: User
) -> Store:
    """Check the connection, then create the store (test mode, credentials encrypted, orders from now on) and its
    feeds with their default schedules, in one transaction. A failed check raises ApplicationError with the
    connector's message and saves nothing. The store returned carries `connection_check` (the check's result)."""
    connector_class = _connector_class(platform)
    name = store_services.store_name_check(client=client, name=name)
    base_url = store_url_normalize(base_url)
    _refuse_duplicate(client=client, platform=platform, base_url=base_url)
    cleaned = _clean_credentials(connector_class, credentials)
    check = _check(connector_class, base_url, cleaned)
    if not check.ok:
        host = urlsplit(base_url).hostname
        logger.info(
            "integrations.store.connect_refused",
            extra={"client_id": client.pk, "platform": platform, "host": host, "actor_id": actor.pk},
        )
        raise ApplicationError(check.message)
    with transaction.atomic():
        # The check took a while: another person may have connected the same shop meanwhile. The client row lock
        # makes the second of two simultaneous connects see the first.
        Client.objects.select_for_update().only("pk").get(pk=client.pk)
        _refuse_duplicate(client=client, platform=platform, base_url=base_url)
        store = store_services.store_create_connected(
            client=client,
            name=name,
            platform=platform,
            base_url=base_url,
            credentials=cleaned,
            actor=actor,
            # Orders already in the shop were handled before printconnect; staff may move this back to backfill.
            activation_date=timezone.now(),
        )
        feeds_ensure_for_store(store=store)
    logger.info(
        "integrations.store.connected", extra={"store_id": store.pk, "platform": platform, "actor_id": actor.pk}
    )
    store.connection_check = check
    return store


def store_credentials_update(
    *, store: Store, credentials: Mapping[str, Any], actor: User, base_url: str | None = None
) -> Store:
    """New credentials (and optionally a new store URL) for a connected store, checked before anything is saved.
    A blank secret field keeps the saved value, so nobody has to type every secret again to change one."""
    connector_class = _connector_class(store.platform)
    url = store_url_normalize(base_url) if base_url is not None else store.base_url
    if url != store.base_url:
        _refuse_duplicate(client=store.client, platform=store.platform, base_url=url, exclude=store)
    saved = store.credentials
    merged = {
        spec.name: str(credentials.get(spec.name) or "").strip() or saved.get(spec.name, "")
        for spec in connector_class.credential_fields
    }
    cleaned = _clean_credentials(connector_class, merged)
    check = _check(connector_class, url, cleaned)
    if not check.ok:
        logger.info("integrations.store.credentials_refused", extra={"store_id": store.pk, "actor_id": actor.pk})
        raise ApplicationError(check.message)
    with transaction.atomic():
        store = store_services.store_connection_update(store=store, base_url=url, credentials=cleaned, actor=actor)
        feeds_ensure_for_store(store=store)  # a connector that gained a capability offers its new feeds
    store.connection_check = check
    return store
