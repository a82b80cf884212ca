from django.conf import settings
from django.db import models
from django.db.models.functions import Lower, Upper

from printconnect.catalog.models import Carrier, CatalogProduct, ShippingMethod, StoreVariant
from printconnect.clients.models import Client
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

    class HoldReason(models.TextChoices):
        NONE = "", "Not held"
        AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
        UNMAPPED_PRODUCT = "unmapped_product", "Unmapped product"
        UNKNOWN_SHIPPING_METHOD = "unknown_shipping_method", "Unknown shipping method"
        PRINT_FILE = "print_file", "Missing or bad print file"
        NON_PRINTABLE_LINE = "non_printable_line", "Line that is neither printed nor stocked"
        CHANGED_AT_SOURCE = "changed_at_source", "Changed in the store after import"

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders")
    # The client label every order carries (DESIGN section 6); denormalised so staff lists filter without a join.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="orders", null=True)
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
    # The print shop's shipping method the store's one maps to (the store's mapping, else its default).
    psp_shipping_method = models.ForeignKey(
        ShippingMethod, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    # A person chose psp_shipping_method (Place order, CSV import): re-processing keeps it instead of mapping.
    shipping_method_chosen = models.BooleanField(default=False)
    hold_reason = models.CharField(max_length=30, choices=HoldReason.choices, blank=True, default="")
    # What exactly holds it, for people: "Variant 'Poster - A3, Matte' (SKU POS-A3-MATTE) is not connected".
    hold_detail = models.TextField(blank=True)
    # A test order ("Send test order"): runs the whole pipeline, never goes out to the store, can be deleted.
    is_test = models.BooleanField(default=False)
    synced_at = models.DateTimeField()
    # When the store last changed the order, as it said when we last read it: a later change in the store (its
    # lines, address...) makes the feeds read the whole order again, to see what changed (orders.source_changes).
    store_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["store", "external_id"], name="orders_order_store_external_id")]
        # The order lists page by keyset on (placed_at, id), newest first: each filter the lists offer has an index
        # that starts with its column and ends with the keyset, so a page reads 26 index entries at any size.
        indexes = [
            models.Index(fields=["-placed_at", "-id"], name="orders_order_placed_id"),
            models.Index(fields=["client", "-placed_at", "-id"], name="orders_order_client_placed"),
            models.Index(fields=["store", "-placed_at", "-id"], name="orders_order_store_placed"),
            models.Index(fields=["status", "-placed_at", "-id"], name="orders_order_status_placed"),
            models.Index(
                fields=["hold_reason", "-placed_at", "-id"],
                name="orders_order_on_hold_placed",
                condition=models.Q(status="on_hold"),
            ),
            models.Index(
                fields=["-placed_at", "-id"], name="orders_order_test_placed", condition=models.Q(is_test=True)
            ),
            # Search by order number (case-insensitive, what number__iexact compiles to on PostgreSQL).
            models.Index(Upper("number"), name="orders_order_number_ci"),
        ]

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
    # The store's product type as the order line said (normal or stock): how a line whose product is not imported yet
    # is classified when the order is re-processed.
    store_product_type = models.CharField(max_length=10, blank=True, default="normal")
    # The catalog product UID a manual or CSV line named directly (no store product): re-processing maps it again.
    catalog_uid = models.CharField(max_length=64, blank=True)

    class Kind(models.TextChoices):
        UNMAPPED = "", "Not mapped yet"
        PRINTABLE = "printable", "Printed"
        STOCK = "stock", "From stock"
        IGNORED = "ignored", "Ignored (the store's rule for non-printable lines)"

    # Set by the intake pipeline when the line is mapped; kept as they were then, so a later mapping change does not
    # rewrite what went into production.
    store_variant = models.ForeignKey(StoreVariant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    catalog_product = models.ForeignKey(
        CatalogProduct, on_delete=models.PROTECT, null=True, blank=True, related_name="order_items"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, blank=True, default="")
    design_file_url = models.URLField(max_length=2000, blank=True)
    print_specs = models.JSONField(default=dict, blank=True)

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

    @property
    def status_label(self) -> str:
        """The status a status event moved to, for people ("In production"); empty for other events."""
        status = self.payload.get("status") or ""
        return str(dict(Order.Status.choices).get(status, status))


# --- per-store intake rules and shipping --------------------------------------------------------------------------


class StoreOrderSettings(TimeStampedModel):
    """How the intake pipeline treats one store's orders. A store without a row uses the defaults."""

    class NonPrintableRule(models.TextChoices):
        STOCK = "stock", "Fulfil from stock"
        IGNORE = "ignore", "Ignore the line"
        HOLD = "hold", "Hold the order"

    class Fulfilment(models.TextChoices):
        MERCHANT = "merchant", "Merchant-fulfilled (the print shop ships)"
        MARKETPLACE = "marketplace", "Marketplace-fulfilled (e.g. Amazon FBA)"

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="order_settings")
    # What to do with a line whose store product is not a printed product (store product type "stock").
    non_printable_rule = models.CharField(
        max_length=10, choices=NonPrintableRule.choices, default=NonPrintableRule.STOCK
    )
    fulfilment = models.CharField(max_length=12, choices=Fulfilment.choices, default=Fulfilment.MERCHANT)
    default_shipping_method = models.ForeignKey(
        ShippingMethod, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    default_carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"Order settings of {self.store}"


class StoreShippingMethod(TimeStampedModel):
    """A shipping method name or code seen in a store's orders, and the print shop's method it maps to."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="shipping_methods_seen")
    name = models.CharField(max_length=200)
    shipping_method = models.ForeignKey(
        ShippingMethod, on_delete=models.PROTECT, null=True, blank=True, related_name="store_mappings"
    )
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["store", "name"]
        constraints = [models.UniqueConstraint("store", Lower("name"), name="orders_storeshippingmethod_store_name_ci")]

    def __str__(self) -> str:
        return f"{self.name} ({self.store})"


class CarrierRule(TimeStampedModel):
    """Tracking numbers matching `pattern` (a regular expression) go with `carrier`; the first matching rule wins."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="carrier_rules")
    position = models.PositiveIntegerField(default=0)
    pattern = models.CharField(max_length=200)
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["store", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.pattern} -> {self.carrier} ({self.store})"


class Shipment(TimeStampedModel):
    """One parcel of an order: several per order are normal (partial shipments, several tracking numbers)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    # Null when neither the store's carrier rules nor its default carrier name one: the tracking is then not pushed.
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, null=True, blank=True, related_name="shipments")
    tracking_number = models.CharField(max_length=100, blank=True)
    tracking_url = models.URLField(max_length=2000, blank=True)
    shipped_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=OrderStatusChange.Source.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["order", "shipped_at", "pk"]

    def __str__(self) -> str:
        return f"{self.tracking_number or 'untracked'} ({self.order})"


class ShipmentItem(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="shipment_items")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shipment", "item"], name="orders_shipmentitem_once")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.item}"


class OrderHold(models.Model):
    """One cause that holds an order (an unmapped variant, an unknown shipping method...). An order can have
    several; it is released once it has none. One row per (order, cause), so the store's Error for a cause can say
    how many orders it holds, and is resolved once it holds none."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="holds")
    # Denormalised from the order: "how many orders does this cause hold in this store" needs no join.
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=30, choices=Order.HoldReason.choices)
    # What it is about, as the store names it: the variant's external id, the shipping method name (lower case).
    # The words for people are in the order's hold_detail and the store's Error; these rows stay small, as the feed
    # writes several per held order.
    key = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["order", "reason", "key"], name="orders_hold_once_per_cause")]
        indexes = [models.Index(fields=["store", "reason", "key"])]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.key} ({self.order})"


class PrintFile(TimeStampedModel):
    """One print file an order line needs (the variant's design file, or a file the store sent with the line),
    downloaded to our storage and checked against the catalog product's print specs before production."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for download"
        DOWNLOADING = "downloading", "Downloading"
        OK = "ok", "Checked, fine"
        FAILED = "failed", "Download failed"
        MISMATCH = "mismatch", "Does not match the product"

    item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="print_files")
    # Empty for a file a person uploaded as a replacement.
    source_url = models.URLField(max_length=2000, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to="print-files/%Y/%m/", max_length=300, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=50, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    page_width_mm = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    page_height_mm = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    # What the check found, for people: "24 pages, 210 x 297 mm: matches A4, 24 pages".
    check_result = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["item", "pk"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"Print file {self.pk} of {self.item} ({self.status})"

    @property
    def is_bad(self) -> bool:
        return self.status in (self.Status.FAILED, self.Status.MISMATCH)


class OrderSourceChange(TimeStampedModel):
    """The store changed an order after it was imported here (its lines, address, customer or shipping method):
    what differs, and what a person decided. Before production the order is held until then."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        ACCEPTED = "accepted", "Accepted: the order follows the store"
        KEPT = "kept", "Kept as imported"
        SUPERSEDED = "superseded", "Replaced by a later change in the store, or undone there"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="source_changes")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    # Rows for people: [{"what": "Line Poster A3 (SKU P-A3): quantity", "was": "1", "now": "2"}, ...].
    differences = models.JSONField(default=list)
    # The order as the store sent it (orders.source_changes.snapshot_from_data): what accepting applies.
    proposed = models.JSONField(default=dict)
    detected_at = models.DateTimeField()
    # Seen after production had started: the order was not held, an Error was raised instead.
    production_started = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "-detected_at", "-pk"]
        indexes = [models.Index(fields=["order", "status"])]

    def __str__(self) -> str:
        return f"Change in the store of {self.order} ({self.get_status_display()})"


class OrderImport(TimeStampedModel):
    """One upload of an orders CSV for a manual store: checked first (dry run, nothing created), then imported when
    the user confirms, all or nothing. The file is kept so the import re-reads and re-checks it, and for history."""

    class Status(models.TextChoices):
        CHECKED = "checked", "Checked, waiting for confirmation"
        REJECTED = "rejected", "Has errors, nothing imported"
        IMPORTED = "imported", "Imported"
        DISCARDED = "discarded", "Discarded"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="order_imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to="order-imports/%Y/%m/", max_length=300)
    original_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKED)
    rows_total = models.PositiveIntegerField(default=0)
    orders_count = models.PositiveIntegerField(default=0)
    lines_count = models.PositiveIntegerField(default=0)
    # [{"row": 7, "column": "quantity", "reason": "..."}], the first ERRORS_KEPT of them.
    errors = models.JSONField(default=list, blank=True)
    # The orders the file creates, for the preview: [{"number", "customer", "country", "lines": [...]}].
    preview = models.JSONField(default=list, blank=True)
    # Why the whole file was refused (unreadable, wrong headers, too large).
    message = models.TextField(blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    orders_created = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Order import {self.pk} of {self.store} ({self.status})"
