"""Connectors by platform key (Sentry's provider registry).

Each platform package under `connectors/` registers its class with `@register` when imported; `get` and `all`
import every platform package first, so a new platform needs no edit here.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TypeVar

from printconnect.integrations.connectors.base import Connector

C = TypeVar("C", bound=type[Connector])

_REGISTRY: dict[str, type[Connector]] = {}
_discovered = False


def register(cls: C) -> C:
    key = getattr(cls, "key", "")
    if not key:
        raise ValueError(f"{cls.__name__} has no `key`; set the platform key before registering it.")
    existing = _REGISTRY.get(key)
    if existing is not None and existing is not cls:
        raise ValueError(f"Platform key {key!r} is taken by {existing.__name__}; pick another key for {cls.__name__}.")
    _REGISTRY[key] = cls
    return cls


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    package = importlib.import_module("printconnect.integrations.connectors")
    for module in pkgutil.iter_modules(package.__path__):
        if module.ispkg:
            importlib.import_module(f"{package.__name__}.{module.name}")
    _discovered = True


def has(key: str) -> bool:
    _discover()
    return key in _REGISTRY


def get(key: str) -> type[Connector]:
    _discover()
    try:
        return _REGISTRY[key]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise LookupError(f"No connector for platform {key!r} (known: {known}); check the store's platform.") from None


def all() -> list[type[Connector]]:  # shadows the builtin on purpose: `registry.all()` is the design's name
    _discover()
    return [_REGISTRY[key] for key in sorted(_REGISTRY)]
