"""Every registered connector honours the interface it declares (STYLE section D)."""

from __future__ import annotations

import pytest

from printconnect.integrations.connectors import registry
from printconnect.integrations.connectors.base import CAPABILITY_METHODS, Capability, Connector
from printconnect.integrations.connectors.types import CredentialField, EventKind

CONNECTORS = registry.all()


def test_registry_finds_the_platform_packages():
    assert "woocommerce" in {cls.key for cls in CONNECTORS}
    assert registry.get("woocommerce").key == "woocommerce"


def test_get_raises_lookup_error_when_key_is_unknown():
    with pytest.raises(LookupError, match="no-such-shop"):
        registry.get("no-such-shop")


@pytest.mark.parametrize("cls", CONNECTORS, ids=lambda cls: cls.key)
def test_every_declared_capability_has_its_method_when_registered(cls: type[Connector]):
    assert cls.capabilities, f"{cls.key} declares no capability"
    for capability in cls.capabilities:
        for method in CAPABILITY_METHODS[capability]:
            assert getattr(cls, method) is not getattr(Connector, method), f"{cls.key} lacks {method} for {capability}"


@pytest.mark.parametrize("cls", CONNECTORS, ids=lambda cls: cls.key)
def test_undeclared_capabilities_keep_the_base_method_when_registered(cls: type[Connector]):
    for capability in set(Capability) - set(cls.capabilities):
        for method in CAPABILITY_METHODS[capability]:
            assert getattr(cls, method) is getattr(Connector, method), f"{cls.key} overrides {method} undeclared"


@pytest.mark.parametrize("cls", CONNECTORS, ids=lambda cls: cls.key)
def test_class_attributes_are_well_formed_when_registered(cls: type[Connector]):
    assert cls.key and cls.name
    assert all(isinstance(field, CredentialField) for field in cls.credential_fields)
    assert len({field.name for field in cls.credential_fields}) == len(cls.credential_fields)
    assert all(isinstance(kind, EventKind) for kind in cls.webhook_topics.values())
    if Capability.ORDERS_WEBHOOK in cls.capabilities:
        assert cls.webhook_topics, f"{cls.key} takes webhooks but maps no topic"
