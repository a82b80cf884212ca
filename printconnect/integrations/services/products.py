"""'Publish to store': create a product for a catalog product in the client's store and connect its variants.

The store's connector creates it where it can (Capability.PRODUCTS_CREATE); a manual store gets it here only. Every
input is checked before the store is asked, and nothing is saved here when the store refuses.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower

from printconnect.catalog.models import CatalogProduct, StoreProduct, StoreVariant
from printconnect.catalog.services import (
    MappingData,
    ProductData,
    VariantData,
    design_file_url_clean,
    store_products_upsert,
    variant_mapping_save,
)
from printconnect.core.exceptions import ApplicationError
from printconnect.core.models import User
from printconnect.integrations.connectors import registry
from printconnect.integrations.connectors.base import Capability
from printconnect.integrations.connectors.errors import (
    AuthRejectedError,
    ConnectorError,
    RateLimitedError,
    UnavailableError,
)
from printconnect.integrations.connectors.types import NewProduct, NewVariant
from printconnect.integrations.models import Feed, IntegrationEvent
from printconnect.integrations.services.events import event_record
from printconnect.integrations.services.feed_settings import feed_run_now
from printconnect.integrations.services.feeds import connector_for_store, product_data_from_external
from printconnect.storefronts.models import Store

logger = logging.getLogger(__name__)

# One variant per combination of option values: more than this is a catalogue to import, not a product to type in
# (and WooCommerce takes at most 100 variations in one batch).
MAX_VARIANTS = 100
MAX_OPTIONS = 3
TITLE_MAX = 200
SKU_MAX = 100
PRICE_MAX = Decimal("1000000")
MANUAL_PREFIX = "manual-"

Options = Sequence[tuple[str, Sequence[str]]]


@dataclass(frozen=True)
class ProductPublished:
    product: StoreProduct
    variants: list[StoreVariant]
    in_store: bool  # created in the shop too (False: a manual store, here only)


# --- can this store receive products? --------------------------------------------------------------------------------


def store_publish_refusal(store: Store) -> str | None:
    """Why printconnect cannot publish products to this store, in words for its users; None when it can."""
    if store.platform == Store.Platform.MANUAL:
        return None
    if registry.has(store.platform) and Capability.PRODUCTS_CREATE in registry.get(store.platform).capabilities:
        return None
    return (
        f"{store.get_platform_display()} stores can't receive new products from printconnect yet; create it in your "
        "store, then use Sync products."
    )


def store_publishes_remotely(store: Store) -> bool:
    return store.platform != Store.Platform.MANUAL and store_publish_refusal(store) is None


# --- checking what was asked for -------------------------------------------------------------------------------------


def product_options_clean(options: Options) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(name, values) pairs: names unique, values unique within their option (whatever the case), none empty."""
    cleaned: list[tuple[str, tuple[str, ...]]] = []
    seen_names: set[str] = set()
    for raw_name, raw_values in options:
        name = " ".join(str(raw_name or "").split())
        values = tuple(" ".join(str(v or "").split()) for v in raw_values if str(v or "").strip())
        if not name and not values:
            continue  # an empty row of the form
        if not name:
            raise ApplicationError(
                f"Give the option with values {', '.join(values)} a name, e.g. “Size”.", field="options"
            )
        if not values:
            raise ApplicationError(f"List the values of “{name}”, separated by commas, e.g. “A4, A3”.", field="options")
        if name.lower() in seen_names:
            raise ApplicationError(
                f"The option “{name}” appears twice; list all its values in one row.", field="options"
            )
        if len(name) > 100 or any(len(v) > 100 for v in values):
            raise ApplicationError(f"Keep option “{name[:40]}” and its values under 100 characters.", field="options")
        lowered = [v.lower() for v in values]
        doubles = sorted({v for v in values if lowered.count(v.lower()) > 1})
        if doubles:
            raise ApplicationError(f"“{name}” lists {', '.join(doubles)} twice; list each value once.", field="options")
        seen_names.add(name.lower())
        cleaned.append((name, values))
    if len(cleaned) > MAX_OPTIONS:
        raise ApplicationError(f"Use at most {MAX_OPTIONS} options (e.g. Size, Paper, Finish).", field="options")
    combinations = 1
    for _, values in cleaned:
        combinations *= len(values)
    if combinations > MAX_VARIANTS:
        raise ApplicationError(
            f"These options make {combinations} variants; at most {MAX_VARIANTS} can be published at once. Use fewer "
            "values, or create the product in the store and use Sync products.",
            field="options",
        )
    return tuple(cleaned)


def variant_combinations(options: Options) -> list[dict[str, str]]:
    """One {option name: value} per combination, in the order the values were listed (one empty one: no options)."""
    names = [name for name, _ in options]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(values for _, values in options))]


def _sku_part(value: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", value.upper()).strip("-")


def variant_skus(sku: str, combinations: Sequence[dict[str, str]]) -> list[str]:
    """The prefix followed by each value ("POSTER-A4-MATTE"); all empty without a prefix."""
    if not sku:
        return ["" for _ in combinations]
    return ["-".join([sku, *(_sku_part(v) for v in combo.values() if _sku_part(v))]) for combo in combinations]


def _sku_clean(sku: Any) -> str:
    text = str(sku or "").strip()
    if len(text) > SKU_MAX:
        raise ApplicationError(f"Keep the SKU under {SKU_MAX} characters.", field="sku")
    if text and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", text):
        raise ApplicationError(
            "Use letters, digits, dots, dashes and slashes in the SKU, starting with a letter or digit, e.g. POSTER.",
            field="sku",
        )
    return text


def _price_clean(price: Any) -> Decimal:
    try:
        value = Decimal(str(price).strip().replace(",", ".")) if price not in (None, "") else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ApplicationError("Enter the price customers pay, e.g. 12.50.", field="price")
    if value < 0 or value >= PRICE_MAX:
        raise ApplicationError(f"Enter a price from 0 to {PRICE_MAX - 1:,}.", field="price")
    if value != value.quantize(Decimal("0.01")):
        raise ApplicationError("Give the price in whole cents, e.g. 12.50.", field="price")
    return value.quantize(Decimal("0.01"))


def _title_clean(title: Any) -> str:
    text = " ".join(str(title or "").split())
    if not text:
        raise ApplicationError("Give the product a title, as customers will see it in the store.", field="title")
    if len(text) > TITLE_MAX:
        raise ApplicationError(f"Keep the title under {TITLE_MAX} characters.", field="title")
    return text


def _catalog_product_check(product: CatalogProduct | None) -> CatalogProduct:
    if product is None:
        raise ApplicationError("Pick the catalog product the print shop makes for it.", field="catalog_product")
    if not product.active:
        raise ApplicationError(
            f"{product.uid} is no longer offered by the print shop; pick another catalog product.",
            field="catalog_product",
        )
    return product


@dataclass(frozen=True)
class _Plan:
    new: NewProduct
    catalog_product: CatalogProduct
    design_file_url: str


def _plan(
    store: Store, catalog_product: CatalogProduct | None, title: Any, options: Options, sku: Any, price: Any,
    design_file_url: Any,
) -> _Plan:  # fmt: skip
    """Everything publishing checks before the store is asked; the first problem raises ApplicationError."""
    refusal = store_publish_refusal(store)
    if refusal is not None:
        raise ApplicationError(refusal)
    catalog_product = _catalog_product_check(catalog_product)
    title = _title_clean(title)
    cleaned = product_options_clean(options)
    sku = _sku_clean(sku)
    amount = _price_clean(price)
    url = design_file_url_clean(design_file_url)
    variants: tuple[NewVariant, ...] = ()
    if cleaned:
        combinations = variant_combinations(cleaned)
        skus = variant_skus(sku, combinations)
        doubles = sorted({s for s in skus if s and skus.count(s) > 1})
        if doubles:
            raise ApplicationError(
                f"Two variants would get the SKU {doubles[0]} (values that differ only in spaces or signs); "
                "make the values differ in letters or digits.",
                field="options",
            )
        variants = tuple(
            NewVariant(attributes=combo, sku=variant_sku, price=amount)
            for combo, variant_sku in zip(combinations, skus, strict=True)
        )
    new = NewProduct(title=title, sku=sku, price=amount, options=cleaned, variants=variants)
    return _Plan(new=new, catalog_product=catalog_product, design_file_url=url)


@dataclass(frozen=True)
class PublishPreview:
    summary: str
    variants: tuple[NewVariant, ...]  # empty for a simple product
    sku: str


def store_product_publish_preview(
    *, store: Store, catalog_product: CatalogProduct | None, title: Any, options: Options, sku: Any, price: Any,
    design_file_url: Any,
) -> PublishPreview:  # fmt: skip
    """What `store_product_publish` would create, checked the same way (ApplicationError), without creating it."""
    plan = _plan(store, catalog_product, title, options, sku, price, design_file_url)
    summary = publish_summary(store=store, catalog_product=plan.catalog_product, options=plan.new.options)
    return PublishPreview(summary=summary, variants=plan.new.variants, sku=plan.new.sku)


def publish_summary(*, store: Store, catalog_product: CatalogProduct, options: Options) -> str:
    """What "Publish" will do, in one sentence for the page."""
    count = len(variant_combinations(product_options_clean(options)))
    what = "a product" if count == 1 else f"a product with {count} variants"
    where = (
        f"in {store.name}" if store_publishes_remotely(store) else f"for {store.name} (here only: it is a manual store)"
    )
    them = "it" if count == 1 else "them"
    return f"Creates {what} {where} and connects {them} to {catalog_product.uid}."


# --- publishing ------------------------------------------------------------------------------------------------------


def store_product_publish(
    *,
    store: Store,
    catalog_product: CatalogProduct | None,
    title: Any,
    options: Options,
    sku: Any,
    price: Any,
    design_file_url: Any,
    actor: User | None,
) -> ProductPublished:
    """Create the product in the store (or, for a manual store, here only) with one variant per combination of
    option values, and connect every variant to `catalog_product` with the design file.

    Publishing is an explicit action, so it works in test mode too: the product is real in the store.
    """
    plan = _plan(store, catalog_product, title, options, sku, price, design_file_url)
    if store.platform == Store.Platform.MANUAL:
        published = _publish_here(store, plan)
    else:
        published = _publish_to_store(store, plan)
    count = len(published.variants)
    where = "in the store" if published.in_store else "(manual store, here only)"
    event_record(
        store=store,
        severity=IntegrationEvent.Severity.INFO,
        code="product.published",
        message=(
            f"Product published {where}: “{published.product.title}” ({published.product.external_id}) with "
            f"{count} variant{'s' if count != 1 else ''}, connected to {plan.catalog_product.uid}"
            f"{f' by {actor.email}' if actor is not None and getattr(actor, 'email', '') else ''}."
        ),
        object_type="product",
        object_id=published.product.external_id,
    )
    logger.info(
        "integrations.product.published",
        extra={"store_id": store.pk, "product_id": published.product.pk, "actor_id": actor.pk if actor else None},
    )
    return published


def _publish_to_store(store: Store, plan: _Plan) -> ProductPublished:
    connector = connector_for_store(store)
    try:
        external = connector.create_product(plan.new)
    except AuthRejectedError as exc:
        raise ApplicationError(f"{exc.message} Nothing was created.") from exc
    except UnavailableError as exc:
        raise ApplicationError(
            f"{exc.problem}. The store may or may not have created “{plan.new.title}”: check its Products before "
            "publishing again (then use Sync products if it is there)."
        ) from exc
    except RateLimitedError as exc:
        wait = f"{exc.retry_after:g} seconds" if exc.retry_after is not None else "a minute"
        raise ApplicationError(f"The store is busy (rate limited); wait {wait}, then publish again.") from exc
    except ConnectorError as exc:
        raise ApplicationError(exc.message) from exc
    data = product_data_from_external(external)
    try:
        with transaction.atomic():
            return _save_and_connect(store, data, plan, in_store=True)
    except ApplicationError as exc:
        raise ApplicationError(
            f"The product was created in the store (id {external.id}) but could not be connected here: {exc.message} "
            "Use Sync products to bring it in, then connect its variants."
        ) from exc


def _publish_here(store: Store, plan: _Plan) -> ProductPublished:
    with transaction.atomic():
        Store.objects.select_for_update().filter(pk=store.pk).first()  # one number at a time per store
        skus = [v.sku for v in plan.new.variants] or [plan.new.sku]
        taken = _skus_taken(store, [s for s in skus if s])
        if taken:
            raise ApplicationError(
                f"Another product of {store.name} already uses the SKU {taken[0]}; choose another SKU prefix.",
                field="sku",
            )
        product_id = f"{MANUAL_PREFIX}{_next_manual_number(store)}"
        if plan.new.variants:
            variants = tuple(
                VariantData(external_id=f"{product_id}-{n}", sku=v.sku, attributes=dict(v.attributes), price=v.price)
                for n, v in enumerate(plan.new.variants, start=1)
            )
        else:  # a simple product is its own one variant, as the feeds store them
            variants = (VariantData(external_id=product_id, sku=plan.new.sku, price=plan.new.price),)
        data = ProductData(external_id=product_id, title=plan.new.title, sku=plan.new.sku, variants=variants)
        return _save_and_connect(store, data, plan, in_store=False)


def _skus_taken(store: Store, skus: Iterable[str]) -> list[str]:
    wanted = list(skus)
    if not wanted:
        return []
    # Whatever the case, as WooCommerce's tables compare them: "poster-a4" and "POSTER-A4" are one SKU to a shop.
    lowered = {sku.lower() for sku in wanted}
    rows = StoreVariant.objects.filter(store=store, active=True).annotate(sku_lower=Lower("sku"))
    return sorted(set(rows.filter(sku_lower__in=lowered).values_list("sku", flat=True)))


def _next_manual_number(store: Store) -> int:
    numbers = [
        int(external_id[len(MANUAL_PREFIX) :])
        for external_id in StoreProduct.objects.filter(store=store, external_id__startswith=MANUAL_PREFIX).values_list(
            "external_id", flat=True
        )
        if external_id[len(MANUAL_PREFIX) :].isdigit()
    ]
    return max(numbers, default=0) + 1


def _save_and_connect(store: Store, data: ProductData, plan: _Plan, *, in_store: bool) -> ProductPublished:
    """Inside the caller's transaction: the product and its variants here, each connected to the catalog product."""
    store_products_upsert(store=store, products=[data])
    product = StoreProduct.objects.get(store=store, external_id=data.external_id)
    variants = list(StoreVariant.objects.filter(product=product).order_by("pk"))
    mapping = MappingData(product_uid=plan.catalog_product.uid, design_file_url=plan.design_file_url)
    connected = [variant_mapping_save(variant=variant, data=mapping).variant for variant in variants]
    return ProductPublished(product=product, variants=connected, in_store=in_store)


# --- "Sync products" -------------------------------------------------------------------------------------------------


def store_products_sync(*, store: Store, actor: User) -> Feed:
    """Run the store's "Import new products" feed now (queued; the run records what it found)."""
    if store.platform == Store.Platform.MANUAL:
        raise ApplicationError(
            f"“{store.name}” is a manual store: there is no shop to sync products from. Add its products with "
            "Add product."
        )
    feed = Feed.objects.filter(store=store, kind=Feed.Kind.PRODUCTS_IMPORT).first()
    if feed is None:
        raise ApplicationError(
            f"“{store.name}” has no product import yet: its feeds are not set up. Ask your print shop to set them up "
            "(staff: open the store's integration page)."
        )
    feed_run_now(feed=feed, actor=actor)
    return feed
