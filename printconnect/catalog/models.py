from django.db import models
from django.db.models import Q

from printconnect.core.models import TimeStampedModel
from printconnect.storefronts.models import Store


class StoreProduct(TimeStampedModel):
    """A product of a client's store, mirrored once per (store, external id) by the product feeds.

    Kept simple here; the PSP catalog and the mapping of store products to it come on top (issue 4).
    """

    class ProductType(models.TextChoices):
        NORMAL = "normal", "Printed (normal)"
        STOCK = "stock", "Stock item"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="products")
    external_id = models.CharField(max_length=64)
    title = models.CharField(max_length=500, blank=True)
    sku = models.CharField(max_length=200, blank=True)
    product_type = models.CharField(max_length=10, choices=ProductType.choices, default=ProductType.NORMAL)
    # [{id, url, alt, position, variant_ids}], filled by the image feed, not by the product import.
    images = models.JSONField(default=list, blank=True)
    # Null until the image feed fetched this product's images: that is how it finds newly created products.
    images_synced_at = models.DateTimeField(null=True, blank=True)
    # False once the store no longer lists it.
    active = models.BooleanField(default=True)
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["store", "title", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["store", "external_id"], name="catalog_storeproduct_store_external_id")
        ]
        indexes = [
            models.Index(
                fields=["store"], condition=Q(images_synced_at__isnull=True), name="catalog_product_images_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title or self.sku or self.external_id} ({self.store})"


class StoreVariant(TimeStampedModel):
    """One sellable variant of a store product. A simple product (no variations) gets one variant whose external_id
    is the product's own id, so order lines and stock levels always point at a variant."""

    product = models.ForeignKey(StoreProduct, on_delete=models.CASCADE, related_name="variants")
    # Denormalised from the product so (store, external id) can be unique and stock queries need no join.
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="product_variants")
    external_id = models.CharField(max_length=64)
    sku = models.CharField(max_length=200, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    weight = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    # printconnect's stock level: read from the store once (the stock import), then printconnect is the master.
    stock_quantity = models.IntegerField(null=True, blank=True)
    # The level the store last accepted from printconnect; the stock export pushes when the two differ.
    stock_exported_quantity = models.IntegerField(null=True, blank=True)
    # False once the store no longer lists it.
    active = models.BooleanField(default=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["product", "sku", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["store", "external_id"], name="catalog_storevariant_store_external_id")
        ]
        indexes = [models.Index(fields=["store", "sku"])]

    def __str__(self) -> str:
        return self.sku or f"variant {self.external_id}"

    @property
    def is_product_itself(self) -> bool:
        """The one variant of a simple product (no variations in the store)."""
        return self.external_id == self.product.external_id
