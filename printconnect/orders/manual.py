"""Orders of a manual store placed by a person ("Place order"): checked here, then taken in by the same intake
pipeline as every other source (services.order_intake, source MANUAL). The CSV import (order_imports) shares the
checks of a line, an address and a currency."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from printconnect.catalog.models import CatalogProduct, ShippingMethod, StoreVariant
from printconnect.core.countries import COUNTRY_NAMES
from printconnect.core.exceptions import ApplicationError
from printconnect.orders import printfiles
from printconnect.orders.models import Order, OrderItem
from printconnect.orders.services import (
    Ingested,
    IntakeSource,
    OrderData,
    OrderLineData,
    order_intake,
    store_rules,
    variant_label,
)
from printconnect.storefronts.models import Store

logger = logging.getLogger(__name__)

# The currencies a manual order may be in (ISO 4217); the default is settings.MANUAL_ORDER_DEFAULT_CURRENCY.
CURRENCIES = ("EUR", "GBP", "USD", "CHF", "SEK", "DKK", "NOK", "PLN", "CZK", "HUF", "CAD", "AUD", "NZD", "JPY")
MAX_QUANTITY = 10_000
MAX_LINES = 100
NUMBER_PREFIX = "M-"


def default_currency() -> str:
    return str(getattr(settings, "MANUAL_ORDER_DEFAULT_CURRENCY", "EUR")).upper()


def store_require_manual(store: Store) -> None:
    if store.platform != Store.Platform.MANUAL:
        raise ApplicationError(
            f"{store.name} is a {store.get_platform_display()} store: its orders come from the store itself. Orders "
            "are placed by hand or imported from CSV in manual stores only."
        )


@dataclass(frozen=True)
class ManualLine:
    """One line: a store product variant of the store, or a catalog product by UID; a file URL or an upload."""

    quantity: int
    variant: StoreVariant | None = None
    catalog_uid: str = ""
    design_file_url: str = ""
    upload: Any = None
    unit_price: Decimal | None = None


@dataclass(frozen=True)
class ManualAddress:
    name: str
    line1: str
    city: str
    country: str
    line2: str = ""
    postcode: str = ""
    state: str = ""
    phone: str = ""
    company: str = ""

    def as_dict(self) -> dict[str, str]:
        """The keys every connector's orders use (integrations' Address)."""
        first, _, last = self.name.strip().partition(" ")
        return {
            "country": self.country.upper(),
            "first_name": first,
            "last_name": last,
            "company": self.company,
            "line1": self.line1,
            "line2": self.line2,
            "city": self.city,
            "region": self.state,
            "postal_code": self.postcode,
            "phone": self.phone,
        }


def address_problems(address: ManualAddress) -> list[tuple[str, str]]:
    """(field, reason) for each missing or wrong part of a shipping address."""
    problems = [
        (name, f"Enter the {label}.")
        for name, label in (("name", "recipient's name"), ("line1", "street address"), ("city", "city"))
        if not getattr(address, name).strip()
    ]
    if address.country.upper() not in COUNTRY_NAMES:
        problems.append(
            ("country", f"“{address.country}” is not a country code: use the two-letter ISO code, e.g. DE, GB, US.")
            if address.country
            else ("country", "Choose the country.")
        )
    return problems


def currency_problem(currency: str) -> str | None:
    if currency.upper() in CURRENCIES:
        return None
    return f"“{currency}” is not a currency taken here; use one of {', '.join(CURRENCIES)}."


@dataclass(frozen=True)
class LineCheck:
    """A checked line: what it names, and what the pipeline will do with it that the person should know."""

    label: str
    sku: str
    kind: str  # printable / stock / unmapped (held)
    note: str = ""


def line_check(
    *, store: Store, variant: StoreVariant | None, product: CatalogProduct | None, uid: str, has_file: bool
) -> tuple[LineCheck | None, list[tuple[str, str]]]:
    """Check one line against the store and the catalog: (the line, None when refused; [(field, reason)])."""
    if variant is not None:
        if variant.store_id != store.pk:
            return None, [("product", "This product is not one of this store's products; pick one from the list.")]
        label = variant_label(variant)
        mapped = variant.catalog_product
        if mapped is None:
            note = "Not connected to a catalog product: the order is held until it is (store's Products tab)."
            return LineCheck(label, variant.sku, "unmapped", note), []
        if mapped.kind == CatalogProduct.Kind.STOCK or variant.product.product_type == "stock":
            if has_file:
                return None, [("file", "This product comes from stock and needs no print file; leave it empty.")]
            return LineCheck(label, variant.sku, "stock"), []
        if variant.design_file_url and has_file:
            return None, [
                (
                    "file",
                    "This product has its own design file (set in the store's Products tab), which is printed; "
                    "leave the line's file empty, or order the catalog product by its UID with this file.",
                )
            ]
        if not variant.design_file_url and not has_file:
            return None, [("file", "This product has no design file of its own: give the line a file URL or upload.")]
        return LineCheck(label, variant.sku, "printable"), []
    if not uid:
        return None, [("product", "Choose a product of the store or enter a catalog product UID.")]
    if product is None:
        return None, [("uid", f"No catalog product has the UID “{uid}”; check it in the print shop's catalog.")]
    if not product.active:
        return None, [("uid", f"Catalog product {product.uid} is inactive; ask the print shop or pick another one.")]
    if product.kind == CatalogProduct.Kind.STOCK:
        if has_file:
            return None, [("file", f"{product.uid} is a stock item and needs no print file; leave it empty.")]
        return LineCheck(product.name, product.uid, "stock"), []
    if not has_file:
        return None, [("file", f"{product.uid} is printed: give the line a design file URL or upload the file.")]
    return LineCheck(product.name, product.uid, "printable"), []


def order_number_next(*, store: Store) -> str:
    """The next free "M-000123" of the store. Call with the store row locked (placements then run one at a time)."""
    count = Order.objects.filter(store=store).count()
    while True:
        count += 1
        number = f"{NUMBER_PREFIX}{count:06d}"
        if not Order.objects.filter(store=store, external_id=number).exists():
            return number


def order_number_problem(*, store: Store, number: str) -> str | None:
    if len(number) > 64:
        return "An order number has at most 64 characters."
    if Order.objects.filter(store=store, external_id=number).exists():
        return f"Order {number} is already in this store; give another number or leave it empty for the next one."
    return None


def store_lock(store: Store) -> None:
    """Inside a transaction: manual placements and imports of one store run one at a time (order numbers)."""
    Store.objects.select_for_update().filter(pk=store.pk).first()


def intake_or_refuse(*, store: Store, data: OrderData, source: str) -> Order:
    """Take one new order in through the pipeline; refuse (ApplicationError, rolled back by the caller's
    transaction) when the pipeline did not create it."""
    result = order_intake(store=store, data=data, source=source)
    if result.outcome != Ingested.CREATED or result.order is None:
        reason = result.verdict.message if result.verdict else f"Order {data.number} is already in this store."
        raise ApplicationError(reason)
    return result.order


def manual_order_place(
    *,
    store: Store,
    lines: list[ManualLine],
    address: ManualAddress,
    customer_name: str,
    customer_email: str = "",
    shipping_method: ShippingMethod | None = None,
    currency: str = "",
    number: str = "",
    actor: Any,
) -> Order:
    """Place an order in a manual store through the intake pipeline: received, or on hold with what to fix (an
    unmapped product, no shipping method). Refused, creating nothing, when a line, the address, the currency or the
    order number is wrong; the error names the field (lines-<n>-<field> for a line)."""
    store_require_manual(store)
    currency = (currency or default_currency()).upper()
    _refuse_first(_place_problems(store, lines, address, currency, shipping_method))
    number = number.strip()
    now = timezone.now()
    with transaction.atomic():
        store_lock(store)
        if number:
            problem = order_number_problem(store=store, number=number)
            if problem:
                raise ApplicationError(problem, field="number")
        else:
            number = order_number_next(store=store)
        order_lines = tuple(line_data(index, line) for index, line in enumerate(lines, start=1))
        total = sum((line.unit_price * line.quantity for line in lines if line.unit_price is not None), Decimal("0"))
        data = OrderData(
            external_id=number,
            number=number,
            store_status="processing",
            financial_status="paid",
            placed_at=now,
            currency=currency,
            total=total,
            lines=order_lines,
            customer_name=customer_name.strip() or address.name.strip(),
            customer_email=customer_email.strip(),
            shipping_address=address.as_dict(),
            shipping_method=shipping_method.name if shipping_method else "",
            fulfilment_channel=store_rules(store=store).fulfilment,
            psp_shipping_method_id=shipping_method.pk if shipping_method else None,
        )
        order = intake_or_refuse(store=store, data=data, source=IntakeSource.MANUAL)
        _uploads_attach(order, lines, actor)
    logger.info(
        "orders.manual.placed",
        extra={"store_id": store.pk, "order_id": order.pk, "actor_id": getattr(actor, "pk", None)},
    )
    order.refresh_from_db()
    return order


def _refuse_first(problems: list[tuple[str, str]]) -> None:
    if problems:
        field, reason = problems[0]
        raise ApplicationError(reason, field=field)


def _place_problems(
    store: Store, lines: list[ManualLine], address: ManualAddress, currency: str, method: ShippingMethod | None
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not lines:
        problems.append(("lines", "Add at least one line: a product and its quantity."))
    if len(lines) > MAX_LINES:
        problems.append(("lines", f"An order has at most {MAX_LINES} lines; import larger orders from CSV."))
    uids = {line.catalog_uid.strip() for line in lines if line.variant is None and line.catalog_uid.strip()}
    products = {p.uid.casefold(): p for p in CatalogProduct.objects.filter(uid__in=uids)} if uids else {}
    if uids and len(products) < len(uids):  # a UID typed in another case than the catalog's
        for uid in uids:
            if uid.casefold() not in products:
                found = CatalogProduct.objects.filter(uid__iexact=uid).first()
                if found is not None:
                    products[uid.casefold()] = found
    for index, line in enumerate(lines):
        prefix = f"lines-{index}-"
        if not 1 <= line.quantity <= MAX_QUANTITY:
            problems.append((f"{prefix}quantity", f"Line {index + 1}: enter a quantity from 1 to {MAX_QUANTITY:,}."))
        if line.design_file_url and line.upload is not None:
            problems.append((f"{prefix}design_file_url", f"Line {index + 1}: give a file URL or an upload, not both."))
        if line.upload is not None and line.upload.size > printfiles.max_bytes():
            problems.append((f"{prefix}upload", f"Line {index + 1}: {printfiles.too_big_message(line.upload.name)}"))
        uid = line.catalog_uid.strip()
        _check, found = line_check(
            store=store,
            variant=line.variant,
            product=products.get(uid.casefold()),
            uid=uid,
            has_file=bool(line.design_file_url or line.upload is not None),
        )
        field_names = {"product": "variant", "uid": "catalog_uid", "file": "design_file_url"}
        problems += [(f"{prefix}{field_names[f]}", f"Line {index + 1}: {reason}") for f, reason in found]
    problems += [(f"ship_{field}", reason) for field, reason in address_problems(address)]
    problem = currency_problem(currency)
    if problem:
        problems.append(("currency", problem))
    if method is not None and not method.active:
        problems.append(("shipping_method", f"{method.name} is no longer offered; choose another shipping method."))
    return problems


def line_data(index: int, line: ManualLine) -> OrderLineData:
    urls = (line.design_file_url,) if line.design_file_url else ()
    if line.variant is not None:
        variant = line.variant
        return OrderLineData(
            external_id=str(index),
            quantity=line.quantity,
            title=variant.product.title,
            sku=variant.sku,
            external_product_id=variant.product.external_id,
            external_variant_id="" if variant.is_product_itself else variant.external_id,
            attributes=dict(variant.attributes or {}),
            print_file_urls=urls,
            product_type=variant.product.product_type,
        )
    uid = line.catalog_uid.strip()
    return OrderLineData(
        external_id=str(index),
        quantity=line.quantity,
        title=uid,
        sku=uid,
        external_product_id=f"uid:{uid}",
        print_file_urls=urls,
        catalog_uid=uid,
    )


def _uploads_attach(order: Order, lines: list[ManualLine], actor: Any) -> None:
    """An uploaded file becomes its line's print file, checked now (the same path as "Replace file"); the order was
    held for the missing file and is released once the file passes and nothing else holds it."""
    uploads = {str(index): line.upload for index, line in enumerate(lines, start=1) if line.upload is not None}
    if not uploads:
        return
    for item in OrderItem.objects.filter(order=order, external_id__in=list(uploads)).select_related("order"):
        if item.kind == OrderItem.Kind.PRINTABLE and item.order.status == Order.Status.ON_HOLD:
            printfiles.print_file_replace(item=item, actor=actor, upload=uploads[item.external_id])
            item.order.refresh_from_db()
