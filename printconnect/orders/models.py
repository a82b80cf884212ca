from django.conf import settings
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


class OrderStatusChange(models.Model):
    """One entry of an order's history: who or what moved it, when, from which status to which, and why."""

    class Source(models.TextChoices):
        STORE = "store", "The store"  # the update orders feed or a webhook: e.g. cancelled in the store
        STAFF = "staff", "Print shop staff"
        PORTAL = "portal", "Client's team"
        API = "api", "Production API"
        PIPELINE = "pipeline", "printconnect"  # holds and their release

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Order.Status.choices)
    to_status = models.CharField(max_length=20, choices=Order.Status.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    note = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["order", "at", "pk"]
        indexes = [models.Index(fields=["order", "at"])]

    def __str__(self) -> str:
        return f"{self.order}: {self.from_status} -> {self.to_status}"


class OutboxEvent(models.Model):
    """Something the outside world must hear about (postbacks, the store), written in the same transaction as the
    change itself, so a crash between commit and send loses nothing. The integrations app delivers it; orders
    never calls connectors."""

    class Kind(models.TextChoices):
        STATUS_CHANGED = "order.status_changed", "Order status changed"
        SHIPMENT_CREATED = "order.shipment_created", "Shipment created"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="outbox_events")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    # Where the change came from (OrderStatusChange.Source): a change the store itself made is not pushed back to it.
    source = models.CharField(max_length=10, choices=OrderStatusChange.Source.choices)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.order})"
