from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from printconnect.clients.models import Client
from printconnect.core import permissions as perms
from printconnect.core.models import TimeStampedModel


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

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="stores")
    name = models.CharField(max_length=200)
    platform = models.CharField(max_length=20, choices=Platform.choices, default=Platform.MANUAL)

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


class StoreUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Store, on_delete=models.CASCADE)


class StoreGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Store, on_delete=models.CASCADE)
