from django.db import models

from printconnect.core.models import TimeStampedModel
from printconnect.storefronts.models import Store


class Order(TimeStampedModel):
    """An order from a client's store, mirrored once per (store, external id). Kept simple until the intake
    pipeline (issue 5) adds mapping, holds and production."""

    class Status(models.TextChoices):
        ON_HOLD = "on_hold", "On hold"
        RECEIVED = "received", "Received"
        IN_PRODUCTION = "in_production", "In production"
        PRINTED = "printed", "Printed"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders")
    external_id = models.CharField(max_length=64)
    number = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    # The store's own view of the order, as last synced (canonical status names).
    store_status = models.CharField(max_length=20)
    financial_status = models.CharField(max_length=20)
    placed_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    customer_name = models.CharField(max_length=200, blank=True)
    customer_email = models.EmailField(blank=True)
    shipping_address = models.JSONField(default=dict, blank=True)
    shipping_method = models.CharField(max_length=200, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["store", "external_id"], name="orders_order_store_external_id")]
        indexes = [models.Index(fields=["store", "-placed_at"]), models.Index(fields=["status", "-placed_at"])]

    def __str__(self) -> str:
        return f"{self.number} ({self.store})"


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    external_id = models.CharField(max_length=64)
    sku = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=500, blank=True)
    quantity = models.PositiveIntegerField()
    external_product_id = models.CharField(max_length=64, blank=True)
    external_variant_id = models.CharField(max_length=64, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    print_file_urls = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["order", "external_id"], name="orders_item_order_external_id")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.title or self.sku}"
