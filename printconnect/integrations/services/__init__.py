"""Actions of the integrations app (STYLE B): the only package that calls connectors.

Split by concern; import from here.
"""

from printconnect.integrations.services.connections import (
    store_connect,
    store_credentials_update,
    store_url_normalize,
)
from printconnect.integrations.services.events import event_record
from printconnect.integrations.services.feeds import (
    connector_for_store,
    feed_run_execute,
    feed_run_start,
    feeds_dispatch,
    feeds_ensure_for_store,
    order_data_from_external,
    order_import_one,
)
from printconnect.integrations.services.outbox import (
    outbox_delivery_redeliver,
    outbox_dispatch,
    outbox_fanout,
    postback_signature,
    postback_subscription_create,
    postback_subscription_delete,
    postback_subscription_rotate_secret,
    postback_subscription_update,
    postback_verify,
)
from printconnect.integrations.services.products import (
    ProductPublished,
    PublishPreview,
    publish_summary,
    store_product_publish,
    store_product_publish_preview,
    store_products_sync,
    store_publish_refusal,
)
from printconnect.integrations.services.webhooks import (
    webhook_deliveries_kick,
    webhook_deliveries_queue,
    webhook_delivery_fail,
    webhook_delivery_process,
    webhook_delivery_record,
    webhook_store_for,
    webhook_verify,
)

__all__ = [
    "ProductPublished",
    "PublishPreview",
    "connector_for_store",
    "event_record",
    "feed_run_execute",
    "feed_run_start",
    "feeds_dispatch",
    "feeds_ensure_for_store",
    "order_data_from_external",
    "order_import_one",
    "outbox_delivery_redeliver",
    "outbox_dispatch",
    "outbox_fanout",
    "postback_signature",
    "postback_subscription_create",
    "postback_subscription_delete",
    "postback_subscription_rotate_secret",
    "postback_subscription_update",
    "postback_verify",
    "publish_summary",
    "store_connect",
    "store_credentials_update",
    "store_product_publish",
    "store_product_publish_preview",
    "store_products_sync",
    "store_publish_refusal",
    "store_url_normalize",
    "webhook_deliveries_kick",
    "webhook_deliveries_queue",
    "webhook_delivery_fail",
    "webhook_delivery_process",
    "webhook_delivery_record",
    "webhook_store_for",
    "webhook_verify",
]
