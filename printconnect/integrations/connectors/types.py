"""The canonical shapes every connector translates to and from (DESIGN section 4).

Plain frozen dataclasses, no Django. Money is `Decimal` next to an ISO-4217 currency code, times are aware UTC
datetimes, countries are ISO-3166 alpha-2 codes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from printconnect.integrations.connectors.errors import MappingError

T = TypeVar("T")


class ProductType(StrEnum):
    NORMAL = "normal"  # printed on demand
    STOCK = "stock"  # picked from inventory


class OrderStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    FAILED = "failed"
    OTHER = "other"


class FinancialStatus(StrEnum):
    PAID = "paid"
    PENDING = "pending"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    VOIDED = "voided"
    UNKNOWN = "unknown"


class FulfilmentChannel(StrEnum):
    MERCHANT = "merchant"  # the store ships: ours to print
    MARKETPLACE = "marketplace"  # the marketplace ships (AFN, FBR...): belongs to another connection


class EventKind(StrEnum):
    """Canonical webhook events; each connector's `webhook_topics` maps its platform topics onto these."""

    ORDER_CHANGED = "order.changed"
    ORDER_DELETED = "order.deleted"
    PRODUCT_CHANGED = "product.changed"
    PRODUCT_DELETED = "product.deleted"


@dataclass(frozen=True)
class Address:
    country: str  # ISO-3166 alpha-2, upper case
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""  # state / province code as the store sends it
    postal_code: str = ""
    phone: str = ""
    email: str = ""

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass(frozen=True)
class ExternalImage:
    id: str
    url: str
    alt: str = ""
    position: int = 0
    variant_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExternalVariant:
    id: str
    sku: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)
    price: Decimal | None = None
    stock_quantity: int | None = None
    weight: Decimal | None = None
    image: ExternalImage | None = None


@dataclass(frozen=True)
class ExternalProduct:
    id: str
    title: str
    product_type: ProductType = ProductType.NORMAL
    sku: str = ""
    images: tuple[ExternalImage, ...] = ()
    variants: tuple[ExternalVariant, ...] = ()
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class NewVariant:
    """One variant of a product to create in the store: its option values (option name -> value), SKU and price."""

    attributes: Mapping[str, str]
    sku: str = ""
    price: Decimal | None = None


@dataclass(frozen=True)
class NewProduct:
    """A product printconnect creates in the store ("Publish to store").

    Without `options` it is a simple product with `sku` and `price`; with them, a product with one variant per entry of
    `variants`, whose attributes name one value of each option. `options` keep their order: (name, values).
    """

    title: str
    sku: str = ""
    price: Decimal | None = None
    options: tuple[tuple[str, tuple[str, ...]], ...] = ()
    variants: tuple[NewVariant, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class ExternalOrderLine:
    id: str
    quantity: int
    title: str = ""
    sku: str = ""
    product_id: str | None = None
    variant_id: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    print_file_urls: tuple[str, ...] = ()
    product_type: ProductType = ProductType.NORMAL
    unit_price: Decimal | None = None
    total: Decimal | None = None


@dataclass(frozen=True)
class ExternalOrder:
    id: str
    number: str
    status: OrderStatus
    financial_status: FinancialStatus
    placed_at: datetime
    updated_at: datetime
    currency: str  # ISO-4217
    total: Decimal
    lines: tuple[ExternalOrderLine, ...]
    subtotal: Decimal | None = None
    shipping_total: Decimal = Decimal("0")
    tax_total: Decimal = Decimal("0")
    discount_total: Decimal = Decimal("0")
    customer_email: str = ""
    customer_name: str = ""
    shipping_address: Address | None = None
    billing_address: Address | None = None
    shipping_method_code: str = ""  # the store's code, mapped to a PSP shipping method by the intake
    shipping_method_title: str = ""
    note: str = ""
    fulfilment_channel: FulfilmentChannel = FulfilmentChannel.MERCHANT
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class StockLevel:
    sku: str
    quantity: int
    product_id: str | None = None
    variant_id: str | None = None


@dataclass(frozen=True)
class ShipmentNotice:
    external_order_id: str
    tracking_number: str
    carrier_name: str = ""
    tracking_url: str = ""
    shipped_at: datetime | None = None
    line_quantities: Mapping[str, int] = field(default_factory=dict)  # external line id -> quantity shipped


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a feed. Save `next_cursor` only after committing `items`; `None` means the feed is done.

    `errors` holds the records of this page that could not be mapped; the page goes on without them. `unchanged` holds
    the ids of records the caller said it already has in the state the store reports (see `Connector.fetch_orders`):
    they were not mapped, and are in neither `items` nor `errors`.
    """

    items: Sequence[T]
    next_cursor: str | None = None
    errors: Sequence[MappingError] = ()
    unchanged: Sequence[str] = ()
    not_held: Sequence[str] = ()  # with `held_only`: ids of orders the caller does not hold, neither fetched nor mapped


@dataclass(frozen=True)
class PushResult:
    ok: bool
    message: str = ""
    external_id: str | None = None
    failures: Mapping[str, str] = field(default_factory=dict)  # key (sku, line id...) -> what went wrong


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str
    missing_permissions: tuple[str, ...] = ()


@dataclass(frozen=True)
class WebhookEvent:
    topic: str  # the platform's topic as sent; `Connector.webhook_topics[topic]` is the canonical EventKind
    external_id: str | None
    occurred_at: datetime
    delivery_id: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict, repr=False)
    is_ping: bool = False


@dataclass(frozen=True)
class ConnectionConfig:
    base_url: str
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)  # decrypted; never log
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CredentialField:
    name: str
    label: str
    secret: bool = False
    help_text: str = ""
    required: bool = True
