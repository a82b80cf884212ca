import json
import secrets
from typing import Any

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from printconnect.clients.models import Client
from printconnect.core import permissions as perms
from printconnect.core.models import EncryptedTextField, TimeStampedModel


def new_webhook_token() -> str:
    return secrets.token_urlsafe(24)


class Store(TimeStampedModel):
    """A client's shop (or a manual store for orders placed by hand). Connecting platforms comes later."""

    class Platform(models.TextChoices):
        MANUAL = "manual", "Manual (orders by hand or CSV)"
        SHOPIFY = "shopify", "Shopify"
        ETSY = "etsy", "Etsy"
        WOOCOMMERCE = "woocommerce", "WooCommerce"
        PRESSERO = "pressero", "Pressero"
        INFIGO = "infigo", "Infigo"
        MAGENTO2 = "magento2", "Magento 2"
        PRESTASHOP = "prestashop", "PrestaShop"
        CHANNABLE = "channable", "Channable"

    class Mode(models.TextChoices):
        TEST = "test", "Test mode"
        PRODUCTION = "production", "Production"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="stores")
    name = models.CharField(max_length=200)
    platform = models.CharField(max_length=20, choices=Platform.choices, default=Platform.MANUAL)
    # A new store is in test mode: only inbound feeds run until staff go live (DESIGN section 5).
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.TEST)
    base_url = models.URLField("store URL", max_length=500, blank=True)
    # JSON of the connector's credential fields, encrypted at rest; never rendered back into a page.
    credentials_encrypted = EncryptedTextField(blank=True, default="")
    # Only orders placed on or after this moment are imported; staff may move it back to backfill.
    activation_date = models.DateTimeField(null=True, blank=True)
    # The secret part of this store's webhook URL (/webhooks/<platform>/<token>/).
    webhook_token = models.CharField(max_length=64, unique=True, default=new_webhook_token, editable=False)

    class Meta:
        ordering = ["client", "name", "pk"]
        constraints = [models.UniqueConstraint(fields=["client", "name"], name="storefronts_store_name_per_client")]
        permissions = [
            (perms.VIEW_STORE_PRODUCTS, "Can see the store's products"),
            (perms.CHANGE_STORE_PRODUCTS, "Can change the store's products and mappings"),
            (perms.VIEW_STORE_ORDERS, "Can see the store's orders"),
            (perms.CHANGE_STORE_ORDERS, "Can change the store's orders"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def credentials(self) -> dict[str, Any]:
        return json.loads(self.credentials_encrypted) if self.credentials_encrypted else {}

    @credentials.setter
    def credentials(self, value: dict[str, Any]) -> None:
        self.credentials_encrypted = json.dumps(value, sort_keys=True) if value else ""

    @property
    def is_live(self) -> bool:
        return self.mode == self.Mode.PRODUCTION


class StoreUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Store, on_delete=models.CASCADE)


class StoreGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Store, on_delete=models.CASCADE)
