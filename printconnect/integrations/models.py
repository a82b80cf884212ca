from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_celery_beat.models import CrontabSchedule, IntervalSchedule

from printconnect.core.models import TimeStampedModel
from printconnect.storefronts.models import Store


class Feed(TimeStampedModel):
    """One arrow between a store and printconnect (DESIGN section 5), with its own schedule and position."""

    class Kind(models.TextChoices):
        ORDERS_IMPORT = "orders_import", "Import new orders"
        ORDERS_UPDATE = "orders_update", "Update orders"
        ORDERS_RETRY = "orders_retry", "Retry set-aside orders"
        PRODUCTS_IMPORT = "products_import", "Import new products"
        PRODUCTS_UPDATE = "products_update", "Update products"
        IMAGES_IMPORT = "images_import", "Import product images"
        STOCK_IMPORT = "stock_import", "Import stock level"
        STOCK_EXPORT = "stock_export", "Export stock level"
        SHIPMENTS_EXPORT = "shipments_export", "Shipment confirmation"
        STATUS_EXPORT = "status_export", "Status updates"

    # Feeds that write to the store: recorded as skipped while the store is in test mode (DESIGN section 5).
    OUTBOUND_KINDS = frozenset({Kind.STOCK_EXPORT, Kind.SHIPMENTS_EXPORT, Kind.STATUS_EXPORT})

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="feeds")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    enabled = models.BooleanField(default=True)
    # The schedule lives in django-celery-beat's models; one beat entry dispatches due feeds from this table.
    interval = models.ForeignKey(IntervalSchedule, null=True, blank=True, on_delete=models.SET_NULL)
    crontab = models.ForeignKey(CrontabSchedule, null=True, blank=True, on_delete=models.SET_NULL)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Where the next run resumes: the connector's page cursor, saved only with the rows it covers.
    cursor = models.CharField(max_length=200, blank=True)
    # Records changed after this moment are fetched; moved forward when a run completes.
    synced_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["store", "kind"]
        constraints = [models.UniqueConstraint(fields=["store", "kind"], name="integrations_feed_store_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.store}"

    @property
    def is_outbound(self) -> bool:
        return self.kind in self.OUTBOUND_KINDS


class FeedRun(models.Model):
    """One execution of a feed: who started it, how it ended, what it counted, what it logged."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Run now"
        WEBHOOK = "webhook", "Webhook"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Partly succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Moved forward after every page; a running run whose heartbeat stopped long ago lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The Celery task running it: a redelivery of the same task (its worker died) takes the run over at once.
    task_id = models.CharField(max_length=64, blank=True)
    seen = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    log = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["feed", "status"])]

    def __str__(self) -> str:
        return f"{self.feed} at {self.started_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"


class IntegrationEvent(models.Model):
    """Something a run met: Info (a rule, nothing to do), Retry (fixes itself), Error (needs a person).

    The same problem recurring is one open event whose count and last_seen grow (unique open fingerprint).
    """

    class Severity(models.TextChoices):
        INFO = "info", "Info"
        RETRY = "retry", "Retry"
        ERROR = "error", "Error"

    # A feed run records connector failures as "feed.<error class>"; a refused key is fixed with new credentials.
    CODE_AUTH_REJECTED = "feed.AuthRejectedError"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="integration_events")
    feed_run = models.ForeignKey(FeedRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    severity = models.CharField(max_length=5, choices=Severity.choices)
    code = models.CharField(max_length=60)
    message = models.TextField()
    # The object it concerns, as the store names it (e.g. "order", "727").
    object_type = models.CharField(max_length=30, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    fingerprint = models.CharField(max_length=64)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=1)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-last_seen", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"], condition=Q(resolved_at__isnull=True), name="integrations_event_one_open"
            )
        ]
        indexes = [models.Index(fields=["severity", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.message[:80]}"


class WebhookDelivery(models.Model):
    """One verified webhook delivery, stored once (unique on the platform's delivery id) and processed by a task.

    Only deliveries whose signature checked out are stored; forged ones are answered 401 and leave no row.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be processed"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (nothing to do)"
        FAILED = "failed", "Failed"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="webhook_deliveries")
    platform = models.CharField(max_length=20)
    # The platform's own delivery id (WooCommerce: X-WC-Webhook-Delivery-ID), or a digest of the body without one.
    delivery_id = models.CharField(max_length=100)
    topic = models.CharField(max_length=100, blank=True)
    external_id = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(db_index=True)
    # Platform headers only (no cookies, no signature); the body as received, for processing and support.
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # When its processing task was queued: the endpoint only stores deliveries; a task queues them in batches.
    queued_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["store", "delivery_id"], name="integrations_webhook_delivery_once")
        ]
        indexes = [
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["received_at"], condition=Q(queued_at__isnull=True), name="integrations_wh_unqueued"),
        ]

    def __str__(self) -> str:
        return f"{self.topic or 'webhook'} {self.delivery_id} · {self.store}"
