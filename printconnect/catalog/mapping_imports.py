"""Bulk mapping: a client uploads the filled-in product export; printconnect checks it (dry run), shows what would
change, and applies it when the client confirms.

Rules a client can rely on (also written on the Bulk operations page):
- A row is found by its "Variant ID" within this store only; an id of another store or client is a row error.
- "Product UID" filled: the variant is connected to that (active) catalog product. Empty: the row is left as it
  is, so a file may list variants nobody wants to touch. A single "-": the variant is disconnected.
- "Design file URL" replaces the current one on rows with a Product UID (empty clears it). Without that column
  in the file, design files stay as they are.
- "all or nothing" (default) applies nothing while any row has an error; "apply valid rows" skips those rows.

The check and the apply both read the stored file in batches (one query for the batch's variants, one for its
product UIDs) and save progress after every batch, so a reload of the page shows how far it got. The apply
re-checks the file (the store or catalog may have changed since the preview), then writes every change in one
transaction.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from printconnect.catalog import selectors
from printconnect.catalog.models import CatalogProduct, MappingImport, StoreVariant
from printconnect.catalog.resources import CLEAR_MARK, COL_DESIGN_URL, COL_UID, COL_VARIANT_ID, formula_restore
from printconnect.catalog.services import catalog_uid_clean, design_file_url_clean, variant_mappings_announce
from printconnect.catalog.spreadsheets import Sheet, SpreadsheetError, file_format_detect, header_positions, sheet_open
from printconnect.core import permissions as perms
from printconnect.core.exceptions import ApplicationError
from printconnect.core.models import User
from printconnect.storefronts import selectors as store_selectors
from printconnect.storefronts.models import Store

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000  # rows per lookup, per progress save and per bulk_update
REQUIRED_COLUMNS = (COL_VARIANT_ID, COL_UID)
OPTIONAL_COLUMNS = (COL_DESIGN_URL,)
# A check or apply saves its progress after every batch (seconds apart); one silent for this long lost its worker.
STALE_AFTER = timedelta(minutes=10)

Status = MappingImport.Status


# --- reads -----------------------------------------------------------------------------------------------------------


def mapping_imports_for_user(*, user: User, client: Any, perm: str = perms.VIEW_STORE_PRODUCTS) -> QuerySet:
    """Imports of the client's stores on which the user holds `perm` (another client's import: not found)."""
    stores = store_selectors.stores_for_user(user=user, perm=perm).filter(client=client)
    return MappingImport.objects.filter(store__in=stores).select_related("store", "created_by", "applied_by")


def mapping_imports_for_store(*, store: Store) -> QuerySet:
    return (
        MappingImport.objects.filter(store=store)
        .select_related("created_by", "applied_by")
        .order_by("-created_at", "-pk")
    )


# --- start, confirm, discard (web requests) ------------------------------------------------------------------------


def mapping_import_start(*, store: Store, upload: UploadedFile, mode: str, actor: User | None) -> MappingImport:
    """Keep the uploaded file and queue its check. Refuses at once what can be told without reading it (size,
    type); everything else is found by the check and shown on the import's page."""
    limit = settings.MAPPING_IMPORT_MAX_BYTES
    name = os.path.basename(upload.name or "upload")[:200]
    if upload.size is None or upload.size == 0:
        raise ApplicationError("The file is empty. Upload the filled-in export of this store.", field="file")
    if upload.size > limit:
        raise ApplicationError(
            f"“{name}” is {upload.size / 1024 / 1024:,.1f} MB; at most {limit / 1024 / 1024:,.0f} MB can be "
            "imported. Split the file, or leave out rows you did not change.",
            field="file",
        )
    if mode not in MappingImport.Mode.values:
        raise ApplicationError("Choose “all or nothing” or “apply valid rows”.", field="mode")
    upload.seek(0)
    file_format = file_format_detect(name=name, head=upload.read(8))
    upload.seek(0)
    with transaction.atomic():
        row = MappingImport(
            store=store,
            created_by=actor,
            original_name=name,
            file_size=upload.size,
            file_format=file_format,
            mode=mode,
            status=Status.CHECKING,
        )
        row.file.save(f"store-{store.pk}-{name}", upload, save=False)
        row.save()
        transaction.on_commit(lambda: _queue("check", row))
    return row


def mapping_import_confirm(*, mapping_import: MappingImport, mode: str, actor: User | None) -> MappingImport:
    """Queue the apply of a checked import in the chosen mode."""
    if mode not in MappingImport.Mode.values:
        raise ApplicationError("Choose “all or nothing” or “apply valid rows”.", field="mode")
    with transaction.atomic():
        row = MappingImport.objects.select_for_update().get(pk=mapping_import.pk)
        if row.status != Status.CHECKED:
            raise ApplicationError(
                f"This import is {row.get_status_display().lower()}; only a checked one can be applied."
            )
        if mode == MappingImport.Mode.ALL_OR_NOTHING and row.rows_error:
            raise ApplicationError(
                f"{row.rows_error:,} row(s) have errors, so “all or nothing” would apply nothing. Fix them and upload "
                "the file again, or choose “apply valid rows”."
            )
        row.mode, row.status, row.applied_by = mode, Status.APPLYING, actor
        row.rows_done, row.message = 0, ""
        row.save(update_fields=["mode", "status", "applied_by", "rows_done", "message", "updated_at"])
        transaction.on_commit(lambda: _queue("apply", row))
    return row


def mapping_import_discard(*, mapping_import: MappingImport, actor: User | None) -> MappingImport:
    with transaction.atomic():
        row = MappingImport.objects.select_for_update().get(pk=mapping_import.pk)
        if row.status != Status.CHECKED:
            raise ApplicationError(
                f"This import is {row.get_status_display().lower()}; only a checked one can be discarded."
            )
        row.status = Status.DISCARDED
        row.message = f"Discarded by {actor.display_name if actor else 'printconnect'}; nothing was changed."
        row.save(update_fields=["status", "message", "updated_at"])
    return row


def mapping_import_stale_close(*, mapping_import: MappingImport) -> MappingImport:
    """A check or apply that stopped reporting progress (its worker was killed) is closed as failed, so the page
    stops showing it as running. An apply writes in one transaction, so a dead one changed nothing."""
    cutoff = timezone.now() - STALE_AFTER
    if not mapping_import.is_running or mapping_import.updated_at >= cutoff:
        return mapping_import
    step = "check" if mapping_import.status == Status.CHECKING else "apply"
    message = (
        f"The {step} stopped without finishing (no progress since {mapping_import.updated_at:%d %b %Y %H:%M} UTC); "
        "nothing was changed. Upload the file again."
    )
    updated = MappingImport.objects.filter(
        pk=mapping_import.pk, status=mapping_import.status, updated_at__lt=cutoff
    ).update(status=Status.FAILED, message=message, updated_at=timezone.now())
    if updated:
        mapping_import.refresh_from_db()
    return mapping_import


def _queue(step: str, row: MappingImport) -> None:
    from printconnect.catalog import tasks  # tasks import this module

    task = tasks.mapping_import_check_task if step == "check" else tasks.mapping_import_apply_task
    result = task.delay(row.pk)
    MappingImport.objects.filter(pk=row.pk, task_id="").update(task_id=result.id or "")


# --- check and apply (Celery tasks) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Current:
    """What a variant is mapped to now (plain values: model instances cost more than the check itself)."""

    pk: int
    catalog_product_id: int | None
    design_file_url: str


@dataclass
class _Change:
    variant_id: int
    catalog_product_id: int | None
    design_file_url: str
    clear: bool = False


@dataclass
class _Outcome:
    create: int = 0
    update: int = 0
    unchanged: int = 0
    error: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    changes: list[_Change] = field(default_factory=list)
    rows: int = 0

    def fail(self, row: int, column: str, reason: str) -> None:
        self.error += 1
        if len(self.errors) < MappingImport.ERRORS_KEPT:
            self.errors.append({"row": row, "column": column, "reason": reason})


def mapping_import_check(*, mapping_import: MappingImport) -> MappingImport:
    """The dry run: classify every row (create / update / unchanged / error) and save the counts and errors."""
    row = mapping_import
    try:
        outcome = _read_and_check(row, keep_changes=False)
    except SpreadsheetError as exc:
        return _close(row, status=Status.REJECTED, message=exc.message)
    _save_counts(row, outcome)
    row.status, row.checked_at, row.message = Status.CHECKED, timezone.now(), ""
    if not outcome.rows:
        row.status = Status.REJECTED
        row.message = "The file holds the column headers but no rows. Fill in the export's rows and upload it again."
    row.save()
    return row


def mapping_import_apply(*, mapping_import: MappingImport) -> MappingImport:
    """Re-check the stored file and write its valid rows, all in one transaction; under "all or nothing" nothing is
    written when any row has an error. Tells orders held for these variants afterwards."""
    row = mapping_import
    try:
        outcome = _read_and_check(row, keep_changes=True)
    except SpreadsheetError as exc:
        return _close(row, status=Status.REJECTED, message=exc.message)
    _save_counts(row, outcome)
    if row.mode == MappingImport.Mode.ALL_OR_NOTHING and outcome.error:
        row.status = Status.REJECTED
        row.message = (
            f"Nothing was applied: {outcome.error:,} row(s) have errors and the mode is “all or nothing”. Fix them "
            "and upload the file again, or confirm with “apply valid rows”."
        )
        row.save()
        return row
    now = timezone.now()
    changed_ids = [change.variant_id for change in outcome.changes]
    with transaction.atomic():
        for start in range(0, len(outcome.changes), BATCH_SIZE):
            _variants_write(outcome.changes[start : start + BATCH_SIZE], now)
        # Print-spec settings belong to a connection: a disconnected variant starts afresh.
        cleared = [change.variant_id for change in outcome.changes if change.clear]
        for start in range(0, len(cleared), BATCH_SIZE):
            StoreVariant.objects.filter(pk__in=cleared[start : start + BATCH_SIZE]).update(
                print_spec_overrides={}, attribute_specs={}
            )
        row.status, row.applied_at = Status.APPLIED, now
        skipped = f" {outcome.error:,} row(s) with errors were skipped." if outcome.error else ""
        row.message = f"{len(changed_ids):,} variant(s) changed.{skipped}"
        row.save()
    held = variant_mappings_announce(store=row.store, variant_ids=changed_ids)
    if held:
        row.message += f" {held:,} held order(s) contain these variants and are processed again."
        row.save(update_fields=["message", "updated_at"])
    return row


def mapping_import_fail(*, mapping_import: MappingImport, message: str) -> MappingImport:
    return _close(mapping_import, status=Status.FAILED, message=message)


def _close(row: MappingImport, *, status: str, message: str) -> MappingImport:
    row.status, row.message = status, message
    row.save(update_fields=["status", "message", "updated_at"])
    return row


def _save_counts(row: MappingImport, outcome: _Outcome) -> None:
    row.rows_total = row.rows_done = outcome.rows
    row.rows_create, row.rows_update, row.rows_unchanged = outcome.create, outcome.update, outcome.unchanged
    row.rows_error, row.errors = outcome.error, outcome.errors


def _variants_write(changes: list[_Change], now: Any) -> None:
    """Write a batch of mappings. bulk_update's CASE WHEN costs time growing with the square of the batch (17 s
    for 10,000 rows on SQLite); instead PostgreSQL gets one UPDATE ... FROM (VALUES ...) per batch, and SQLite
    (whose VALUES cannot name columns) one prepared UPDATE run for every row (executemany)."""
    meta, quote = StoreVariant._meta, connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    product, url, mapped, updated = (
        quote(meta.get_field(name).column) for name in ("catalog_product", "design_file_url", "mapped_at", "updated_at")
    )
    at = meta.get_field("mapped_at").get_db_prep_value(now, connection)
    rows = [(c.variant_id, c.catalog_product_id, c.design_file_url, None if c.clear else at) for c in changes]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(["(%s::bigint, %s::bigint, %s::text, %s::timestamptz)"] * len(rows))
            cursor.execute(
                f"UPDATE {table} AS t SET {product} = v.product, {url} = v.url, {mapped} = v.mapped, "  # noqa: S608
                f"{updated} = %s FROM (VALUES {values}) AS v(id, product, url, mapped) WHERE t.{pk} = v.id",
                [at, *(value for row in rows for value in row)],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET {product} = %s, {url} = %s, {mapped} = %s, {updated} = %s WHERE {pk} = %s",  # noqa: S608
                [(product_id, text, mapped_at, at, pk_value) for pk_value, product_id, text, mapped_at in rows],
            )


def _read_and_check(row: MappingImport, *, keep_changes: bool) -> _Outcome:
    outcome = _Outcome()
    with row.file.open("rb") as handle, sheet_open(handle, file_format=row.file_format) as sheet:
        positions = header_positions(sheet.headers, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
        _progress(row, done=0, total=sheet.rows_estimate)
        seen: dict[str, int] = {}
        for batch in _batches(sheet):
            _check_batch(row.store, batch, positions, seen, outcome, keep_changes=keep_changes)
            outcome.rows += len(batch)
            _progress(row, done=outcome.rows, total=max(sheet.rows_estimate, outcome.rows))
    return outcome


def _batches(sheet: Sheet) -> Iterator[list[tuple[int, list[str]]]]:
    batch: list[tuple[int, list[str]]] = []
    for item in sheet.rows:
        batch.append(item)
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def _progress(row: MappingImport, *, done: int, total: int) -> None:
    # An UPDATE of its own, committed at once (no transaction is open here), so the polling page sees it.
    row.rows_done, row.rows_total = done, total
    MappingImport.objects.filter(pk=row.pk).update(rows_done=done, rows_total=total, updated_at=timezone.now())


def _products_by_uid(uids: set[str]) -> tuple[dict[str, CatalogProduct], set[str]]:
    """Active products by lower-case UID (one query), and which of the others exist but are deactivated (a second
    query only when some UID was not found)."""
    found = selectors.catalog_products_by_uid(uids)
    missing = {uid.lower() for uid in uids} - set(found)
    inactive: set[str] = set()
    if missing:
        inactive = set(
            CatalogProduct.objects.annotate(uid_lower=Lower("uid"))
            .filter(uid_lower__in=missing, active=False)
            .values_list("uid_lower", flat=True)
        )
    return found, inactive


def _check_batch(
    store: Store,
    batch: list[tuple[int, list[str]]],
    positions: dict[str, int],
    seen: dict[str, int],
    outcome: _Outcome,
    *,
    keep_changes: bool,
) -> None:
    at_variant, at_uid = positions[COL_VARIANT_ID], positions[COL_UID]
    at_url = positions.get(COL_DESIGN_URL)
    parsed = []
    for number, cells in batch:
        uid = formula_restore(cells[at_uid])
        url = formula_restore(cells[at_url]) if at_url is not None else None
        parsed.append((number, formula_restore(cells[at_variant]), uid, url))
    variant_ids = {variant_id for _, variant_id, _, _ in parsed if variant_id}
    variants = {
        external_id: _Current(pk, catalog_product_id, design_file_url)
        for external_id, pk, catalog_product_id, design_file_url in StoreVariant.objects.filter(
            store=store, external_id__in=variant_ids
        )
        .order_by()
        .values_list("external_id", "pk", "catalog_product_id", "design_file_url")
    }
    uids = {uid for _, _, uid, _ in parsed if uid and uid != CLEAR_MARK}
    products, inactive = _products_by_uid(uids)

    for number, variant_id, uid, url in parsed:
        if not variant_id:
            outcome.fail(number, COL_VARIANT_ID, "The variant id is missing; copy the row from a fresh export.")
            continue
        if variant_id in seen:
            outcome.fail(
                number,
                COL_VARIANT_ID,
                f"Variant {variant_id} is also on row {seen[variant_id]}; keep one row per variant.",
            )
            continue
        seen[variant_id] = number
        variant = variants.get(variant_id)
        if variant is None:
            outcome.fail(
                number, COL_VARIANT_ID, f"No variant {variant_id} in this store: rows of other stores are not imported."
            )
            continue
        change = _row_change(number, variant, uid, url, products, inactive, outcome)
        if change is None:
            continue
        if change == "unchanged":
            outcome.unchanged += 1
            continue
        if variant.catalog_product_id is None:
            outcome.create += 1
        else:
            outcome.update += 1
        if keep_changes:
            outcome.changes.append(change)


def _row_change(
    number: int,
    variant: _Current,
    uid: str,
    url: str | None,
    products: dict[str, CatalogProduct],
    inactive: set[str],
    outcome: _Outcome,
) -> _Change | str | None:
    """What the row asks for: a _Change, "unchanged", or None after recording its error."""
    if uid == CLEAR_MARK:
        if variant.catalog_product_id is None and not variant.design_file_url:
            return "unchanged"
        return _Change(variant.pk, None, "", clear=True)
    if not uid:
        if url and url != variant.design_file_url:
            outcome.fail(
                number,
                COL_UID,
                "A design file URL needs a Product UID on the same row (or put - to disconnect the variant).",
            )
            return None
        return "unchanged"
    try:
        catalog_uid_clean(uid)
    except ApplicationError as exc:
        outcome.fail(number, COL_UID, exc.message)
        return None
    product = products.get(uid.lower())
    if product is None:
        if uid.lower() in inactive:
            outcome.fail(number, COL_UID, f"Product UID {uid} is deactivated in the catalog; choose an active product.")
        else:
            outcome.fail(number, COL_UID, f"Unknown Product UID {uid}: check it against the print shop's catalog.")
        return None
    new_url = variant.design_file_url
    if url is not None:
        try:
            new_url = design_file_url_clean(url)
        except ApplicationError as exc:
            outcome.fail(number, COL_DESIGN_URL, exc.message)
            return None
    if product.pk == variant.catalog_product_id and new_url == variant.design_file_url:
        return "unchanged"
    return _Change(variant.pk, product.pk, new_url)
