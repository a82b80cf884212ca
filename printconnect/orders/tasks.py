from typing import Any

from celery import shared_task


@shared_task(name="orders.reprocess", queue="feeds", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def orders_reprocess_task(store_id: int, order_ids: list[int]) -> None:
    """Re-process many held orders after a fix (a bulk mapping import, a default shipping method): idempotent, so a
    redelivery after a lost worker only finds the orders still on hold."""
    from printconnect.orders.services import orders_reprocess
    from printconnect.storefronts.models import Store

    store = Store.objects.filter(pk=store_id).first()
    if store is not None:
        orders_reprocess(store=store, order_ids=order_ids)


@shared_task(
    bind=True,
    name="orders.print_file_download",
    queue="files",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=None,  # the service counts attempts (PRINT_FILE_MAX_ATTEMPTS) and fails the file after the last
)
def print_file_download_task(self: Any, print_file_id: int) -> None:
    """Download and check one print file; a 5xx or a timeout comes back after a growing countdown."""
    from printconnect.orders.printfiles import RetryLaterError, print_file_download

    try:
        print_file_download(print_file_id=print_file_id)
    except RetryLaterError as exc:
        raise self.retry(exc=exc, countdown=exc.countdown) from None
