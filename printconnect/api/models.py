"""API tokens of the JSON API for production systems (and the Infigo checkout's shipping rates)."""

from django.conf import settings
from django.db import models

from printconnect.clients.models import Client
from printconnect.storefronts.models import Store


class ApiToken(models.Model):
    """A bearer token. Staff-wide when `client` is empty (made by staff), else one client's (optionally one store's).

    Only the SHA-256 of the secret is stored, with a short visible prefix so people can tell tokens apart; the full
    token is shown once, when it is made."""

    class Scope(models.TextChoices):
        ORDERS_READ = "orders:read", "Read orders and print files"
        ORDERS_WRITE = "orders:write", "Change order status, add shipments"
        SHIPPING_RATES = "shipping_rates", "Shipping rates (Infigo checkout)"

    name = models.CharField(max_length=100)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, null=True, blank=True, related_name="api_tokens")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, null=True, blank=True, related_name="api_tokens")
    scopes = models.JSONField(default=list)
    # "pc_" and the first 8 characters of the secret: enough to recognise it in a list, useless to call the API.
    prefix = models.CharField(max_length=16)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Updated at most once a minute, not on every request.
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(store__isnull=True) | models.Q(client__isnull=False),
                name="api_token_store_needs_client",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def scope_labels(self) -> list[str]:
        labels = dict(self.Scope.choices)
        return [labels.get(scope, scope) for scope in self.scopes]

    @property
    def reach(self) -> str:
        if self.client_id is None:
            return "All clients (staff token)"
        return f"{self.client.name}: {self.store.name if self.store_id else 'all stores'}"


class ApiIdempotencyKey(models.Model):
    """The answer given to a POST with an Idempotency-Key header, replayed when the same key comes again."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=200)
    # Method and path plus the SHA-256 of the body: the same key with another request is refused, not replayed.
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="api_idempotency_token_key")]

    def __str__(self) -> str:
        return f"{self.key} ({self.token})"
