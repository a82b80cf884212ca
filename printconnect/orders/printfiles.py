"""Print files (issue 5): created by the intake pipeline for each printable line, downloaded on the `files` queue
through core.http's safe session, checked (type by magic bytes, size limit, checksum, a PDF's pages and page size
against the catalog product's specs), and a bad or missing one holds the order until a replacement passes."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.files import File
from django.db import transaction

from printconnect.core.exceptions import ApplicationError
from printconnect.core.http import (
    OutboundBlockedError,
    OutboundError,
    OutboundRateLimitedError,
    OutboundUnavailableError,
    safe_session_from_settings,
)
from printconnect.orders import print_checks, services
from printconnect.orders.intake import HoldCause
from printconnect.orders.intake import PrintFile as PlannedFile
from printconnect.orders.models import Order, OrderHold, OrderItem, OrderStatusChange, PrintFile

logger = logging.getLogger(__name__)

Status = PrintFile.Status
PRINT_FILE = Order.HoldReason.PRINT_FILE
_CHUNK = 64 * 1024
_HEAD = 16


class RetryLaterError(Exception):
    """The server could not answer now (5xx, timeout, rate limit): the task tries again after `countdown`."""

    def __init__(self, message: str, *, countdown: float) -> None:
        super().__init__(message)
        self.countdown = countdown


def max_bytes() -> int:
    return int(getattr(settings, "PRINT_FILE_MAX_BYTES", 500 * 1024 * 1024))


def max_attempts() -> int:
    return int(getattr(settings, "PRINT_FILE_MAX_ATTEMPTS", 5))


# --- created by the pipeline ----------------------------------------------------------------------------------------


def print_files_add(
    *, groups: Iterable[tuple[Iterable[OrderItem], Sequence[PlannedFile]]], new_items: bool = False
) -> list[PrintFile]:
    """Rows for the planned files of each order's items (one group per order: line ids are unique per order only),
    downloaded once committed; one query to read and one to write, whatever the number of orders. A line that has
    files already (or a replacement a person gave) gets none: re-processing must not fetch the variant's file
    again. new_items: the items were just created, so none has files. Called inside the intake (or re-processing)
    transaction."""
    wanted: list[tuple[OrderItem, str]] = []
    for items, files in groups:
        by_external_id = {item.external_id: item for item in items}
        wanted += [(by_external_id[f.item_external_id], f.url) for f in files if f.item_external_id in by_external_id]
    if not wanted:
        return []
    has_files: set[int] = set()
    if not new_items:
        item_ids = {item.pk for item, _url in wanted}
        has_files = set(PrintFile.objects.filter(item_id__in=item_ids).values_list("item_id", flat=True))
    rows = [PrintFile(item=item, source_url=url) for item, url in wanted if item.pk not in has_files]
    created = PrintFile.objects.bulk_create(rows)
    _queue([row.pk for row in created])
    return created


def _queue(ids: list[int]) -> None:
    if ids and getattr(settings, "PRINT_FILE_DOWNLOADS", True):
        from printconnect.orders.tasks import print_file_download_task

        transaction.on_commit(lambda: [print_file_download_task.delay(pk) for pk in ids])


# --- holds ------------------------------------------------------------------------------------------------------------


def _line_label(item: OrderItem) -> str:
    return f"'{item.title or item.sku or item.external_id}'" + (f" (SKU {item.sku})" if item.sku and item.title else "")


def file_cause(print_file: PrintFile) -> HoldCause:
    item = print_file.item
    if print_file.status == Status.MISMATCH:
        problem = f"The print file of line {_line_label(item)} does not match the product: {print_file.error}"
    elif print_file.status == Status.FAILED:
        problem = f"The print file of line {_line_label(item)} could not be used: {print_file.error}"
    else:
        problem = f"The replacement print file of line {_line_label(item)} is being checked"
    return HoldCause(PRINT_FILE, f"file:{print_file.pk}", problem.rstrip("."), "Replace the file on the held order.")


def print_file_causes(*, items: Iterable[OrderItem], held_keys: set[str]) -> list[HoldCause]:
    """What the order's files hold it for: a bad file, or a replacement not checked yet for a file that held it."""
    causes = []
    for item in items:
        for print_file in item.print_files.all():
            if print_file.is_bad or (print_file.status != Status.OK and f"file:{print_file.pk}" in held_keys):
                causes.append(file_cause(print_file))
    return causes


def items_with_files(items: Iterable[OrderItem]) -> set[str]:
    """Variant keys of lines that have a print file row: the plan's "missing print file" does not apply to them."""
    from printconnect.orders.intake import variant_key

    return {variant_key(item) for item in items if item.print_files.all()}


def _hold_for_file(print_file: PrintFile) -> None:
    """Inside a transaction: a bad file holds its order (received -> on hold), with what differs."""
    order = Order.objects.select_for_update().get(pk=print_file.item.order_id)
    if order.status not in (Order.Status.RECEIVED, Order.Status.ON_HOLD):
        logger.warning("orders.print_file.bad_after_release", extra={"order_id": order.pk, "file_id": print_file.pk})
        return
    cause = file_cause(print_file)
    OrderHold.objects.get_or_create(order=order, store_id=order.store_id, reason=PRINT_FILE, key=cause.key)
    if cause.detail not in order.hold_detail:
        order.hold_detail = f"{order.hold_detail} {cause.detail}".strip()
    if order.status == Order.Status.RECEIVED:
        order.hold_reason = PRINT_FILE
        order.save(update_fields=["hold_reason", "hold_detail", "updated_at"])
        services.order_status_change(
            order=order,
            to_status=Order.Status.ON_HOLD,
            source=OrderStatusChange.Source.PIPELINE,
            actor=None,
            note=f"Held: {cause.detail}",
        )
    else:
        order.save(update_fields=["hold_detail", "updated_at"])
    services.holds_announce(order.store, [cause])


def _release_if_fixed(print_file: PrintFile) -> None:
    """After a file passed: an order held for it is re-processed, and released when nothing else holds it."""
    order = print_file.item.order
    if OrderHold.objects.filter(order=order, reason=PRINT_FILE).exists():
        services.orders_reprocess(store=order.store, order_ids=[order.pk])


# --- download and check -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Checked:
    status: str
    content_type: str
    size: int
    sha256: str
    check_result: str = ""
    error: str = ""
    pages: int | None = None
    width_mm: Any = None
    height_mm: Any = None


def _file_name(url: str) -> str:
    return (unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or "print-file")[:200]


def _check(
    stream: IO[bytes], *, size: int, digest: str, name: str, declared: str, specs: Mapping[str, str]
) -> _Checked:
    stream.seek(0)
    head = stream.read(_HEAD)
    content_type = print_checks.content_type_of(head=head, declared=declared, name=name)
    if content_type != print_checks.PDF:
        return _Checked(Status.OK, content_type, size, digest, check_result="Image file; pages and size not checked.")
    stream.seek(0)
    facts = print_checks.pdf_facts(stream)
    problems = print_checks.pdf_against_specs(facts, specs)
    common = {"pages": facts.pages, "width_mm": facts.width_mm, "height_mm": facts.height_mm}
    if problems:
        text = "; ".join(problems)
        return _Checked(
            Status.MISMATCH, content_type, size, digest, check_result=f"Differs: {text}.", error=text, **common
        )
    return _Checked(
        Status.OK, content_type, size, digest, check_result=print_checks.pdf_summary(facts, specs), **common
    )


def too_big_message(name: str) -> str:
    limit = max_bytes()
    text = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
    return (
        f"'{name}' is larger than the {text} limit for print files. Send a smaller file (e.g. images at 300 dpi, "
        "fonts embedded once)."
    )


def _spool(chunks: Iterable[bytes], tmp: IO[bytes], name: str) -> tuple[int, str]:
    """Write to the temporary file, stopping at the size limit; returns size and sha256."""
    digest, size, limit = hashlib.sha256(), 0, max_bytes()
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise print_checks.FileCheckError(too_big_message(name))
        digest.update(chunk)
        tmp.write(chunk)
    tmp.flush()
    return size, digest.hexdigest()


def print_file_download(*, print_file_id: int) -> PrintFile | None:
    """Download one print file and check it. A 5xx or a timeout raises RetryLaterError (until the attempts run
    out); a 404, a blocked address, a wrong type or a too big file fail at once, with the reason."""
    with transaction.atomic():
        print_file = PrintFile.objects.select_for_update().filter(pk=print_file_id).first()
        if (
            print_file is None
            or print_file.status not in (Status.PENDING, Status.DOWNLOADING)
            or not print_file.source_url
        ):
            return print_file
        print_file.status, print_file.attempts = Status.DOWNLOADING, print_file.attempts + 1
        print_file.save(update_fields=["status", "attempts", "updated_at"])
    url, name = print_file.source_url, _file_name(print_file.source_url)
    with tempfile.TemporaryFile() as tmp:
        try:
            with safe_session_from_settings() as session:
                response = session.get(url, stream=True)
                with response:
                    if response.status_code == 404:
                        raise print_checks.FileCheckError(
                            f"'{name}' was not found at its address (404). Check the design file URL or send the file."
                        )
                    if response.status_code >= 400:
                        raise print_checks.FileCheckError(
                            f"The server refused '{name}' (status {response.status_code}). Make the file reachable or "
                            "send it."
                        )
                    declared_size = response.headers.get("Content-Length", "")
                    if declared_size.isdigit() and int(declared_size) > max_bytes():
                        raise print_checks.FileCheckError(too_big_message(name))
                    size, digest = _spool(response.iter_content(_CHUNK), tmp, name)
                    declared = response.headers.get("Content-Type", "")
            checked = _check(
                tmp, size=size, digest=digest, name=name, declared=declared, specs=print_file.item.print_specs
            )
        except (OutboundUnavailableError, OutboundRateLimitedError) as exc:
            return _retry_or_fail(print_file, str(exc), getattr(exc, "retry_after", None))
        except print_checks.FileCheckError as exc:
            return _finish(print_file, None, error=str(exc))
        except OutboundBlockedError as exc:
            return _finish(print_file, None, error=f"The address of '{name}' is not allowed ({exc}). Send the file.")
        except OutboundError as exc:
            return _retry_or_fail(print_file, str(exc), None)
        return _finish(print_file, checked, stream=tmp, name=name)


def _retry_or_fail(print_file: PrintFile, message: str, retry_after: float | None) -> PrintFile:
    if print_file.attempts >= max_attempts():
        return _finish(print_file, None, error=f"{message} Gave up after {print_file.attempts} attempts.")
    PrintFile.objects.filter(pk=print_file.pk).update(status=Status.PENDING, error=message)
    raise RetryLaterError(message, countdown=retry_after or min(600, 2**print_file.attempts * 5))


def _finish(
    print_file: PrintFile, checked: _Checked | None, *, error: str = "", stream: IO[bytes] | None = None, name: str = ""
) -> PrintFile:
    with transaction.atomic():
        print_file = PrintFile.objects.select_for_update().select_related("item").get(pk=print_file.pk)
        if checked is None:
            print_file.status, print_file.error, print_file.check_result = Status.FAILED, error, ""
        else:
            if stream is not None:
                stream.seek(0)
                print_file.file.save(name, File(stream, name=name), save=False)
                print_file.original_name = name
            print_file.status, print_file.error = checked.status, checked.error
            print_file.size, print_file.content_type, print_file.sha256 = (
                checked.size,
                checked.content_type,
                checked.sha256,
            )
            print_file.page_count, print_file.check_result = checked.pages, checked.check_result
            print_file.page_width_mm, print_file.page_height_mm = checked.width_mm, checked.height_mm
        print_file.save()
        if print_file.is_bad:
            _hold_for_file(print_file)
    logger.info("orders.print_file.checked", extra={"file_id": print_file.pk, "status": print_file.status})
    if print_file.status == Status.OK:
        _release_if_fixed(print_file)
    return print_file


# --- replacing a file -------------------------------------------------------------------------------------------------


def print_file_replace(*, item: OrderItem, actor: Any, url: str = "", upload: Any = None) -> PrintFile:
    """ "Replace file" on a held order's line: a new address (downloaded and checked on the files queue) or an
    upload (checked now). The order is released once the new file passes and nothing else holds it."""
    order = item.order
    if order.status != Order.Status.ON_HOLD:
        raise ApplicationError(f"Order {order.number} is not on hold: its print files can no longer be replaced here.")
    if bool(url) == (upload is not None):
        raise ApplicationError("Give either the new file's address or a file to upload, not both.")
    if item.kind != OrderItem.Kind.PRINTABLE:
        raise ApplicationError(f"Line {_line_label(item)} is not printed, so it needs no print file.")
    files = list(item.print_files.all())
    target = next((f for f in files if f.is_bad), None)
    if target is None and files:
        raise ApplicationError(f"The print file of line {_line_label(item)} is not bad; there is nothing to replace.")
    if upload is not None and upload.size > max_bytes():
        raise ApplicationError(too_big_message(upload.name))
    with transaction.atomic():
        target = target or PrintFile(item=item)
        old = target.file.name if target.file else ""
        target.source_url, target.status, target.attempts = url, Status.PENDING, 0
        target.error = target.check_result = target.sha256 = target.content_type = ""
        target.size = target.page_count = target.page_width_mm = target.page_height_mm = None
        target.file, target.original_name = "", ""
        target.save()
        # The bad file's cause now waits for the replacement (see print_file_causes).
        OrderHold.objects.get_or_create(
            order=order, store_id=order.store_id, reason=PRINT_FILE, key=f"file:{target.pk}"
        )
        if old:
            storage = target.file.storage
            transaction.on_commit(lambda: storage.delete(old))
        if url:
            _queue([target.pk])
    logger.info("orders.print_file.replaced", extra={"file_id": target.pk, "actor_id": getattr(actor, "pk", None)})
    if upload is None:
        return target
    return _store_upload(target, upload)


def _store_upload(print_file: PrintFile, upload: Any) -> PrintFile:
    name = _file_name(upload.name)
    with tempfile.TemporaryFile() as tmp:
        try:
            size, digest = _spool(upload.chunks(), tmp, name)
            checked = _check(
                tmp,
                size=size,
                digest=digest,
                name=name,
                declared=upload.content_type or "",
                specs=print_file.item.print_specs,
            )
        except print_checks.FileCheckError as exc:
            return _finish(print_file, None, error=str(exc))
        return _finish(print_file, checked, stream=tmp, name=name)
