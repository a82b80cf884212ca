"""Test orders: "Send test order" on a store makes an order with a random customer and address for a country, which
runs the whole intake pipeline (mapping, holds, shipping, print files) like any order, carries a TEST badge, never goes
out to the store (the outbox skips the store for it) and can be deleted again."""

from __future__ import annotations

import logging
import random
import threading
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from printconnect.catalog.models import CatalogProduct, StoreProduct, StoreVariant
from printconnect.core.countries import COUNTRY_NAMES
from printconnect.core.exceptions import ApplicationError
from printconnect.orders import services
from printconnect.orders.intake import HoldCause
from printconnect.orders.models import Order, OrderHold, OutboxEvent, PrintFile, StoreShippingMethod
from printconnect.storefronts.models import Store

logger = logging.getLogger(__name__)

NUMBER_PREFIX = "TEST-"
# A test order asks for 1 to this many of its product; a stock product must have at least as many in stock.
MAX_QUANTITY = 4
# Countries with several Faker locales: the one a customer there most likely writes in.
_PREFERRED_LOCALES = {"BE": "nl_BE", "CA": "en_CA", "CH": "de_CH", "IN": "en_IN", "TH": "th_TH", "US": "en_US"}
FALLBACK_LOCALE = "en_US"


@lru_cache(maxsize=1)
def _locales_by_country() -> dict[str, str]:
    # Faker is imported when a test order is first made: it costs every web and worker process ~130 ms at start.
    from faker.config import AVAILABLE_LOCALES

    found: dict[str, str] = {}
    for locale in sorted(AVAILABLE_LOCALES):
        _language, _, country = locale.partition("_")
        if country in COUNTRY_NAMES:
            found.setdefault(country, locale)
    return found | _PREFERRED_LOCALES


def faker_locale(country: str) -> str:
    """The Faker locale for an ISO country code; en_US for countries Faker has no locale for."""
    return _locales_by_country().get(country.upper(), FALLBACK_LOCALE)


_faker_lock = threading.Lock()


@lru_cache(maxsize=64)
def _faker(locale: str) -> Any:
    from faker import Faker

    return Faker(locale)  # building one reads its providers (tens of ms): one per locale and process


def _optional(fake: Any, *names: str) -> str:
    """The first of these providers the locale has (states exist in some countries only)."""
    for name in names:
        if hasattr(fake, name):
            return str(getattr(fake, name)())
    return ""


@dataclass(frozen=True)
class Customer:
    name: str
    email: str
    address: dict[str, str]  # the connectors' canonical Address fields (integrations/connectors/types.py)


def random_customer(*, country: str, rng: random.Random) -> Customer:
    """A made-up customer living in `country`, with an address in that country's format (Faker)."""
    code = country.upper()
    locale = faker_locale(code)
    with _faker_lock:  # one Faker per locale is shared: seeding and drawing must not interleave
        fake = _faker(locale)
        fake.seed_instance(rng.getrandbits(64))
        first_name, last_name = fake.first_name(), fake.last_name()
        address = {
            "country": code,
            "first_name": first_name,
            "last_name": last_name,
            "company": "",
            "line1": fake.street_address(),
            "line2": "",
            "city": fake.city(),
            # A state only where Faker knows the country's own (not the en_US fallback's states).
            "region": _optional(fake, "state_abbr", "province_abbr") if code in _locales_by_country() else "",
            "postal_code": fake.postcode(),
            "phone": fake.phone_number(),
            "email": fake.safe_email(),  # example.com/.net/.org: never a real mailbox
        }
    return Customer(name=f"{first_name} {last_name}", email=address["email"], address=address)


# --- sending ---------------------------------------------------------------------------------------------------------


def _variant_pick(
    store: Store, variant: StoreVariant | None, product: StoreProduct | None, rng: random.Random
) -> StoreVariant:
    if variant is not None:
        if variant.store_id != store.pk:
            raise ApplicationError("That product is not one of this store's; pick one from the list.", field="product")
        return variant
    if product is None or product.store_id != store.pk:
        raise ApplicationError("Choose one of the store's products for the test order.", field="product")
    variants = list(product.variants.filter(active=True).order_by("pk"))
    if not variants:
        raise ApplicationError(
            f"“{product.title or product.external_id}” has no variant the store still sells; pick another product.",
            field="product",
        )
    return rng.choice(variants)


def _label(variant: StoreVariant) -> str:
    return services.variant_label(variant)  # the pipeline's own words for a variant


def _stock_check(variant: StoreVariant) -> None:
    """A stock product must have MAX_QUANTITY in stock: a test order may take that many."""
    is_stock = variant.product.product_type == StoreProduct.ProductType.STOCK or (
        variant.catalog_product is not None and variant.catalog_product.kind == CatalogProduct.Kind.STOCK
    )
    if not is_stock:
        return
    level = variant.stock_quantity
    if level is None:
        raise ApplicationError(
            f"{_label(variant)} is a stock product without a stock level yet: a test order takes up to "
            f"{MAX_QUANTITY}, so it needs at least {MAX_QUANTITY} in stock. Run the store's stock import, or pick "
            "another product.",
            field="product",
        )
    if level < MAX_QUANTITY:
        raise ApplicationError(
            f"{_label(variant)} is a stock product with only {level} in stock: a test order takes up to "
            f"{MAX_QUANTITY}, so it needs at least {MAX_QUANTITY}. Raise its stock level, or pick another product.",
            field="product",
        )


def _shipping_name(store: Store) -> str:
    """The shipping method name the test order names: the store's most recently seen mapped one, else any it has
    seen; else none, so the store's default shipping method applies (or the order is held for it, like any order)."""
    seen = StoreShippingMethod.objects.filter(store=store).order_by("-last_seen_at", "pk")
    mapped = seen.filter(shipping_method__isnull=False).values_list("name", flat=True).first()
    return mapped or seen.values_list("name", flat=True).first() or ""


def _next_number(store: Store) -> str:
    numbers = Order.objects.filter(store=store, number__startswith=NUMBER_PREFIX).values_list("number", flat=True)
    used = [int(n[len(NUMBER_PREFIX) :]) for n in numbers if n[len(NUMBER_PREFIX) :].isdigit()]
    return f"{NUMBER_PREFIX}{max(used, default=0) + 1:04d}"


def test_order_create(
    *,
    store: Store,
    country: str,
    actor: Any,
    variant: StoreVariant | None = None,
    product: StoreProduct | None = None,
    rng: random.Random | None = None,
) -> Order:
    """Send a test order to the store: one line of `variant` (or a random variant of `product`), 1 to 4 of it, a
    random customer and address in `country`, placed now and paid. It goes through order_intake like any order, so
    it comes out received, or held with what to fix. `rng` makes it repeatable (tests)."""
    rng = rng or random.Random()  # noqa: S311  (made-up customers, not secrets)
    code = (country or "").strip().upper()
    if code not in COUNTRY_NAMES:
        raise ApplicationError("Choose the country the test customer lives in.", field="country")
    chosen = _variant_pick(store, variant, product, rng)
    chosen = StoreVariant.objects.select_related("product", "catalog_product").get(pk=chosen.pk)
    _stock_check(chosen)
    quantity = rng.randint(1, MAX_QUANTITY)
    customer = random_customer(country=code, rng=rng)
    with transaction.atomic():
        Store.objects.select_for_update().filter(pk=store.pk).first()  # one number at a time per store
        number = _next_number(store)
        data = services.OrderData(
            external_id=f"test-{uuid.uuid4().hex[:20]}",
            number=number,
            store_status="processing",
            financial_status="paid",
            placed_at=timezone.now(),
            currency="EUR",
            total=(chosen.price or Decimal(0)) * quantity,
            lines=(
                services.OrderLineData(
                    external_id="1",
                    quantity=quantity,
                    title=chosen.product.title,
                    sku=chosen.sku,
                    external_product_id=chosen.product.external_id,
                    external_variant_id="" if chosen.is_product_itself else chosen.external_id,
                    attributes={str(k): str(v) for k, v in (chosen.attributes or {}).items()},
                    product_type=chosen.product.product_type,
                ),
            ),
            customer_name=customer.name,
            customer_email=customer.email,
            shipping_address=customer.address,
            shipping_method=_shipping_name(store),
            fulfilment_channel=services.store_rules(store=store).fulfilment,
            is_test=True,
        )
        result = services.order_intake(store=store, data=data, source=services.IntakeSource.TEST)
        if result.order is None:
            reason = result.verdict.message if result.verdict else "the pipeline did not take it"
            raise ApplicationError(f"The test order was not created: {reason}")
    logger.info(
        "orders.test_order.created",
        extra={"store_id": store.pk, "order_id": result.order.pk, "actor_id": getattr(actor, "pk", None)},
    )
    return result.order


def test_order_summary(order: Order) -> str:
    """For the flash message: what was sent and what the pipeline made of it."""
    item = order.items.first()
    what = f"{item.quantity} x {item.title or item.sku}" if item else "no line"
    code = order.shipping_address.get("country", "")
    country = COUNTRY_NAMES.get(code, code)
    outcome = (
        f"on hold: {order.get_hold_reason_display().lower()}" if order.status == Order.Status.ON_HOLD else "received"
    )
    return f"Test order {order.number} sent ({what}, to {order.customer_name} in {country}): {outcome}."


# --- deleting --------------------------------------------------------------------------------------------------------


def _deliveries_idle_check(orders: list[Order], ids: list[int]) -> None:
    """Refuse while a dispatcher is sending one of these orders' events (it would record its attempt against a row
    that is gone). The deliveries are locked first, so no dispatcher can claim one until the deletion commits; they
    are read through the relation, as orders may not import the integrations app that owns them."""
    deliveries = OutboxEvent.deliveries.rel.related_model.objects  # integrations' OutboxDelivery
    claims = deliveries.select_for_update().filter(order_id__in=ids).values_list("order_id", "claimed_until")
    now = timezone.now()
    busy = sorted({order_id for order_id, until in claims if until is not None and until > now})
    if busy:
        numbers = ", ".join(order.number for order in orders if order.pk in busy)
        raise ApplicationError(f"The events of {numbers} are being sent right now; try again in a minute.")


def _orders_delete(orders: list[Order]) -> None:
    """Delete locked test orders of one store with everything that hangs on them. The database cascades (items, holds,
    print files, shipments and their items, history, outbox events, their deliveries and attempts); the print files'
    stored files go once committed; the store's hold Errors are recounted (resolved when they hold nothing now)."""
    ids = [order.pk for order in orders]
    _deliveries_idle_check(orders, ids)
    holds = OrderHold.objects.filter(order_id__in=ids).values_list("reason", "key")
    causes = [HoldCause(reason, key, "", "") for reason, key in holds]
    names = [name for name in PrintFile.objects.filter(item__order_id__in=ids).values_list("file", flat=True) if name]
    Order.objects.filter(pk__in=ids).delete()
    if causes:
        services.holds_announce(orders[0].store, causes)
    if names:
        transaction.on_commit(lambda: [default_storage.delete(name) for name in names])


def test_order_delete(*, order: Order, actor: Any) -> None:
    """Delete a test order; a real order is refused (cancel it instead)."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().select_related("store").filter(pk=order.pk).first()
        if locked is None:
            raise ApplicationError(f"Order {order.number} is already deleted.")
        if not locked.is_test:
            raise ApplicationError(
                f"Order {locked.number} is a real order: only test orders can be deleted. Cancel it instead."
            )
        _orders_delete([locked])
    logger.info(
        "orders.test_order.deleted",
        extra={"store_id": locked.store_id, "order_id": locked.pk, "actor_id": getattr(actor, "pk", None)},
    )


TEST_ORDERS_DELETE_CHUNK = 200


def test_orders_delete(*, store: Store, actor: Any) -> int:
    """Delete every test order of the store ("Delete test orders"), a chunk per transaction; returns how many."""
    deleted = 0
    while True:
        with transaction.atomic():
            chunk = list(
                Order.objects.select_for_update()
                .select_related("store")
                .filter(store=store, is_test=True)
                .order_by("pk")[:TEST_ORDERS_DELETE_CHUNK]
            )
            if not chunk:
                break
            _orders_delete(chunk)
        deleted += len(chunk)
    logger.info(
        "orders.test_orders.deleted",
        extra={"store_id": store.pk, "deleted": deleted, "actor_id": getattr(actor, "pk", None)},
    )
    return deleted


# Not tests, though named like them: pytest must not collect these where a test module imports them.
for _service in (test_order_create, test_order_summary, test_order_delete, test_orders_delete):
    _service.__test__ = False  # type: ignore[attr-defined]
