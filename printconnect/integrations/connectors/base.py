"""The connector interface (STYLE section D).

A connector is built per store as `Connector(config, *, session)` and speaks to one platform. It takes a frozen
`ConnectionConfig` (base URL, decrypted credentials, store options) and a `core.http.SafeSession`, and returns the
dataclasses of `types`. It never touches the ORM or settings. Methods of capabilities a connector does not declare
raise `NotImplementedError`; the contract test checks that every declared capability is overridden.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from printconnect.integrations.connectors.types import (
    ConnectionCheck,
    ConnectionConfig,
    CredentialField,
    EventKind,
    ExternalImage,
    ExternalOrder,
    ExternalProduct,
    NewProduct,
    OrderStatus,
    Page,
    PushResult,
    ShipmentNotice,
    StockLevel,
    WebhookEvent,
)

if TYPE_CHECKING:
    from printconnect.core.http import SafeSession


class Capability(StrEnum):
    ORDERS_PULL = "orders_pull"
    ORDERS_WEBHOOK = "orders_webhook"
    PRODUCTS_PULL = "products_pull"
    PRODUCTS_CREATE = "products_create"  # "Publish to store": printconnect creates products in the store
    IMAGES_PULL = "images_pull"
    STOCK_PULL = "stock_pull"
    STOCK_PUSH = "stock_push"
    SHIPMENT_PUSH = "shipment_push"
    STATUS_PUSH = "status_push"
    SUPPLIERS_PULL = "suppliers_pull"


# The methods a connector must override to honour each capability it declares.
CAPABILITY_METHODS: Mapping[Capability, tuple[str, ...]] = {
    Capability.ORDERS_PULL: ("fetch_orders", "fetch_order"),
    Capability.ORDERS_WEBHOOK: ("verify_webhook", "parse_webhook"),
    Capability.PRODUCTS_PULL: ("fetch_products",),
    Capability.PRODUCTS_CREATE: ("create_product",),
    Capability.IMAGES_PULL: ("fetch_product_images",),
    Capability.STOCK_PULL: ("fetch_stock",),
    Capability.STOCK_PUSH: ("push_stock",),
    Capability.SHIPMENT_PUSH: ("push_shipment",),
    Capability.STATUS_PUSH: ("push_status",),
    Capability.SUPPLIERS_PULL: ("fetch_suppliers",),
}


# Given the ids of one page of orders, the (status, financial status[, store's last change]) printconnect holds for
# those it has, as canonical OrderStatus / FinancialStatus values and the order's `updated_at` when it was last read;
# ids it does not have are left out.
KnownState = tuple[str, str] | tuple[str, str, datetime | None]
KnownStates = Callable[[Sequence[str]], Mapping[str, KnownState]]


def known_unchanged(known: KnownState | None, status: str, financial_status: str, changed_at: datetime | None) -> bool:
    """The order is held here as the store reports it: same status and financial status, and not changed in the store
    since printconnect last read it (an edit of its lines or address moves its change time on), when that is known."""
    if known is None or (known[0], known[1]) != (str(status), str(financial_status)):
        return False
    seen = known[2] if len(known) > 2 else None
    return seen is None or changed_at is None or changed_at <= seen


class Connector(ABC):
    key: ClassVar[str]
    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()
    webhook_topics: ClassVar[Mapping[str, EventKind]] = {}

    def __init__(self, config: ConnectionConfig, *, session: SafeSession) -> None:
        self.config = config
        self.session = session

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def _unsupported(self, what: str) -> NotImplementedError:
        return NotImplementedError(f"{self.name} connector does not support {what}.")

    @abstractmethod
    def check_connection(self) -> ConnectionCheck:
        """Try the credentials; never raises for bad input, the message says what to fix."""

    def fetch_orders(
        self,
        *,
        updated_since: datetime | None = None,
        cursor: str | None = None,
        known: KnownStates | None = None,
        read_ahead: bool = False,
        held_only: bool = False,
    ) -> Iterator[Page[ExternalOrder]]:
        """Orders changed since `updated_since`, a page at a time.

        `known`: orders the caller holds in the state the store reports are not mapped, only listed by id in the
        page's `unchanged` (a re-run over the same orders then costs little more than the download); with
        `held_only`, orders the caller does not hold are not fetched either, only listed in `not_held`. `read_ahead`:
        the next page is downloaded while the caller handles this one; the caller must not use the connector
        meanwhile. Failures still surface in page order.
        """
        raise self._unsupported("pulling orders")

    def fetch_order(self, external_id: str) -> ExternalOrder:
        raise self._unsupported("pulling orders")

    def fetch_products(
        self, *, updated_since: datetime | None = None, cursor: str | None = None
    ) -> Iterator[Page[ExternalProduct]]:
        raise self._unsupported("pulling products")

    def fetch_product_images(self, external_product_id: str) -> list[ExternalImage]:
        raise self._unsupported("pulling product images")

    def create_product(self, product: NewProduct) -> ExternalProduct:
        """Create the product (and its variants) in the store; returns it as the store now lists it.

        All or nothing: when the store refuses part of it (a variant's SKU), what was created is removed again before
        the error is raised.
        """
        raise self._unsupported("creating products")

    def fetch_stock(self, *, skus: Iterable[str]) -> list[StockLevel]:
        raise self._unsupported("pulling stock levels")

    def fetch_suppliers(self) -> list[Mapping[str, Any]]:
        raise self._unsupported("pulling suppliers")

    def push_stock(self, levels: Iterable[StockLevel]) -> PushResult:
        raise self._unsupported("pushing stock levels")

    def push_shipment(self, notice: ShipmentNotice) -> PushResult:
        raise self._unsupported("pushing shipments")

    def push_status(self, external_order_id: str, status: OrderStatus, *, note: str = "") -> PushResult:
        raise self._unsupported("pushing order statuses")

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        raise self._unsupported("webhooks")

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        raise self._unsupported("webhooks")
