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
