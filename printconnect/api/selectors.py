"""What a token may see, and the rows the API and the token pages read."""

from __future__ import annotations

from django.db.models import QuerySet

from printconnect.api.models import ApiToken
from printconnect.catalog.models import ShippingRate
from printconnect.clients.models import Client
from printconnect.orders.models import Order, PrintFile


def orders_for_token(*, token: ApiToken) -> QuerySet[Order]:
    """A staff token sees every order; a client's token its client's; a store-limited token that store's."""
    orders = Order.objects.all()
    if token.client_id is not None:
        orders = orders.filter(client_id=token.client_id)
    if token.store_id is not None:
        orders = orders.filter(store_id=token.store_id)
    return orders


def print_files_for_token(*, token: ApiToken) -> QuerySet[PrintFile]:
    return PrintFile.objects.filter(item__order__in=orders_for_token(token=token))


def api_tokens_list(*, client: Client | None = None, staff: bool = False) -> QuerySet[ApiToken]:
    """A client's tokens (the portal), or every token (staff: client None and staff=True)."""
    tokens = ApiToken.objects.select_related("client", "store", "created_by")
    if not staff:
        tokens = tokens.filter(client=client)
    return tokens.order_by("revoked_at", "-created_at", "-pk")


def shipping_rates_for(*, currency: str, country: str) -> list[ShippingRate]:
    """The active shipping methods' rates for this currency whose countries include `country`, cheapest first.
    Rates are few (methods x groups x currencies), so the country match is done here, portable across databases."""
    rates = ShippingRate.objects.filter(
        currency=currency, shipping_method__active=True, shipping_method__carrier__active=True
    ).select_related("shipping_method__carrier")
    matching = [rate for rate in rates if country in (rate.countries or [])]
    return sorted(matching, key=lambda rate: (rate.price, rate.shipping_method.code))


def shipping_rate_currencies() -> list[str]:
    return sorted(
        set(ShippingRate.objects.filter(shipping_method__active=True).values_list("currency", flat=True).distinct())
    )
