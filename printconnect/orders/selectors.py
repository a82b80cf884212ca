from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet

from printconnect.catalog.models import StoreVariant
from printconnect.orders.models import Order, OrderItem
from printconnect.storefronts.models import Store


def held_orders_for_variants(*, store: Store, variant_ids: Iterable[int]) -> QuerySet[Order]:
    """The store's orders on hold that contain any of these variants: the orders a new mapping may release.

    An order line names a variant by the store's variation id, or, for a simple product (no variations), only by
    the product id, which is then also its one variant's external id.
    """
    external_ids = list(
        StoreVariant.objects.filter(store=store, pk__in=list(variant_ids)).values_list("external_id", flat=True)
    )
    if not external_ids:
        return Order.objects.none()
    lines = OrderItem.objects.filter(order=OuterRef("pk")).filter(
        Q(external_variant_id__in=external_ids) | Q(external_variant_id="", external_product_id__in=external_ids)
    )
    return Order.objects.filter(store=store, status=Order.Status.ON_HOLD).filter(Exists(lines))
