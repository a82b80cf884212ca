"""Shared set-up for the webhook tests: a sandbox store connected to a printconnect store, and posting helpers.

Requests are the exact ones the sandbox would send (`WooCommerceSandbox.webhook_request`: same body bytes, same
headers, signed with the store's webhook secret); one test has the sandbox fire them at a live server over HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from printconnect.integrations.models import WebhookDelivery
from printconnect.sandbox.server import SandboxServer
from printconnect.sandbox.woocommerce import seed
from printconnect.sandbox.woocommerce.app import Store as RemoteStore
from printconnect.storefronts.models import Store
from tests.factories.clients import ClientFactory

PAID_OPEN = ("processing", "completed", "on-hold")


@dataclass
class Shop:
    remote: RemoteStore
    store: Store
    sandbox: SandboxServer

    @property
    def url(self) -> str:
        return f"/webhooks/woocommerce/{self.store.webhook_token}/"

    def request(self, topic: str = "order.created", resource_id: int | None = None, *, ping: bool = False):
        """(body, headers) exactly as the sandbox would POST them."""
        return self.sandbox.app.webhook_request(self.remote.slug, topic=topic, resource_id=resource_id, ping=ping)

    def paid_order_id(self) -> int:
        with self.remote.lock:
            return next(
                oid
                for oid, record in sorted(self.remote.orders.items())
                if record["status"] in PAID_OPEN and record.get("date_paid_gmt")
            )

    def order_fetches(self, order_id: int) -> int:
        """GETs of this order the store has answered (its request log)."""
        path = f"/wp-json/wc/v3/orders/{order_id}"
        return sum(1 for entry in self.remote.requests() if entry["method"] == "GET" and entry["path"].endswith(path))


def post(client: Any, url: str, body: bytes, headers: Mapping[str, str]) -> Any:
    """POST raw bytes with the given headers through Django's test client (Content-Type goes in its own slot)."""
    extra = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "application/octet-stream")
    return client.generic("POST", url, data=body, content_type=content_type, headers=extra)


def connect_shop(sandbox: SandboxServer, slug: str, *, orders: int = 30) -> Shop:
    remote = sandbox.app.create_store(slug, name=slug)
    seed.seed_store(remote, products=4, orders=orders, seed=23)
    store = Store.objects.create(
        client=ClientFactory(), name=slug, platform=Store.Platform.WOOCOMMERCE, base_url=sandbox.store_url(slug)
    )
    store.credentials = {
        "consumer_key": remote.consumer_key,
        "consumer_secret": remote.consumer_secret,
        "webhook_secret": remote.webhook_secret,
    }
    store.save()
    return Shop(remote=remote, store=store, sandbox=sandbox)


def deliveries(store: Store) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(store=store).order_by("pk"))
