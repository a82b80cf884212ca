"""The intake pipeline's steps as pure functions (DESIGN section 6): no queries, no writes.

orders.services reads what a batch of orders needs (the store's rules, its variants, its shipping methods) in a
few queries, then asks these functions what to do with each order: import it or not (and why), how each line maps
and what kind of work it is, which shipping method it gets, and what holds it. Keeping them pure keeps the feed's
batch path free of per-line queries and makes every rule testable on plain data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from printconnect.orders.models import Order, OrderItem, StoreOrderSettings

HoldReason = Order.HoldReason
Kind = OrderItem.Kind

# Severity of a verdict, as the integrations app's events name them (orders does not import integrations).
INFO, RETRY, ERROR = "info", "retry", "error"

AWAITING_PAYMENT = "order.awaiting_payment"
# Store statuses of an order that is not open: not imported when new (an order already here is cancelled instead).
NOT_OPEN_STATUSES = frozenset({"cancelled", "refunded", "failed"})
PAID_STATUSES = frozenset({"paid", "partially_refunded"})
MERCHANT = StoreOrderSettings.Fulfilment.MERCHANT
STOCK_PRODUCT_TYPE = "stock"  # StoreProduct.ProductType.STOCK and the connectors' ProductType.STOCK


@dataclass(frozen=True)
class Verdict:
    """Why a new order is not imported: an event for the store (Info: a rule; Retry: set aside, looked at again)."""

    severity: str
    code: str
    message: str


@dataclass(frozen=True)
class StoreRules:
    """A store's intake rules, read once per batch (StoreOrderSettings, or the defaults for a store without one)."""

    non_printable_rule: str = StoreOrderSettings.NonPrintableRule.STOCK
    fulfilment: str = MERCHANT
    default_shipping_method_id: int | None = None
    activation_date: datetime | None = None


@dataclass(frozen=True)
class VariantInfo:
    """What the pipeline needs of one StoreVariant (and its product and catalog product)."""

    pk: int
    external_id: str
    label: str  # "Poster - A3, Matte": product title and the variant's attribute values
    sku: str
    product_type: str  # the store product's: normal (printed) or stock
    attributes: Mapping[str, str]
    catalog_product_id: int | None
    catalog_kind: str
    catalog_specs: Mapping[str, str]
    design_file_url: str
    print_spec_overrides: Mapping[str, str]
    attribute_specs: Mapping[str, str]


@dataclass(frozen=True)
class CatalogInfo:
    """A catalog product an order line names directly by its UID (manual orders and CSV imports): no store product
    stands between them."""

    pk: int
    uid: str
    name: str
    kind: str
    specs: Mapping[str, str]
    active: bool


def catalog_key(uid: str) -> str:
    """How catalog UIDs are matched: unique in any case (CatalogProduct's constraint)."""
    return uid.strip().casefold()


@dataclass(frozen=True)
class ShippingInfo:
    """A shipping method name seen in the store's orders (StoreShippingMethod) and the PSP method it maps to."""

    pk: int
    name: str
    shipping_method_id: int | None


class Line(Protocol):
    """An order line as the pipeline reads it: OrderLineData for a new order, OrderItem when re-processing."""

    external_id: str
    title: str
    sku: str
    external_product_id: str
    external_variant_id: str
    attributes: Any
    # Optional on a line (getattr): catalog_uid, a catalog product named directly; print_file_urls.


@dataclass(frozen=True)
class HoldCause:
    """One thing that holds an order, for the order's detail and for the store's Error about it."""

    reason: str
    key: str
    problem: str
    fix: str

    @property
    def detail(self) -> str:
        return f"{self.problem}. {self.fix}"


@dataclass(frozen=True)
class LinePlan:
    store_variant_id: int | None = None
    catalog_product_id: int | None = None
    kind: str = Kind.UNMAPPED
    design_file_url: str = ""
    print_specs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PrintFile:
    """A print file the order needs: queued for download once the order is committed (the print files step)."""

    item_external_id: str
    url: str


@dataclass(frozen=True)
class OrderPlan:
    lines: tuple[LinePlan, ...]
    psp_shipping_method_id: int | None
    causes: tuple[HoldCause, ...]
    print_files: tuple[PrintFile, ...]

    @property
    def held(self) -> bool:
        return bool(self.causes)

    @property
    def status(self) -> str:
        return Order.Status.ON_HOLD if self.causes else Order.Status.RECEIVED

    @property
    def hold_reason(self) -> str:
        return self.causes[0].reason if self.causes else HoldReason.NONE

    @property
    def hold_detail(self) -> str:
        return " ".join(cause.detail for cause in self.causes)


# --- validate -------------------------------------------------------------------------------------------------------


def verdict_for_new_order(
    *, number: str, store_status: str, financial_status: str, placed_at: datetime, channel: str, rules: StoreRules
) -> Verdict | None:
    """Why a new order is not imported, or None to import it. An order already here is never judged: it syncs its
    status, so a cancellation in the store reaches it."""
    if channel != rules.fulfilment:
        who = "the marketplace" if channel != MERCHANT else "the merchant"
        return Verdict(
            INFO,
            "order.other_channel",
            f"Order {number} is fulfilled by {who}, and this store takes "
            f"{'merchant' if rules.fulfilment == MERCHANT else 'marketplace'}-fulfilled orders only; skipped.",
        )
    if store_status in NOT_OPEN_STATUSES:
        return Verdict(INFO, "order.not_open", f"Order {number} is {store_status} in the store; not imported.")
    if rules.activation_date and placed_at < rules.activation_date:
        return Verdict(
            INFO,
            "order.before_activation",
            f"Order {number} was placed before the store's activation date "
            f"({rules.activation_date:%d %b %Y %H:%M} UTC); not imported. Print shop staff can move the date back "
            "to import it.",
        )
    if financial_status not in PAID_STATUSES:
        return Verdict(
            RETRY, AWAITING_PAYMENT, f"Order {number} is not paid yet; it is set aside and imported once paid."
        )
    return None


# --- map, classify, ship ------------------------------------------------------------------------------------------


def variant_key(line: Line) -> str:
    """The StoreVariant external id a line names: its variation, or for a simple product the product itself."""
    return line.external_variant_id or line.external_product_id


def plan_order(
    *,
    lines: Sequence[Line],
    line_product_types: Sequence[str],
    shipping_method: str,
    rules: StoreRules,
    variants: Mapping[str, VariantInfo],
    shipping: Mapping[str, ShippingInfo],
    catalog: Mapping[str, CatalogInfo] | None = None,
    chosen_shipping_method_id: int | None = None,
) -> OrderPlan:
    """Map every line and the shipping method; collect what holds the order (nothing: it is received).

    A line with a catalog_uid names its catalog product directly (`catalog`, by catalog_key); an order whose print
    shop shipping method was chosen by a person (`chosen_shipping_method_id`) needs no mapping for it."""
    causes: dict[tuple[str, str], HoldCause] = {}
    plans: list[LinePlan] = []
    files: list[PrintFile] = []
    for line, line_type in zip(lines, line_product_types, strict=True):
        uid = getattr(line, "catalog_uid", "")
        if uid:
            plan, cause = _plan_catalog_line(line, rules, (catalog or {}).get(catalog_key(uid)))
        else:
            plan, cause = _plan_line(line, line_type, rules, variants.get(variant_key(line)))
        plans.append(plan)
        if cause is not None:
            causes.setdefault((cause.reason, cause.key), cause)
        if plan.kind == Kind.PRINTABLE:
            urls = [plan.design_file_url] if plan.design_file_url else list(getattr(line, "print_file_urls", ()))
            files += [PrintFile(line.external_id, url) for url in urls if url]
            if not any(urls):
                missing = _missing_file(line, None if uid else variants.get(variant_key(line)))
                causes.setdefault((missing.reason, missing.key), missing)
    if chosen_shipping_method_id is not None:
        method_id, cause = chosen_shipping_method_id, None
    else:
        method_id, cause = _plan_shipping(shipping_method, rules, shipping)
    if cause is not None:
        causes[(cause.reason, cause.key)] = cause
    return OrderPlan(tuple(plans), method_id, tuple(causes.values()), tuple(files))


MISSING_FILE_PREFIX = "missing:"


def _missing_file(line: Line, variant: VariantInfo | None) -> HoldCause:
    """A printed line with neither a design file on its variant nor a print file from the store."""
    uid = getattr(line, "catalog_uid", "")
    if uid:
        return HoldCause(
            HoldReason.PRINT_FILE,
            f"{MISSING_FILE_PREFIX}{variant_key(line)}",
            f"Line {_line_label(line, None)} (catalog product {uid}) is printed but was given no print file",
            "Give the line a file on the order's page or the store's Held orders page.",
        )
    return HoldCause(
        HoldReason.PRINT_FILE,
        f"{MISSING_FILE_PREFIX}{variant_key(line)}",
        f"Line {_line_label(line, variant)} is printed but has no print file: its variant has no design file and the "
        "store sent none with the order",
        "Set the variant's design file in the store's Products tab, or give the order's line a file on the store's "
        "Held orders page.",
    )


def _line_label(line: Line, variant: VariantInfo | None) -> str:
    label = variant.label if variant is not None else (line.title or "Untitled line")
    sku = variant.sku if variant is not None and variant.sku else line.sku
    return f"'{label}' (SKU {sku})" if sku else f"'{label}'"


def _plan_line(
    line: Line, line_type: str, rules: StoreRules, variant: VariantInfo | None
) -> tuple[LinePlan, HoldCause | None]:
    key = variant_key(line)
    product_type = variant.product_type if variant is not None else line_type
    if product_type == STOCK_PRODUCT_TYPE:
        return _plan_non_printable(line, rules, variant)
    if variant is None:
        return LinePlan(), HoldCause(
            HoldReason.UNMAPPED_PRODUCT,
            key,
            f"Product {_line_label(line, None)} (store id {key or 'none'}) is not among the store's imported products",
            "Run the store's product import (Feeds), then connect it to a catalog product in the store's Products tab.",
        )
    if variant.catalog_product_id is None:
        return LinePlan(store_variant_id=variant.pk), HoldCause(
            HoldReason.UNMAPPED_PRODUCT,
            key,
            f"Variant {_line_label(line, variant)} is not connected to a catalog product",
            "Connect it in the store's Products tab.",
        )
    return _mapped(line, variant, kind=variant.catalog_kind or Kind.PRINTABLE), None


def _plan_catalog_line(line: Line, rules: StoreRules, product: CatalogInfo | None) -> tuple[LinePlan, HoldCause | None]:
    """A line naming a catalog product by UID: printed or stock as the catalog says, with the catalog's specs."""
    uid = getattr(line, "catalog_uid", "")
    if product is None or not product.active:
        state = "is inactive" if product is not None else "does not exist"
        return LinePlan(catalog_product_id=product.pk if product else None), HoldCause(
            HoldReason.UNMAPPED_PRODUCT,
            f"uid:{catalog_key(uid)}",
            f"Line {_line_label(line, None)} names catalog product {uid}, which {state}",
            "Ask the print shop to activate it, or cancel the order and place it again with another product.",
        )
    if product.kind == Kind.STOCK:
        return LinePlan(catalog_product_id=product.pk, kind=Kind.STOCK), None
    specs = {str(k): str(v) for k, v in product.specs.items()}
    return LinePlan(catalog_product_id=product.pk, kind=Kind.PRINTABLE, print_specs=specs), None


def _plan_non_printable(
    line: Line, rules: StoreRules, variant: VariantInfo | None
) -> tuple[LinePlan, HoldCause | None]:
    """A line whose store product is not a printed one: the store's rule says stock, ignore, or hold."""
    rule = rules.non_printable_rule
    if rule == StoreOrderSettings.NonPrintableRule.IGNORE:
        return LinePlan(store_variant_id=variant.pk if variant else None, kind=Kind.IGNORED), None
    if rule == StoreOrderSettings.NonPrintableRule.HOLD:
        return LinePlan(store_variant_id=variant.pk if variant else None), HoldCause(
            HoldReason.NON_PRINTABLE_LINE,
            variant_key(line),
            f"{_line_label(line, variant)} is a stock item, and this store holds orders with stock items",
            "Change the non-printable lines rule in the store's Shipping settings to fulfil them from stock or "
            "ignore them, or cancel the order.",
        )
    if variant is None:
        return LinePlan(kind=Kind.STOCK), None
    return _mapped(line, variant, kind=Kind.STOCK), None


def _mapped(line: Line, variant: VariantInfo, *, kind: str) -> LinePlan:
    return LinePlan(
        store_variant_id=variant.pk,
        catalog_product_id=variant.catalog_product_id,
        kind=kind,
        design_file_url=variant.design_file_url if kind == Kind.PRINTABLE else "",
        print_specs=print_specs_for(variant, line.attributes or {}) if variant.catalog_product_id else {},
    )


def print_specs_for(variant: VariantInfo, line_attributes: Mapping[str, str]) -> dict[str, str]:
    """The catalog product's specs, then the variant's overrides, then the values of the variant's attributes that
    attribute_specs names ("Size" -> format: "Size: A3" sets format "A3"). Attribute names match in any case, read
    from the order line first (what was bought), else from the variant as last synced."""
    specs = {str(k): str(v) for k, v in variant.catalog_specs.items()}
    specs.update({str(k): str(v) for k, v in variant.print_spec_overrides.items()})
    by_name = {str(k).strip().lower(): str(v) for k, v in variant.attributes.items()}
    by_name.update({str(k).strip().lower(): str(v) for k, v in line_attributes.items()})
    for attribute, spec in variant.attribute_specs.items():
        value = by_name.get(str(attribute).strip().lower())
        if value not in (None, ""):
            specs[str(spec)] = value
    return specs


def shipping_key(name: str) -> str:
    """How shipping method names are matched: StoreShippingMethod is unique per store in any case."""
    return name.strip().lower()[:200]


def _plan_shipping(
    name: str, rules: StoreRules, shipping: Mapping[str, ShippingInfo]
) -> tuple[int | None, HoldCause | None]:
    seen = shipping.get(shipping_key(name)) if name.strip() else None
    if seen is not None and seen.shipping_method_id is not None:
        return seen.shipping_method_id, None
    if rules.default_shipping_method_id is not None:
        return rules.default_shipping_method_id, None
    if not name.strip():
        return None, HoldCause(
            HoldReason.UNKNOWN_SHIPPING_METHOD,
            "",
            "The order names no shipping method and the store has no default shipping method",
            "Choose a default shipping method in the store's Shipping settings.",
        )
    return None, HoldCause(
        HoldReason.UNKNOWN_SHIPPING_METHOD,
        shipping_key(name),
        f"Shipping method '{name.strip()}' is not mapped to one of the print shop's shipping methods, and the store "
        "has no default",
        "Map it, or choose a default shipping method, in the store's Shipping settings.",
    )
