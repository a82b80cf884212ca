"""The orders app's answers to signals of the apps below it."""

from typing import Any

from django.db.models import QuerySet
from django.dispatch import receiver

from printconnect.catalog.signals import variant_mappings_saved
from printconnect.orders.models import Order
from printconnect.orders.selectors import held_orders_for_variants
from printconnect.orders.services import orders_reprocess_soon


@receiver(variant_mappings_saved, dispatch_uid="orders.held_orders_for_saved_mappings")
def held_orders_for_saved_mappings(sender: Any, *, store: Any, variant_ids: Any, **kwargs: Any) -> QuerySet[Order]:
    """Re-process the held orders containing the variants whose mapping changed (released when nothing else holds
    them), and return them, as they were held, so the catalog can say "N held orders contain it"."""
    ids = list(held_orders_for_variants(store=store, variant_ids=variant_ids).values_list("pk", flat=True))
    if ids:
        orders_reprocess_soon(store=store, order_ids=ids)
    return Order.objects.filter(pk__in=ids)
