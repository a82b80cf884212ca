import socket

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection

from printconnect.core.models import EncryptedTextField, User
from tests.conftest import NetworkAccessError


@pytest.mark.django_db
def test_user_email_is_stored_lower_case_when_created_with_capitals():
    user = User.objects.create_user("Mixed.Case@Example.TEST", "pw-123456789")
    assert user.email == "mixed.case@example.test"
    assert User.objects.get_by_natural_key("MIXED.case@example.test") == user


@pytest.mark.django_db
def test_one_account_per_address_whatever_its_case():
    User.objects.create_user("someone@example.test", "pw-123456789")
    with pytest.raises(IntegrityError):
        User.objects.create_user("SomeOne@Example.Test", "pw-123456789")


def test_encrypted_field_stores_ciphertext_and_reads_plaintext():
    field = EncryptedTextField()
    stored = field.get_prep_value("ck_secret_value")
    assert "ck_secret_value" not in stored
    assert field.from_db_value(stored, None, connection) == "ck_secret_value"
    assert field.get_prep_value("") == ""


def test_encrypted_field_says_what_to_do_when_the_key_changed(settings):
    stored = EncryptedTextField().get_prep_value("secret")
    settings.FIELD_ENCRYPTION_KEY = "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyMTI="
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY"):
        EncryptedTextField().from_db_value(stored, None, connection)


def test_encryption_key_rotation_reads_old_values_with_the_old_key_listed_second(settings):
    from cryptography.fernet import Fernet

    old = settings.FIELD_ENCRYPTION_KEY
    stored = EncryptedTextField().get_prep_value("secret")
    settings.FIELD_ENCRYPTION_KEY = f"{Fernet.generate_key().decode()},{old}"
    assert EncryptedTextField().from_db_value(stored, None, connection) == "secret"


def test_network_guard_refuses_addresses_beyond_loopback():
    with pytest.raises(NetworkAccessError):
        socket.create_connection(("10.255.255.1", 80), timeout=0.2)
    with pytest.raises(NetworkAccessError):
        socket.getaddrinfo("example.com", 443)


def test_network_guard_lets_loopback_through():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        client = socket.create_connection(server.getsockname(), timeout=1)
        client.close()
    finally:
        server.close()


def test_production_settings_refuse_the_development_keys(settings, monkeypatch):
    from printconnect.core.checks import insecure_production_settings

    settings.DEBUG = False
    settings.SECRET_KEY = settings.DEV_SECRET_KEY
    monkeypatch.delenv("FIELD_ENCRYPTION_KEY", raising=False)
    problems = insecure_production_settings()
    assert any("SECRET_KEY" in p for p in problems)
    assert any("FIELD_ENCRYPTION_KEY" in p for p in problems)
