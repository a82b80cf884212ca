from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_celery_beat.models import CrontabSchedule, IntervalSchedule

from printconnect.core.models import EncryptedTextField, TimeStampedModel
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


# --- telling the outside world: postbacks and store updates (DESIGN section 5, "status updates") ------------------


def postback_events_default() -> list[str]:
    return ["order.status_changed", "order.shipment_created"]


class PostbackSubscription(TimeStampedModel):
    """A URL of the print shop's (or the client's) systems that receives signed JSON postbacks of order events."""

    EVENT_CHOICES = (
        ("order.status_changed", "Order status changed"),
        ("order.shipment_created", "Shipment created"),
    )

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="postback_subscriptions")
    # Empty: every store of the client, those connected later included.
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="postback_subscriptions"
    )
    name = models.CharField(max_length=100, blank=True)
    url = models.URLField("URL", max_length=500)
    events = models.JSONField(default=postback_events_default)
    # Signs every body (HMAC-SHA256); shown once when made or rotated, encrypted at rest.
    secret = EncryptedTextField()
    # The secret before the last rotation: bodies carry a signature with it too until previous_secret_until, so the
    # receiver can switch to the new one without losing postbacks.
    previous_secret = EncryptedTextField(blank=True, default="")
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["client", "pk"]

    def __str__(self) -> str:
        return self.name or self.url

    @property
    def destination(self) -> str:
        return f"postback:{self.pk}"

    def event_labels(self) -> list[str]:
        labels = dict(self.EVENT_CHOICES)
        return [labels.get(kind, kind) for kind in self.events]


class OutboxDelivery(models.Model):
    """One outbox event on its way to one destination: a postback subscription, or the order's store."""

    class Target(models.TextChoices):
        POSTBACK = "postback", "Postback"
        STORE = "store", "Store update"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DELIVERED = "delivered", "Delivered"
        RETRYING = "retrying", "Failed, will retry"
        GAVE_UP = "gave_up", "Gave up"
        SKIPPED = "skipped", "Skipped"

    # Deliveries that are still to be sent: a later event of the same order waits for these (per destination).
    OPEN = (Status.PENDING, Status.RETRYING)

    event = models.ForeignKey("orders.OutboxEvent", on_delete=models.CASCADE, related_name="deliveries")
    # Denormalised from the event so "the order's earlier deliveries to this destination" is one index lookup.
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    target = models.CharField(max_length=10, choices=Target.choices)
    subscription = models.ForeignKey(
        PostbackSubscription, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="outbox_deliveries")
    # "store" or "postback:<subscription id>": one non-null key for the per-destination ordering and uniqueness.
    destination = models.CharField(max_length=30)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A dispatcher owns the delivery until claimed_until; one whose worker died is taken again after that.
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Why a delivery was skipped (test mode, test order, the store's own change...), in words for people.
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "outbox deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "destination"], name="integrations_outbox_delivery_once")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "retrying"]),
                name="integrations_outbox_due",
            ),
            # The dispatcher claims open rows oldest first: read in id order over the open rows only, not past
            # every delivered one (a pk scan from the start slows down with each delivery ever made).
            models.Index(
                fields=["id"], condition=Q(status__in=["pending", "retrying"]), name="integrations_outbox_open"
            ),
            models.Index(fields=["order", "destination", "status"], name="integrations_outbox_order_dest"),
            models.Index(fields=["subscription", "-id"], name="integrations_outbox_sub"),
            models.Index(fields=["store", "target", "-id"], name="integrations_outbox_store"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.destination} ({self.get_status_display()})"


class DeliveryAttempt(models.Model):
    """One try at sending a delivery: when, what came back, how long it took."""

    delivery = models.ForeignKey(OutboxDelivery, on_delete=models.CASCADE, related_name="attempts_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    # A person's "Redeliver", as opposed to the dispatcher's own tries.
    manual = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["delivery", "-at"])]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error[:40]}"


class OutboxFanout(models.Model):
    """One row: every outbox event below `done_below` has its deliveries, so the sweep looks only above it.

    It moves up only past events older than OUTBOX_FANOUT_HORIZON_SECONDS: a transaction that took an id earlier but
    committed later than its neighbours is still above the mark when it becomes visible."""

    done_below = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"events below {self.done_below} fanned out"
