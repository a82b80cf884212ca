"""WooCommerce wire-format facts (../shared/PLATFORMS.md section 3) and printconnect's conventions for it."""

from __future__ import annotations

from printconnect.integrations.connectors.types import EventKind, OrderStatus

API_PREFIX = "/wp-json/wc/v3"
PER_PAGE = 100  # the REST API's maximum
TOTAL_PAGES_HEADER = "X-WP-TotalPages"

# Order statuses on the wire -> canonical. Anything else (checkout-draft, trash, plugin statuses) is OTHER.
ORDER_STATUSES: dict[str, OrderStatus] = {
    "pending": OrderStatus.PENDING,
    "processing": OrderStatus.PROCESSING,
    "on-hold": OrderStatus.ON_HOLD,
    "completed": OrderStatus.COMPLETED,
    "cancelled": OrderStatus.CANCELLED,
    "refunded": OrderStatus.REFUNDED,
    "failed": OrderStatus.FAILED,
}
STATUS_TO_WIRE: dict[OrderStatus, str] = {canonical: wire for wire, canonical in ORDER_STATUSES.items()}
PAID_STATUSES = frozenset({"processing", "completed"})  # or `date_paid` set

# Print files: WooCommerce has no print-file field. printconnect's convention is a line item meta entry whose key is
# one of these, with an http(s) URL as value (a string, or a list of strings for several files). Shops set it with a
# product add-on / upload plugin or their own code. Keys starting with "_" are hidden from the customer by WooCommerce.
PRINT_FILE_META_KEYS = frozenset({"_print_file_url", "print_file", "print_file_url"})

# Products tagged with one of these slugs are stock items; every other product is printed (store option
# `stock_tags` replaces this list).
DEFAULT_STOCK_TAGS = ("printconnect-stock",)

# Webhook headers (class-wc-webhook.php) and topics.
SIGNATURE_HEADER = "X-WC-Webhook-Signature"
TOPIC_HEADER = "X-WC-Webhook-Topic"
DELIVERY_HEADER = "X-WC-Webhook-Delivery-ID"
WEBHOOK_ID_HEADER = "X-WC-Webhook-ID"

WEBHOOK_TOPICS: dict[str, EventKind] = {
    "order.created": EventKind.ORDER_CHANGED,
    "order.updated": EventKind.ORDER_CHANGED,
    "order.restored": EventKind.ORDER_CHANGED,
    "order.deleted": EventKind.ORDER_DELETED,
    "product.created": EventKind.PRODUCT_CHANGED,
    "product.updated": EventKind.PRODUCT_CHANGED,
    "product.restored": EventKind.PRODUCT_CHANGED,
    "product.deleted": EventKind.PRODUCT_DELETED,
}
