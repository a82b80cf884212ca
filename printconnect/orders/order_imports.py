"""Orders of a manual store imported from a CSV file: one row per order line, rows grouped by order number.

Upload -> check (a dry run: nothing is created; the preview lists the orders and lines the file creates, and every
row error with its row, column and reason) -> confirm: the file is read and checked again (the store may have changed
meanwhile) and every order goes through the intake pipeline (source CSV) in one transaction: all or nothing. An order
number already in the store is a row error (nothing of the file is imported until its rows are removed).
"""

from __future__ import annotations

import csv
import io
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from printconnect.catalog.models import CatalogProduct, ShippingMethod, StoreVariant
from printconnect.catalog.resources import formula_neutralise, formula_restore
from printconnect.catalog.spreadsheets import SpreadsheetError, file_format_detect, header_positions, sheet_open
from printconnect.core.exceptions import ApplicationError
from printconnect.orders import manual
from printconnect.orders.models import Order, OrderImport
from printconnect.orders.services import Ingested, IntakeSource, OrderData, orders_intake_batch, store_rules
from printconnect.storefronts.models import Store

logger = logging.getLogger(__name__)

Status = OrderImport.Status

# The template's columns, in its order. Order-level columns must agree on every row of one order.
ORDER_COLUMNS = (
    "order_number",
    "placed_at",
    "customer_name",
    "customer_email",
    "ship_name",
    "address1",
    "address2",
    "city",
    "postcode",
    "state",
    "country",
    "phone",
    "shipping_method",
    "currency",
)
LINE_COLUMNS = ("sku", "variant_id", "product_uid", "quantity", "design_file_url", "unit_price")
COLUMNS = (*ORDER_COLUMNS, *LINE_COLUMNS)
REQUIRED = ("order_number", "ship_name", "address1", "city", "country", "quantity")
OPTIONAL = tuple(column for column in COLUMNS if column not in REQUIRED)
ERRORS_KEPT = 200
INTAKE_CHUNK = 500  # orders taken in per pipeline batch (a few queries each), all inside the file's one transaction

# One order of two lines: the order's columns repeat on each of its rows.
_TEMPLATE_ORDER = {
    "order_number": "1001",
    "placed_at": "2026-12-01",
    "customer_name": "Ada Lovelace",
    "customer_email": "ada@example.com",
    "ship_name": "Ada Lovelace",
    "address1": "12 Analytical Street",
    "city": "London",
    "postcode": "N1 9GU",
    "country": "GB",
    "phone": "+44 20 7946 0000",  # a spreadsheet would run it as a formula: written as '+44..., read back as typed
    "shipping_method": "Standard parcel",
    "currency": "GBP",
}
TEMPLATE_ROWS = (
    {
        **_TEMPLATE_ORDER,
        "product_uid": "POSTER-A3",
        "quantity": "2",
        "design_file_url": "https://files.example.com/designs/ada-poster.pdf",
        "unit_price": "12.50",
    },
    {**_TEMPLATE_ORDER, "sku": "MUG-WHITE", "quantity": "1", "unit_price": "8.00"},
)


def template_csv() -> bytes:
    """The downloadable template: the header and two example rows (one order of two lines), UTF-8 with a BOM so
    Excel opens it as UTF-8; every cell a spreadsheet would run as a formula is neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in TEMPLATE_ROWS:
        writer.writerow([formula_neutralise(row.get(column, "")) for column in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- reading and checking -----------------------------------------------------------------------------------------


@dataclass
class _Line:
    row: int
    quantity: int
    variant: StoreVariant | None
    uid: str
    design_file_url: str
    unit_price: Decimal | None
    check: manual.LineCheck


@dataclass
class _Order:
    number: str
    row: int
    values: dict[str, str]
    placed_at: datetime
    lines: list[_Line] = field(default_factory=list)
    method: ShippingMethod | None = None


@dataclass
class Checked:
    orders: list[_Order]
    errors: list[dict[str, Any]]
    rows: int

    def error(self, row: int, column: str, reason: str) -> None:
        self.errors.append({"row": row, "column": column, "reason": reason})


def _max_bytes() -> int:
    return int(getattr(settings, "ORDER_IMPORT_MAX_BYTES", 5 * 1024 * 1024))


def _max_rows() -> int:
    return int(getattr(settings, "ORDER_IMPORT_MAX_ROWS", 5000))


def _read(store: Store, fileobj: Any, name: str) -> Checked:
    """Every row checked; SpreadsheetError when the file as a whole cannot be read."""
    file_format = file_format_detect(name=name, head=fileobj.read(8))
    rows: list[tuple[int, dict[str, str]]] = []
    with sheet_open(fileobj, file_format=file_format) as sheet:
        at = header_positions(sheet.headers, required=REQUIRED, optional=OPTIONAL)
        for number, cells in sheet.rows:
            if len(rows) >= _max_rows():
                raise SpreadsheetError(
                    f"The file has more than {_max_rows():,} order lines; split it into smaller files."
                )
            rows.append((number, {c: formula_restore(cells[i]).strip() for c, i in at.items()}))
    if not rows:
        raise SpreadsheetError("The file has its header row but no order lines; fill in one row per order line.")
    return _check(store, rows)


def _check(store: Store, rows: list[tuple[int, dict[str, str]]]) -> Checked:
    checked = Checked(orders=[], errors=[], rows=len(rows))
    variants_by_id, variants_by_sku = _variants(store, rows)
    products = _products(rows)
    methods = _methods(rows)
    rules = store_rules(store=store)
    taken = _numbers_taken(store, {values["order_number"] for _, values in rows})
    orders: dict[str, _Order] = {}
    for number, values in rows:
        order_number = values["order_number"]
        if not order_number:
            checked.error(number, "order_number", "Enter the order number; rows of one order share it.")
            continue
        order = orders.get(order_number)
        if order is None:
            order = _order_start(checked, number, values, taken, methods, rules)
            if order is None:
                orders[order_number] = _Order(order_number, number, values, timezone.now())  # its rows still checked
                orders[order_number].number = ""  # marks it refused
                continue
            orders[order_number] = order
        else:
            _order_agrees(checked, number, values, order)
        line = _line(checked, store, number, values, variants_by_id, variants_by_sku, products)
        if line is not None and order.number:
            order.lines.append(line)
    checked.orders = [order for order in orders.values() if order.number]
    return checked


def _order_start(
    checked: Checked,
    row: int,
    values: dict[str, str],
    taken: set[str],
    methods: dict[str, ShippingMethod],
    rules: Any,
) -> _Order | None:
    number = values["order_number"]
    problems: list[tuple[str, str]] = []
    if len(number) > 64:
        problems.append(("order_number", "An order number has at most 64 characters."))
    elif number.casefold() in taken:
        problems.append(("order_number", f"Order {number} is already in this store; remove its rows from the file."))
    address = _address(values)
    problems += [(_ADDRESS_COLUMNS[f], reason) for f, reason in manual.address_problems(address)]
    email = values.get("customer_email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(("customer_email", f"“{email}” is not an email address."))
    currency = (values.get("currency") or manual.default_currency()).upper()
    if manual.currency_problem(currency):
        problems.append(("currency", manual.currency_problem(currency) or ""))
    placed_at, problem = _placed_at(values.get("placed_at", ""))
    if problem:
        problems.append(("placed_at", problem))
    elif rules.activation_date and placed_at < rules.activation_date:
        problems.append(
            (
                "placed_at",
                f"Order {number} is dated before the store's activation date ({rules.activation_date:%d %b %Y}); "
                "correct the date or ask the print shop to move the activation date back.",
            )
        )
    for column, reason in problems:
        checked.error(row, column, reason)
    if problems:
        return None
    method = methods.get(values.get("shipping_method", "").casefold()) if values.get("shipping_method") else None
    return _Order(number, row, values, placed_at, method=method)


_ADDRESS_COLUMNS = {"name": "ship_name", "line1": "address1", "city": "city", "country": "country"}


def _address(values: dict[str, str]) -> manual.ManualAddress:
    return manual.ManualAddress(
        name=values.get("ship_name", ""),
        line1=values.get("address1", ""),
        line2=values.get("address2", ""),
        city=values.get("city", ""),
        postcode=values.get("postcode", ""),
        state=values.get("state", ""),
        country=values.get("country", ""),
        phone=values.get("phone", ""),
    )


def _placed_at(text: str) -> tuple[datetime, str | None]:
    if not text:
        return timezone.now(), None
    try:
        moment = parse_datetime(text)
        day = None if moment else parse_date(text)
    except ValueError:
        moment = day = None
    if moment is None and day is None:
        return timezone.now(), f"“{text}” is not a date: write it as 2026-12-01 or 2026-12-01 14:30."
    if moment is None:
        moment = datetime.combine(day, time(0, 0), tzinfo=UTC)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    if moment > timezone.now() + timedelta(days=1):
        return moment, f"{text} is in the future; give the date the order was placed, or leave it empty for now."
    return moment, None


def _order_agrees(checked: Checked, row: int, values: dict[str, str], order: _Order) -> None:
    for column in ORDER_COLUMNS[1:]:
        if column in values and values[column] != order.values.get(column, ""):
            checked.error(
                row,
                column,
                f"Row {row} says “{values[column]}” but row {order.row} says “{order.values.get(column, '')}” for "
                f"order {order.number or values['order_number']}: the rows of one order must agree on its "
                "order-level columns (customer, address, shipping, currency, date).",
            )


def _line(
    checked: Checked,
    store: Store,
    row: int,
    values: dict[str, str],
    by_id: dict[str, StoreVariant],
    by_sku: dict[str, list[StoreVariant]],
    products: dict[str, CatalogProduct],
) -> _Line | None:
    errors_before = len(checked.errors)
    quantity_text = values["quantity"]
    quantity = int(quantity_text) if quantity_text.isdigit() else 0
    if not 1 <= quantity <= manual.MAX_QUANTITY:
        checked.error(row, "quantity", f"“{quantity_text}” is not a quantity: a whole number from 1 to 10,000.")
    named = [c for c in ("sku", "variant_id", "product_uid") if values.get(c)]
    variant, uid = None, ""
    if len(named) != 1:
        checked.error(
            row,
            "sku",
            "Name the line's product in exactly one of sku, variant_id (the store's products) or product_uid (the "
            f"catalog){'; this row fills ' + ', '.join(named) if named else ''}.",
        )
    elif named[0] == "variant_id":
        variant = by_id.get(values["variant_id"])
        if variant is None:
            checked.error(row, "variant_id", f"No product of this store has the variant id “{values['variant_id']}”.")
    elif named[0] == "sku":
        found = by_sku.get(values["sku"].casefold(), [])
        if len(found) != 1:
            checked.error(
                row,
                "sku",
                f"No product of this store has the SKU “{values['sku']}”."
                if not found
                else f"{len(found)} products of this store have the SKU “{values['sku']}”; use variant_id instead.",
            )
        else:
            variant = found[0]
    else:
        uid = values["product_uid"]
    url = values.get("design_file_url", "")
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            checked.error(row, "design_file_url", f"“{url[:100]}” is not a web address (https://...).")
    price: Decimal | None = None
    if values.get("unit_price"):
        try:
            price = Decimal(values["unit_price"].replace(",", "."))
        except InvalidOperation:
            price = None
        if price is None or price < 0 or not price.is_finite():
            checked.error(row, "unit_price", f"“{values['unit_price']}” is not a price, e.g. 12.50.")
            price = None
    check = None
    if variant is not None or uid:
        check, problems = manual.line_check(
            store=store, variant=variant, product=products.get(uid.casefold()), uid=uid, has_file=bool(url)
        )
        column = {"product": "variant_id", "uid": "product_uid", "file": "design_file_url"}
        for name, reason in problems:
            checked.error(row, column[name], reason)
    if len(checked.errors) > errors_before or check is None:
        return None
    return _Line(row, quantity, variant, uid, url, price, check)


def _variants(
    store: Store, rows: list[tuple[int, dict[str, str]]]
) -> tuple[dict[str, StoreVariant], dict[str, list[StoreVariant]]]:
    ids = {values.get("variant_id", "") for _, values in rows} - {""}
    skus = {values.get("sku", "").casefold() for _, values in rows} - {""}
    if not ids and not skus:
        return {}, {}
    found = (
        StoreVariant.objects.annotate(sku_key=Lower("sku"))
        .filter(Q(external_id__in=sorted(ids)) | Q(sku_key__in=sorted(skus)), store=store)
        .select_related("product", "catalog_product")
    )
    by_id: dict[str, StoreVariant] = {}
    by_sku: dict[str, list[StoreVariant]] = {}
    for variant in found:
        by_id[variant.external_id] = variant
        if variant.sku:
            by_sku.setdefault(variant.sku.casefold(), []).append(variant)
    return by_id, by_sku


def _products(rows: list[tuple[int, dict[str, str]]]) -> dict[str, CatalogProduct]:
    uids = {values.get("product_uid", "").casefold() for _, values in rows} - {""}
    if not uids:
        return {}
    found = CatalogProduct.objects.annotate(key=Lower("uid")).filter(key__in=sorted(uids))
    return {product.uid.casefold(): product for product in found}


def _methods(rows: list[tuple[int, dict[str, str]]]) -> dict[str, ShippingMethod]:
    """The print shop's active shipping methods the file names, by code or name (any case)."""
    names = {values.get("shipping_method", "").casefold() for _, values in rows} - {""}
    if not names:
        return {}
    found: dict[str, ShippingMethod] = {}
    for method in ShippingMethod.objects.filter(active=True):
        for key in (method.code.casefold(), method.name.casefold()):
            if key in names:
                found.setdefault(key, method)
    return found


def _numbers_taken(store: Store, numbers: Iterable[str]) -> set[str]:
    wanted = sorted({number.casefold() for number in numbers if number})
    taken: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = Order.objects.annotate(key=Lower("external_id")).filter(store=store, key__in=chunk)
        taken |= set(rows.values_list("key", flat=True))
    return taken


def _preview(checked: Checked) -> list[dict[str, Any]]:
    return [
        {
            "number": order.number,
            "row": order.row,
            "customer": order.values.get("customer_name") or order.values.get("ship_name", ""),
            "country": order.values.get("country", "").upper(),
            "shipping": order.method.name if order.method else order.values.get("shipping_method", ""),
            "shipping_note": ""
            if order.method or not order.values.get("shipping_method")
            else "Not one of the print shop's methods: the store's mapping or default applies, else the order is held.",
            "lines": [
                {
                    "row": line.row,
                    "label": line.check.label,
                    "sku": line.check.sku,
                    "quantity": line.quantity,
                    "kind": line.check.kind,
                    "note": line.check.note,
                }
                for line in order.lines
            ],
        }
        for order in checked.orders
    ]


# --- the services -------------------------------------------------------------------------------------------------


def order_imports_for_store(*, store: Store) -> Any:
    return OrderImport.objects.filter(store=store).select_related("created_by", "imported_by")


def order_import_start(*, store: Store, upload: Any, actor: Any) -> OrderImport:
    """Keep the uploaded file and check it (a dry run: nothing else is created). The import is CHECKED when every
    row is fine, REJECTED with its row errors (or the reason the whole file was refused) otherwise."""
    manual.store_require_manual(store)
    name = os.path.basename(upload.name or "orders.csv")[:200]
    limit = _max_bytes()
    if not upload.size:
        raise ApplicationError("The file is empty. Download the template and fill in one row per order line.", "file")
    if upload.size > limit:
        raise ApplicationError(
            f"“{name}” is {upload.size / 1024 / 1024:,.1f} MB; at most {limit / 1024 / 1024:,.0f} MB can be imported "
            "at once. Split the file.",
            field="file",
        )
    row = OrderImport(store=store, created_by=actor, original_name=name, file_size=upload.size)
    upload.seek(0)
    row.file.save(f"store-{store.pk}-{name}", upload, save=False)
    _check_into(row)
    row.save()
    logger.info("orders.import.checked", extra={"import_id": row.pk, "store_id": store.pk, "status": row.status})
    return row


def _check_into(row: OrderImport) -> Checked | None:
    try:
        with row.file.open("rb") as handle:
            checked = _read(row.store, handle, row.original_name)
    except SpreadsheetError as exc:
        row.status, row.message, row.errors, row.preview = Status.REJECTED, exc.message, [], []
        row.rows_total = row.orders_count = row.lines_count = 0
        return None
    row.rows_total = checked.rows
    row.orders_count = len(checked.orders)
    row.lines_count = sum(len(order.lines) for order in checked.orders)
    row.errors = checked.errors[:ERRORS_KEPT]
    row.preview = _preview(checked)
    row.message = ""
    row.status = Status.REJECTED if checked.errors else Status.CHECKED
    return checked


def order_import_confirm(*, order_import: OrderImport, actor: Any) -> OrderImport:
    """Import every order of a checked file, all or nothing: the file is checked again first (an order number taken
    meanwhile, a product gone), then all orders go through the pipeline in one transaction; if any is refused,
    nothing is imported and the import shows why."""
    with transaction.atomic():
        row = OrderImport.objects.select_for_update().select_related("store").get(pk=order_import.pk)
        if row.status != Status.CHECKED:
            raise ApplicationError(
                f"This import is {row.get_status_display().lower()}; only a checked file without errors is imported. "
                "Upload the corrected file."
            )
        manual.store_lock(row.store)
        checked = _check_into(row)
        if checked is None or checked.errors:
            row.save()
            return row
        try:
            with transaction.atomic():
                datas = [_order_data(row.store, order) for order in checked.orders]
                for start in range(0, len(datas), INTAKE_CHUNK):
                    chunk = datas[start : start + INTAKE_CHUNK]
                    results = orders_intake_batch(store=row.store, orders=chunk, source=IntakeSource.CSV)
                    _refuse_unless_created(chunk, results)
        except ApplicationError as exc:
            row.status = Status.REJECTED
            row.message = f"Nothing was imported: {exc.message}"
            row.save()
            return row
        row.status, row.imported_at, row.imported_by = Status.IMPORTED, timezone.now(), actor
        row.orders_created = len(checked.orders)
        row.save()
    logger.info("orders.import.imported", extra={"import_id": row.pk, "orders": row.orders_created})
    return row


def _refuse_unless_created(datas: list[OrderData], results: list[Any]) -> None:
    """All or nothing: an order the pipeline did not create (a rule skipped it, it exists) rolls the file back."""
    for data, result in zip(datas, results, strict=True):
        if result.outcome != Ingested.CREATED:
            reason = result.verdict.message if result.verdict else f"Order {data.number} is already in this store."
            raise ApplicationError(reason)


def order_import_discard(*, order_import: OrderImport, actor: Any) -> OrderImport:
    if order_import.status == Status.IMPORTED:
        raise ApplicationError("This file was imported; its orders are cancelled on their own pages, if need be.")
    order_import.status = Status.DISCARDED
    order_import.save(update_fields=["status", "updated_at"])
    return order_import


def _order_data(store: Store, order: _Order) -> OrderData:
    values = order.values
    lines = tuple(
        manual.line_data(
            index,
            manual.ManualLine(
                quantity=line.quantity,
                variant=line.variant,
                catalog_uid=line.uid,
                design_file_url=line.design_file_url,
                unit_price=line.unit_price,
            ),
        )
        for index, line in enumerate(order.lines, start=1)
    )
    total = sum((line.unit_price * line.quantity for line in order.lines if line.unit_price), Decimal("0"))
    return OrderData(
        external_id=order.number,
        number=order.number,
        store_status="processing",
        financial_status="paid",
        placed_at=order.placed_at,
        currency=(values.get("currency") or manual.default_currency()).upper(),
        total=total,
        lines=lines,
        customer_name=values.get("customer_name") or values.get("ship_name", ""),
        customer_email=values.get("customer_email", ""),
        shipping_address=_address(values).as_dict(),
        shipping_method=values.get("shipping_method", ""),
        fulfilment_channel=store_rules(store=store).fulfilment,
        psp_shipping_method_id=order.method.pk if order.method else None,
    )
