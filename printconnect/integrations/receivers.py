"""The integrations app's answers to signals of the apps below it (which may not import integrations)."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from printconnect.orders.models import OutboxEvent, Shipment
from printconnect.orders.signals import shipment_untracked


@receiver(post_save, sender=OutboxEvent, dispatch_uid="integrations.outbox_event_kick")
def outbox_event_saved(sender: Any, instance: OutboxEvent, created: bool, **kwargs: Any) -> None:
    # Sent from inside the change's transaction: dispatch once it is committed (never for a rolled-back change).
    # Losing this kick (broker down, process killed right after the commit) only delays delivery until the sweep.
    if created:
        from printconnect.integrations.services.outbox import outbox_kick

        transaction.on_commit(outbox_kick)


@receiver(shipment_untracked, dispatch_uid="integrations.shipment_untracked_error")
def shipment_untracked_error(sender: Any, *, shipment: Shipment, **kwargs: Any) -> None:
    from printconnect.integrations.models import IntegrationEvent
    from printconnect.integrations.services.events import event_record

    order = shipment.order
    event_record(
        store=order.store,
        severity=IntegrationEvent.Severity.ERROR,
        code="shipment.untracked",
        message=(
            f"Order {order.number}: no carrier for tracking number {shipment.tracking_number}. Neither a carrier rule "
            "of the store matches it nor is a default carrier set, so the tracking is not sent to the store. "
            "Add a carrier rule or a default carrier in the store's Shipping settings."
        ),
        object_type="order",
        object_id=order.number,
    )
