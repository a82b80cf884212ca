from __future__ import annotations

from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from printconnect.core.crypto import field_fernet


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def normalize_email(email: str | None) -> str:
    """One account per address whatever its case: addresses are stored trimmed and lower-cased."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username))

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: PSP staff (is_staff) or a client's team member (has a membership)."""

    email = models.EmailField("email address", unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(
        "PSP staff",
        default=False,
        help_text="Print shop staff: uses the staff console and sees every client.",
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="core_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token (FIELD_ENCRYPTION_KEY; several comma-separated keys allow rotation).

    Values cannot be searched in the database, which is the point: credentials are unreadable at rest.
    """

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return _fernet().encrypt(str(value).encode()).decode()

    def value_to_string(self, obj: models.Model) -> str:
        """Serialized (dumpdata, fixtures) as the ciphertext, never in plain text; to_python reads it back."""
        value = self.value_from_object(obj)
        return _fernet().encrypt(value.encode()).decode() if value else ""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("gAAAAA"):  # a Fernet token from value_to_string
            try:
                return _fernet().decrypt(value.encode()).decode()
            except InvalidToken:
                return value
        return value

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value in (None, ""):
            return value
        try:
            return _fernet().decrypt(value.encode()).decode()
        except InvalidToken as exc:
            raise ImproperlyConfigured(
                "A stored credential cannot be decrypted with FIELD_ENCRYPTION_KEY. Restore the key it was "
                "written with (list the old key after the new one to rotate)."
            ) from exc


def _fernet() -> MultiFernet:
    return field_fernet()
