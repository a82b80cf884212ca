"""Celery tasks of the catalog: the check (dry run) and the apply of a bulk mapping import, on the `files` queue.

Thin: fetch the row, call the service. Both steps are safe to run again when a worker dies mid-way (the check
writes only counts; the apply writes in one transaction), so they are acknowledged late and put back on worker
loss. Anything unexpected is logged and closes the import as failed with a message instead of leaving it
"running".
"""

from __future__ import annotations

from celery import shared_task
from celery.utils.log import get_task_logger

logger = get_task_logger(__name__)


def _run(mapping_import_id: int, step: str) -> None:
    from printconnect.catalog import mapping_imports
    from printconnect.catalog.models import MappingImport

    row = MappingImport.objects.select_related("store").filter(pk=mapping_import_id).first()
    expected = MappingImport.Status.CHECKING if step == "check" else MappingImport.Status.APPLYING
    if row is None or row.status != expected:
        return  # discarded, closed as stale, or already done by an earlier delivery
    try:
        if step == "check":
            mapping_imports.mapping_import_check(mapping_import=row)
        else:
            mapping_imports.mapping_import_apply(mapping_import=row)
    except Exception:
        logger.exception("catalog.mapping_import.failed: import %s, step %s", mapping_import_id, step)
        mapping_imports.mapping_import_fail(
            mapping_import=row,
            message=f"The {step} failed on the server; nothing was changed. Try again, or tell the print shop.",
        )


@shared_task(name="catalog.mapping_import_check", queue="files", acks_late=True, reject_on_worker_lost=True)
def mapping_import_check_task(mapping_import_id: int) -> None:
    _run(mapping_import_id, "check")


@shared_task(name="catalog.mapping_import_apply", queue="files", acks_late=True, reject_on_worker_lost=True)
def mapping_import_apply_task(mapping_import_id: int) -> None:
    _run(mapping_import_id, "apply")
