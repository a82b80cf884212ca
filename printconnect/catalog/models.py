from decimal import Decimal
from urllib.parse import quote

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from printconnect.core.models import TimeStampedModel
from printconnect.storefronts.models import Store


class StoreProduct(TimeStampedModel):
    """A product of a client's store, mirrored once per (store, external id) by the product feeds.

    Its variants carry the mapping to the PSP catalog.
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

    # The mapping to the PSP catalog: what the print shop makes when an order line names this variant. Orders
    # containing a variant without one are held ("unmapped product") until it is connected.
    catalog_product = models.ForeignKey(
        "CatalogProduct", on_delete=models.PROTECT, null=True, blank=True, related_name="store_variants"
    )
    design_file_url = models.URLField(max_length=2000, blank=True)
    # Print specs that differ from the catalog product's for this variant, e.g. {"paper": "350g silk"}.
    print_spec_overrides = models.JSONField(default=dict, blank=True)
    # Which of the variant's store attributes sets which print spec, e.g. {"Size": "format"}: "Size: A4" in the
    # store becomes format "A4" on the order line.
    attribute_specs = models.JSONField(default=dict, blank=True)
    mapped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["product", "sku", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["store", "external_id"], name="catalog_storevariant_store_external_id")
        ]
        indexes = [models.Index(fields=["store", "sku"]), models.Index(fields=["store", "catalog_product"])]

    def __str__(self) -> str:
        return self.sku or f"variant {self.external_id}"

    @property
    def is_product_itself(self) -> bool:
        """The one variant of a simple product (no variations in the store)."""
        return self.external_id == self.product.external_id


# --- the PSP catalog and shipping reference data -------------------------------------------------------------------


class CatalogProduct(TimeStampedModel):
    """A product the print shop makes or stocks. Clients map their store variants to it by its UID.

    Never deleted (orders reference it): staff deactivate it instead.
    """

    class Kind(models.TextChoices):
        PRINTABLE = "printable", "Printable"
        STOCK = "stock", "Stock item"

    uid = models.CharField("product UID", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PRINTABLE)
    # Flat str -> str attributes (format, paper, colours, finish, pages...); checked by services.print_specs_clean.
    print_specs = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["uid"]
        # "BC-85x55" and "bc-85X55" would look the same to a client filling a spreadsheet: one of them only.
        constraints = [models.UniqueConstraint(Lower("uid"), name="catalog_catalogproduct_uid_ci_unique")]

    def __str__(self) -> str:
        return f"{self.uid} · {self.name}"


class Carrier(TimeStampedModel):
    """Who delivers parcels; its tracking URL template turns a tracking number into a link."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    # e.g. "https://track.example/?n={tracking}"; empty when the carrier has no public tracking page.
    tracking_url_template = models.CharField(max_length=500, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        # Codes are typed into spreadsheets and store settings: "dhl" and "DHL" must be one carrier.
        constraints = [models.UniqueConstraint(Lower("code"), name="catalog_carrier_code_ci_unique")]

    def __str__(self) -> str:
        return self.name

    def tracking_url(self, tracking_number: str) -> str:
        if not self.tracking_url_template or not tracking_number:
            return ""
        return self.tracking_url_template.replace("{tracking}", quote(tracking_number, safe=""))


class ShippingMethod(TimeStampedModel):
    """One of the print shop's shipping services; store shipping methods map to these."""

    class ServiceLevel(models.TextChoices):
        ECONOMY = "economy", "Economy"
        STANDARD = "standard", "Standard"
        EXPRESS = "express", "Express"

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="shipping_methods")
    service_level = models.CharField(max_length=10, choices=ServiceLevel.choices, default=ServiceLevel.STANDARD)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(Lower("code"), name="catalog_shippingmethod_code_ci_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ShippingRate(TimeStampedModel):
    """The price of a shipping method for a group of destination countries, in one currency."""

    shipping_method = models.ForeignKey(ShippingMethod, on_delete=models.CASCADE, related_name="rates")
    country_group = models.CharField(max_length=64)
    # ISO-3166 alpha-2 codes, upper case, e.g. ["DE", "AT"].
    countries = models.JSONField(default=list, blank=True)
    currency = models.CharField(max_length=3)  # ISO-4217, upper case
    price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        ordering = ["shipping_method", "country_group", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipping_method", "country_group", "currency"], name="catalog_shippingrate_method_group_cur"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="catalog_shippingrate_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.shipping_method.code} · {self.country_group} · {self.price} {self.currency}"


class MappingImport(TimeStampedModel):
    """One upload of a filled-in product export: checked (dry run) first, then applied when the user confirms.

    The file itself is kept so the apply step re-reads and re-checks it (the store may have changed meanwhile) and so
    import history can offer it again.
    """

    class Status(models.TextChoices):
        CHECKING = "checking", "Checking"
        CHECKED = "checked", "Checked, waiting for confirmation"
        APPLYING = "applying", "Applying"
        APPLIED = "applied", "Applied"
        REJECTED = "rejected", "Not applied"  # the file could not be read, or errors under "all or nothing"
        FAILED = "failed", "Failed"
        DISCARDED = "discarded", "Discarded"

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", "All or nothing"
        VALID_ROWS = "valid_rows", "Apply valid rows"

    class FileFormat(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="mapping_imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to="mapping-imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    file_format = models.CharField(max_length=4, choices=FileFormat.choices)
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.ALL_OR_NOTHING)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKING)
    task_id = models.CharField(max_length=64, blank=True)
    # Progress of the running step (check or apply): rows done out of rows in the file.
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    rows_create = models.PositiveIntegerField(default=0)  # variants without a mapping that get one
    rows_update = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_error = models.PositiveIntegerField(default=0)
    # [{"row": 7, "column": "Product UID", "reason": "..."}], the first ERRORS_KEPT of them.
    errors = models.JSONField(default=list, blank=True)
    # Why the whole file was refused or the step failed (unreadable file, wrong headers, too large...).
    message = models.TextField(blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    ERRORS_KEPT = 1000

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["store", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.original_name} → {self.store} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in {self.Status.CHECKING, self.Status.APPLYING}

    @property
    def percent_done(self) -> int:
        return min(100, self.rows_done * 100 // self.rows_total) if self.rows_total else 0
