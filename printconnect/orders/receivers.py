"""The orders app's answers to signals of the apps below it."""

from typing import Any

from django.db.models import QuerySet
from django.dispatch import receiver

from printconnect.catalog.signals import variant_mappings_saved
from printconnect.orders.models import Order
from printconnect.orders.selectors import held_orders_for_variants


@receiver(variant_mappings_saved, dispatch_uid="orders.held_orders_for_saved_mappings")
def held_orders_for_saved_mappings(sender: Any, *, store: Any, variant_ids: Any, **kwargs: Any) -> QuerySet[Order]:
    # The intake pipeline (issue 5) re-processes these; until then the caller reports how many are waiting.
    return held_orders_for_variants(store=store, variant_ids=variant_ids)
