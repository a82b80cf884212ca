"""Actions on the PSP catalog, shipping reference data and synced store products.

Each action is one transaction; bad input raises ApplicationError naming the field and what to fix, and changes
nothing. Store products mirror the store (callers pass plain data, ProductData..., so catalog never depends on
connectors): upserted on (store, external id), never duplicated.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from printconnect.catalog.models import (
    Carrier,
    CatalogProduct,
    ShippingMethod,
    ShippingRate,
    StoreProduct,
    StoreVariant,
)
from printconnect.catalog.selectors import catalog_products_by_uid
from printconnect.catalog.signals import variant_mappings_saved
from printconnect.core.exceptions import ApplicationError
from printconnect.storefronts.models import Store

_PRICE_STEP = Decimal("0.0001")  # StoreVariant.price's decimal places
_WEIGHT_STEP = Decimal("0.001")


@dataclass(frozen=True)
class VariantData:
    external_id: str
    sku: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)
    price: Decimal | None = None
    weight: Decimal | None = None


@dataclass(frozen=True)
class ProductData:
    external_id: str
    title: str
    variants: tuple[VariantData, ...]
    sku: str = ""
    product_type: str = StoreProduct.ProductType.NORMAL
    remote_updated_at: datetime | None = None


@dataclass(frozen=True)
class ProductImageData:
    external_id: str
    url: str
    alt: str = ""
    position: int = 0
    variant_ids: tuple[str, ...] = ()


class Upserted:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


# --- products and variants ---------------------------------------------------------------------------------------


def store_products_upsert(*, store: Store, products: Sequence[ProductData]) -> dict[str, str]:
    """Create or update products and their variants (e.g. one feed page) in one transaction.

    Variants the store no longer lists are marked inactive; stock levels are never touched here (printconnect is the
    stock master after the stock import). Returns external id -> created, updated or unchanged (an Upserted value).
    """
    if not products:
        return {}
    try:
        return _upsert_once(store, products)
    except IntegrityError:
        # Another run inserted some of these between our read and our write: they exist now, so this updates them.
        # Once only: a second IntegrityError is a real fault (e.g. one variant id under two products) and propagates.
        return _upsert_once(store, products)


def _upsert_once(store: Store, products: Sequence[ProductData]) -> dict[str, str]:
    now = timezone.now()
    outcomes: dict[str, str] = {}
    with transaction.atomic():
        ids = [data.external_id for data in products]
        existing = {
            product.external_id: product
            for product in StoreProduct.objects.select_for_update().filter(store=store, external_id__in=ids)
        }
        variants_of: dict[int, dict[str, StoreVariant]] = defaultdict(dict)
        for variant in StoreVariant.objects.filter(product__in=list(existing.values())):
            variants_of[variant.product_id][variant.external_id] = variant

        new_products: list[tuple[StoreProduct, ProductData]] = []
        changed_products: list[StoreProduct] = []
        unchanged_products: list[int] = []
        new_variants: list[StoreVariant] = []
        changed_variants: list[StoreVariant] = []
        seen_variants: list[int] = []
        for data in products:
            product = existing.get(data.external_id)
            if product is None:
                product = StoreProduct(store=store, external_id=data.external_id, synced_at=now)
                _set_product_fields(product, data)
                new_products.append((product, data))
                outcomes[data.external_id] = Upserted.CREATED
                continue
            changed = _set_product_fields(product, data)
            known = variants_of.get(product.pk, {})
            for variant_data in data.variants:
                variant = known.pop(variant_data.external_id, None)
                if variant is None:
                    new_variants.append(_new_variant(product, variant_data, now))
                    changed = True
                elif _set_variant_fields(variant, variant_data):
                    variant.synced_at = now
                    changed_variants.append(variant)
                    changed = True
                else:
                    seen_variants.append(variant.pk)
            for vanished in known.values():
                if vanished.active:
                    vanished.active = False
                    changed_variants.append(vanished)
                    changed = True
            if changed:
                product.synced_at = now
                changed_products.append(product)
                outcomes[data.external_id] = Upserted.UPDATED
            else:
                unchanged_products.append(product.pk)
                outcomes[data.external_id] = Upserted.UNCHANGED

        created = StoreProduct.objects.bulk_create([product for product, _ in new_products])
        for product, (_, data) in zip(created, new_products, strict=True):
            new_variants.extend(_new_variant(product, variant_data, now) for variant_data in data.variants)
        StoreVariant.objects.bulk_create(new_variants)
        if changed_products:
            StoreProduct.objects.bulk_update(
                changed_products, ["title", "sku", "product_type", "active", "remote_updated_at", "synced_at"]
            )
        if changed_variants:
            StoreVariant.objects.bulk_update(
                changed_variants, ["sku", "attributes", "price", "weight", "active", "synced_at"]
            )
        # Seen and unchanged: only the time we last saw them moves (one statement for all of them).
        if unchanged_products:
            StoreProduct.objects.filter(pk__in=unchanged_products).update(synced_at=now)
        if seen_variants:
            StoreVariant.objects.filter(pk__in=seen_variants).update(synced_at=now)
    return outcomes


def _set_product_fields(product: StoreProduct, data: ProductData) -> bool:
    values: dict[str, Any] = {
        "title": data.title[:500],
        "sku": data.sku[:200],
        "product_type": data.product_type,
        "active": True,
        "remote_updated_at": data.remote_updated_at,
    }
    return _assign(product, values)


def _new_variant(product: StoreProduct, data: VariantData, now: datetime) -> StoreVariant:
    variant = StoreVariant(product=product, store_id=product.store_id, external_id=data.external_id, synced_at=now)
    _set_variant_fields(variant, data)
    return variant


def _set_variant_fields(variant: StoreVariant, data: VariantData) -> bool:
    values: dict[str, Any] = {
        "sku": data.sku[:200],
        "attributes": dict(data.attributes),
        "price": _quantized(data.price, _PRICE_STEP),
        "weight": _quantized(data.weight, _WEIGHT_STEP),
        "active": True,
    }
    return _assign(variant, values)


def _assign(row: StoreProduct | StoreVariant, values: Mapping[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _quantized(value: Decimal | None, step: Decimal) -> Decimal | None:
    # Stored with fixed decimal places: compare in the same form, or every sync would look like a change.
    return None if value is None else value.quantize(step)


def store_products_deactivate(*, store: Store, external_ids: Iterable[str]) -> int:
    """The store no longer has these products: they and their variants stay here (orders point at them), inactive."""
    now = timezone.now()
    with transaction.atomic():
        products = StoreProduct.objects.filter(store=store, external_id__in=list(external_ids), active=True)
        StoreVariant.objects.filter(product__in=products, active=True).update(active=False, updated_at=now)
        return products.update(active=False, updated_at=now)


# --- images ------------------------------------------------------------------------------------------------------


@transaction.atomic
def store_product_images_set(*, product: StoreProduct, images: Iterable[ProductImageData]) -> StoreProduct:
    """The product's images as the store lists them now (ordered by position); marks its images as synced."""
    product.images = [
        {
            "id": image.external_id,
            "url": image.url,
            "alt": image.alt,
            "position": image.position,
            "variant_ids": list(image.variant_ids),
        }
        for image in sorted(images, key=lambda image: (image.position, image.external_id))
    ]
    product.images_synced_at = timezone.now()
    product.save(update_fields=["images", "images_synced_at", "updated_at"])
    return product


# --- stock -------------------------------------------------------------------------------------------------------


def store_variants_stock_initialise(*, store: Store, levels: Mapping[int, int]) -> int:
    """The first stock levels, read from the store (variant pk -> quantity), for variants that have none yet.

    From then on printconnect is the stock master: a variant that got a level meanwhile keeps it. The store holds
    exactly this level, so it counts as exported too. Returns how many variants were initialised.
    """
    by_quantity: dict[int, list[int]] = defaultdict(list)
    for pk, quantity in levels.items():
        by_quantity[int(quantity)].append(pk)
    now = timezone.now()
    initialised = 0
    with transaction.atomic():
        for quantity, pks in by_quantity.items():
            initialised += StoreVariant.objects.filter(store=store, pk__in=pks, stock_quantity__isnull=True).update(
                stock_quantity=quantity, stock_exported_quantity=quantity, updated_at=now
            )
    return initialised


@transaction.atomic
def store_variant_stock_set(*, variant: StoreVariant, quantity: int) -> StoreVariant:
    """printconnect's stock level of a variant; the stock export pushes it to the store."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise ApplicationError(f"Enter the stock level as a whole number of 0 or more, not {quantity!r}.")
    variant.stock_quantity = quantity
    variant.save(update_fields=["stock_quantity", "updated_at"])
    return variant


def store_variants_stock_exported(*, store: Store, quantities: Mapping[int, int]) -> int:
    """Record what the store accepted (variant pk -> quantity pushed). A level changed since the push still differs,
    so the next export sends it again."""
    by_quantity: dict[int, list[int]] = defaultdict(list)
    for pk, quantity in quantities.items():
        by_quantity[int(quantity)].append(pk)
    now = timezone.now()
    recorded = 0
    with transaction.atomic():
        for quantity, pks in by_quantity.items():
            recorded += StoreVariant.objects.filter(store=store, pk__in=pks).update(
                stock_exported_quantity=quantity, updated_at=now
            )
    return recorded


# --- the PSP catalog ---------------------------------------------------------------------------------------------

_UID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_CODE_RE = re.compile(r"[A-Za-z0-9._-]{1,32}")
_SPEC_KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}")
_SPEC_VALUE_MAX = 200
_SPECS_MAX = 50
_COUNTRY_RE = re.compile(r"[A-Z]{2}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_PRICE_MAX = Decimal("9999999999.99")  # ShippingRate.price: 12 digits, 2 decimal places


def _text(value: Any, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ApplicationError(f"Enter the {label}.", field=field)
    if len(text) > max_length:
        raise ApplicationError(
            f"Shorten the {label} to {max_length} characters at most (it has {len(text)}).", field=field
        )
    return text


def _choice(value: Any, *, field: str, label: str, choices: type) -> str:
    if value not in choices.values:  # type: ignore[attr-defined]
        allowed = ", ".join(choices.values)  # type: ignore[attr-defined]
        raise ApplicationError(f"Pick the {label} from: {allowed} (not {value!r}).", field=field)
    return str(value)


def catalog_uid_clean(uid: Any) -> str:
    """A product UID as clients type it in files and APIs: letters, digits, '-', '_' and '.', at most 64."""
    text = str(uid or "").strip()
    if not text:
        raise ApplicationError("Enter the product UID.", field="uid")
    if not _UID_RE.fullmatch(text):
        raise ApplicationError(
            f"Product UID {text[:80]!r} is not valid: use at most 64 letters, digits, '-', '_' or '.', with no spaces.",
            field="uid",
        )
    return text


def print_specs_clean(specs: Any) -> dict[str, str]:
    """Print specs as a flat mapping of short texts (format: A4, paper: 170 g silk...), keys trimmed, none empty."""
    if specs is None:
        return {}
    if not isinstance(specs, Mapping):
        raise ApplicationError("Give the print specs as name/value pairs, e.g. “format: A4”.", field="print_specs")
    if len(specs) > _SPECS_MAX:
        raise ApplicationError(
            f"Keep to {_SPECS_MAX} print specs at most (there are {len(specs)}).", field="print_specs"
        )
    cleaned: dict[str, str] = {}
    for raw_key, raw_value in specs.items():
        key = str(raw_key).strip() if isinstance(raw_key, str) else raw_key
        if not isinstance(key, str) or not _SPEC_KEY_RE.fullmatch(key):
            raise ApplicationError(
                f"Print spec name {str(raw_key)[:60]!r} is not valid: start with a letter or digit and use at most "
                "40 letters, digits, spaces, '-', '_' or '.'.",
                field="print_specs",
            )
        if isinstance(raw_value, bool) or not isinstance(raw_value, str | int | Decimal):
            raise ApplicationError(
                f"Print spec “{key}” must be a plain text value, not a list or nested object.", field="print_specs"
            )
        value = str(raw_value).strip()
        if not value:
            raise ApplicationError(f"Give print spec “{key}” a value, or remove it.", field="print_specs")
        if len(value) > _SPEC_VALUE_MAX or "\n" in value:
            raise ApplicationError(
                f"Shorten print spec “{key}” to one line of {_SPEC_VALUE_MAX} characters at most.", field="print_specs"
            )
        if key.lower() in (existing.lower() for existing in cleaned):
            raise ApplicationError(f"Print spec “{key}” is given twice: keep one.", field="print_specs")
        cleaned[key] = value
    return cleaned


def _uid_taken(uid: str, *, exclude_pk: int | None) -> CatalogProduct | None:
    return CatalogProduct.objects.filter(uid__iexact=uid).exclude(pk=exclude_pk).first()


def _uid_taken_error(uid: str, other: CatalogProduct) -> ApplicationError:
    return ApplicationError(
        f"Product UID {uid!r} is already used by {other.uid} ({other.name}); UIDs are unique whatever their case. "
        "Pick another UID.",
        field="uid",
    )


def catalog_product_create(
    *,
    uid: str,
    name: str,
    kind: str = CatalogProduct.Kind.PRINTABLE,
    print_specs: Mapping[str, Any] | None = None,
    active: bool = True,
    actor: Any = None,
) -> CatalogProduct:
    product = CatalogProduct(
        uid=catalog_uid_clean(uid),
        name=_text(name, field="name", label="product name", max_length=200),
        kind=_choice(kind, field="kind", label="kind", choices=CatalogProduct.Kind),
        print_specs=print_specs_clean(print_specs),
        active=bool(active),
    )
    with transaction.atomic():
        other = _uid_taken(product.uid, exclude_pk=None)
        if other is not None:
            raise _uid_taken_error(product.uid, other)
        try:
            with transaction.atomic():
                product.save()
        except IntegrityError as exc:  # created by someone else between the check and the insert
            raise ApplicationError(
                f"Product UID {product.uid!r} was just taken by another product. Pick another UID.", field="uid"
            ) from exc
    return product


def catalog_product_update(
    *,
    product: CatalogProduct,
    name: str,
    kind: str,
    print_specs: Mapping[str, Any] | None,
    uid: str | None = None,
    actor: Any = None,
) -> CatalogProduct:
    """Change a product's details. The UID may change too (mappings point at the row, not at the text)."""
    new_uid = product.uid if uid is None else catalog_uid_clean(uid)
    values = {
        "uid": new_uid,
        "name": _text(name, field="name", label="product name", max_length=200),
        "kind": _choice(kind, field="kind", label="kind", choices=CatalogProduct.Kind),
        "print_specs": print_specs_clean(print_specs),
    }
    with transaction.atomic():
        if new_uid != product.uid:
            other = _uid_taken(new_uid, exclude_pk=product.pk)
            if other is not None:
                raise _uid_taken_error(new_uid, other)
        for name_, value in values.items():
            setattr(product, name_, value)
        try:
            with transaction.atomic():
                product.save(update_fields=[*values, "updated_at"])
        except IntegrityError as exc:
            product.refresh_from_db()
            raise ApplicationError(
                f"Product UID {new_uid!r} was just taken by another product. Pick another UID.", field="uid"
            ) from exc
    return product


def _set_active(row: CatalogProduct | Carrier | ShippingMethod, active: bool) -> None:
    if row.active != active:
        row.active = active
        row.save(update_fields=["active", "updated_at"])


@transaction.atomic
def catalog_product_deactivate(*, product: CatalogProduct, actor: Any = None) -> CatalogProduct:
    """No new mappings to it; the row stays (orders and mappings reference it)."""
    _set_active(product, False)
    return product


@transaction.atomic
def catalog_product_reactivate(*, product: CatalogProduct, actor: Any = None) -> CatalogProduct:
    _set_active(product, True)
    return product


# --- carriers ----------------------------------------------------------------------------------------------------


def code_clean(code: Any, *, label: str) -> str:
    text = str(code or "").strip()
    if not text:
        raise ApplicationError(f"Enter the {label} code.", field="code")
    if not _CODE_RE.fullmatch(text):
        raise ApplicationError(
            f"{label.capitalize()} code {text[:60]!r} is not valid: use at most 32 letters, digits, '-', '_' or '.'.",
            field="code",
        )
    return text


def tracking_url_template_clean(template: Any) -> str:
    """Empty, or an http(s) URL with {tracking} where the tracking number goes."""
    text = str(template or "").strip()
    if not text:
        return ""
    if len(text) > 500:
        raise ApplicationError("Shorten the tracking URL template to 500 characters.", field="tracking_url_template")
    if "{tracking}" not in text:
        raise ApplicationError(
            "Put {tracking} in the tracking URL template where the tracking number goes, "
            "e.g. https://carrier.example/track?id={tracking}.",
            field="tracking_url_template",
        )
    try:
        URLValidator(schemes=["http", "https"])(text.replace("{tracking}", "TRACK123"))
    except ValidationError as exc:
        raise ApplicationError(
            "The tracking URL template must be a full http:// or https:// address, "
            "e.g. https://carrier.example/track?id={tracking}.",
            field="tracking_url_template",
        ) from exc
    return text


def _save_with_unique_code(
    obj: Carrier | ShippingMethod, *, label: str, update_fields: list[str] | None = None
) -> None:
    """Save a carrier or shipping method whose code must be unique in any case: checked first for a message that
    names the other one, and again by the database's constraint for a race between two saves."""
    other = type(obj).objects.filter(code__iexact=obj.code).exclude(pk=obj.pk).first()
    refusal = f"{label.capitalize()} code {obj.code!r} is already used by {other}. Pick another."
    if other is None:
        try:
            with transaction.atomic():
                obj.save(update_fields=update_fields)
            return
        except IntegrityError:  # saved by someone else between the check and this write
            refusal = f"{label.capitalize()} code {obj.code!r} was just taken by another {label}. Pick another."
    if obj.pk is not None and update_fields:
        obj.refresh_from_db()  # the caller's object shows what is saved, not the refused values
    raise ApplicationError(refusal, field="code")


@transaction.atomic
def carrier_create(
    *, code: str, name: str, tracking_url_template: str = "", active: bool = True, actor: Any = None
) -> Carrier:
    carrier = Carrier(
        code=code_clean(code, label="carrier"),
        name=_text(name, field="name", label="carrier name", max_length=200),
        tracking_url_template=tracking_url_template_clean(tracking_url_template),
        active=bool(active),
    )
    _save_with_unique_code(carrier, label="carrier")
    return carrier


@transaction.atomic
def carrier_update(
    *, carrier: Carrier, code: str, name: str, tracking_url_template: str = "", actor: Any = None
) -> Carrier:
    values = {
        "code": code_clean(code, label="carrier"),
        "name": _text(name, field="name", label="carrier name", max_length=200),
        "tracking_url_template": tracking_url_template_clean(tracking_url_template),
    }
    for name_, value in values.items():
        setattr(carrier, name_, value)
    _save_with_unique_code(carrier, label="carrier", update_fields=[*values, "updated_at"])
    return carrier


@transaction.atomic
def carrier_deactivate(*, carrier: Carrier, actor: Any = None) -> Carrier:
    """Kept (shipments and shipping methods reference it); no longer offered for new shipping methods."""
    _set_active(carrier, False)
    return carrier


@transaction.atomic
def carrier_reactivate(*, carrier: Carrier, actor: Any = None) -> Carrier:
    _set_active(carrier, True)
    return carrier


# --- shipping methods and their rates ----------------------------------------------------------------------------


def _carrier_check(carrier: Any, *, current: Carrier | None = None) -> Carrier:
    if not isinstance(carrier, Carrier) or carrier.pk is None:
        raise ApplicationError("Pick the carrier that delivers this shipping method.", field="carrier")
    if not carrier.active and (current is None or carrier.pk != current.pk):
        raise ApplicationError(
            f"Carrier {carrier.name} is inactive: reactivate it first, or pick an active carrier.", field="carrier"
        )
    return carrier


@transaction.atomic
def shipping_method_create(
    *,
    code: str,
    name: str,
    carrier: Carrier,
    service_level: str = ShippingMethod.ServiceLevel.STANDARD,
    active: bool = True,
    actor: Any = None,
) -> ShippingMethod:
    method = ShippingMethod(
        code=code_clean(code, label="shipping method"),
        name=_text(name, field="name", label="shipping method name", max_length=200),
        carrier=_carrier_check(carrier),
        service_level=_choice(
            service_level, field="service_level", label="service level", choices=ShippingMethod.ServiceLevel
        ),
        active=bool(active),
    )
    _save_with_unique_code(method, label="shipping method")
    return method


@transaction.atomic
def shipping_method_update(
    *, method: ShippingMethod, code: str, name: str, carrier: Carrier, service_level: str, actor: Any = None
) -> ShippingMethod:
    values = {
        "code": code_clean(code, label="shipping method"),
        "name": _text(name, field="name", label="shipping method name", max_length=200),
        "carrier": _carrier_check(carrier, current=method.carrier),
        "service_level": _choice(
            service_level, field="service_level", label="service level", choices=ShippingMethod.ServiceLevel
        ),
    }
    for name_, value in values.items():
        setattr(method, name_, value)
    _save_with_unique_code(method, label="shipping method", update_fields=[*values, "updated_at"])
    return method


@transaction.atomic
def shipping_method_deactivate(*, method: ShippingMethod, actor: Any = None) -> ShippingMethod:
    """Kept with its rates (store mappings and orders reference it); no longer offered at checkout or in mappings."""
    _set_active(method, False)
    return method


@transaction.atomic
def shipping_method_reactivate(*, method: ShippingMethod, actor: Any = None) -> ShippingMethod:
    _set_active(method, True)
    return method


def countries_clean(countries: Any) -> list[str]:
    """ISO-3166 alpha-2 codes, upper case: a list, or text separated by commas or spaces ("DE, AT")."""
    if isinstance(countries, str):
        countries = [part for part in re.split(r"[\s,;]+", countries) if part]
    if not isinstance(countries, list | tuple):
        raise ApplicationError("Give the countries as ISO codes such as DE, AT, CH.", field="countries")
    cleaned: list[str] = []
    for raw in countries:
        code = str(raw).strip()
        if not _COUNTRY_RE.fullmatch(code):
            raise ApplicationError(
                f"{code[:20]!r} is not a country code: use two upper-case letters (ISO-3166), e.g. DE, FR, US.",
                field="countries",
            )
        if code not in cleaned:
            cleaned.append(code)
    if not cleaned:
        raise ApplicationError("List at least one destination country, e.g. DE, AT.", field="countries")
    return cleaned


def currency_clean(currency: Any) -> str:
    code = str(currency or "").strip()
    if not _CURRENCY_RE.fullmatch(code):
        raise ApplicationError(
            f"{code[:20]!r} is not a currency code: use three upper-case letters (ISO-4217), e.g. EUR, USD.",
            field="currency",
        )
    return code


def price_clean(price: Any) -> Decimal:
    try:
        value = price if isinstance(price, Decimal) else Decimal(str(price).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ApplicationError(
            f"Enter the price as a number such as 4.95, not {str(price)[:20]!r}.", field="price"
        ) from exc
    if not value.is_finite():
        raise ApplicationError("Enter the price as a number such as 4.95.", field="price")
    if value < 0:
        raise ApplicationError("A price cannot be negative: enter 0 for free shipping.", field="price")
    if value != value.quantize(Decimal("0.01")):
        raise ApplicationError("Give the price with at most 2 decimal places.", field="price")
    if value > _PRICE_MAX:
        raise ApplicationError(f"Enter a price of at most {_PRICE_MAX}.", field="price")
    return value.quantize(Decimal("0.01"))


def _rate_conflicts(rate: ShippingRate) -> None:
    others = ShippingRate.objects.filter(shipping_method=rate.shipping_method, currency=rate.currency).exclude(
        pk=rate.pk
    )
    for other in others.select_for_update():
        if other.country_group.lower() == rate.country_group.lower():
            raise ApplicationError(
                f"{rate.shipping_method.code} already has a {rate.currency} price for “{other.country_group}”: "
                "edit that rate instead.",
                field="country_group",
            )
        overlap = sorted(set(other.countries) & set(rate.countries))
        if overlap:
            raise ApplicationError(
                f"{', '.join(overlap)} already has a {rate.currency} price in “{other.country_group}”: a country gets "
                "one price per currency. Remove it from one of the two groups.",
                field="countries",
            )


def _rate_fields(*, country_group: Any, countries: Any, currency: Any, price: Any) -> dict[str, Any]:
    return {
        "country_group": _text(country_group, field="country_group", label="country group name", max_length=64),
        "countries": countries_clean(countries),
        "currency": currency_clean(currency),
        "price": price_clean(price),
    }


@transaction.atomic
def shipping_rate_create(
    *,
    method: ShippingMethod,
    country_group: str,
    countries: Sequence[str] | str,
    currency: str,
    price: Any,
    actor: Any = None,
) -> ShippingRate:
    rate = ShippingRate(
        shipping_method=method,
        **_rate_fields(country_group=country_group, countries=countries, currency=currency, price=price),
    )
    _rate_conflicts(rate)
    rate.save()
    return rate


@transaction.atomic
def shipping_rate_update(
    *,
    rate: ShippingRate,
    country_group: str,
    countries: Sequence[str] | str,
    currency: str,
    price: Any,
    actor: Any = None,
) -> ShippingRate:
    values = _rate_fields(country_group=country_group, countries=countries, currency=currency, price=price)
    for name_, value in values.items():
        setattr(rate, name_, value)
    try:
        _rate_conflicts(rate)
    except ApplicationError:
        rate.refresh_from_db()
        raise
    rate.save(update_fields=[*values, "updated_at"])
    return rate


@transaction.atomic
def shipping_rate_delete(*, rate: ShippingRate, actor: Any = None) -> None:
    """Rates are prices, referenced by nothing: removing one just stops offering that destination and currency."""
    rate.delete()


# --- mappings of store variants to the catalog ----------------------------------------------------------------------


def variant_mappings_announce(*, store: Store, variant_ids: Iterable[int]) -> int:
    """Tells the apps above (orders) that these variants' mappings changed; returns how many held orders contain them.

    Call it after the change is committed: the receivers re-read the variants.
    """
    ids = list(variant_ids)
    if not ids:
        return 0
    held = 0
    for _receiver, orders in variant_mappings_saved.send(sender=StoreVariant, store=store, variant_ids=ids):
        held += orders.count() if orders is not None else 0
    return held


@dataclass(frozen=True)
class MappingData:
    """What a variant is connected to: the catalog product (by UID, as clients know it) and how to print it."""

    product_uid: str
    design_file_url: str = ""
    print_spec_overrides: Mapping[str, str] = field(default_factory=dict)
    attribute_specs: Mapping[str, str] = field(default_factory=dict)


_DESIGN_URL_MAX = StoreVariant._meta.get_field("design_file_url").max_length
_design_url_validator = URLValidator(schemes=["http", "https"])


def design_file_url_clean(url: Any) -> str:
    """Empty, or a full http(s) address the print file can be downloaded from. Shared by the form and bulk import."""
    text = str(url or "").strip()
    if not text:
        return ""
    if len(text) > _DESIGN_URL_MAX:
        raise ApplicationError(
            f"The design file URL is {len(text)} characters long; at most {_DESIGN_URL_MAX} fit. "
            "Use a shorter link to the file.",
            field="design_file_url",
        )
    try:
        _design_url_validator(text)
    except ValidationError as exc:
        raise ApplicationError(
            "The design file URL must be a full http:// or https:// address, e.g. https://files.example.com/a4.pdf.",
            field="design_file_url",
        ) from exc
    return text


@dataclass(frozen=True)
class MappingSaved:
    variant: StoreVariant
    # Orders on hold that contain the variant: the ones the new mapping lets through once they are re-processed.
    held_orders: int


_ATTRIBUTE_SPECS_MAX = _SPECS_MAX


def mapping_product_find(uid: Any) -> CatalogProduct:
    """The active catalog product a client names by UID, in any case; what to do when there is none."""
    if not str(uid or "").strip():
        raise ApplicationError(
            "Enter the product UID of the catalog product, or pick one from the catalog search.", field="product_uid"
        )
    try:
        text = catalog_uid_clean(uid)
    except ApplicationError as exc:
        raise ApplicationError(exc.message, field="product_uid") from exc
    product = catalog_products_by_uid([text]).get(text.lower())
    if product is None:
        raise ApplicationError(
            f"There is no active catalog product with UID {text!r}. Pick one from the catalog search.",
            field="product_uid",
        )
    return product


def attribute_specs_clean(specs: Any, *, attributes: Mapping[str, Any]) -> dict[str, str]:
    """Store attribute name -> print-spec key. Each name must be one of the variant's attributes; each key a print
    spec name as print_specs_clean allows it, lower case (so "Format" and "format" are the same spec). Empty keys
    drop the attribute (the form's "not mapped")."""
    if specs is None:
        return {}
    if not isinstance(specs, Mapping):
        raise ApplicationError(
            "Give the attribute mapping as store attribute / print spec pairs, e.g. “Size → format”.",
            field="attribute_specs",
        )
    if len(specs) > _ATTRIBUTE_SPECS_MAX:
        raise ApplicationError(
            f"Map {_ATTRIBUTE_SPECS_MAX} attributes at most (there are {len(specs)}).", field="attribute_specs"
        )
    cleaned: dict[str, str] = {}
    for name, raw_key in specs.items():
        if name not in attributes:
            known = ", ".join(f"“{key}”" for key in attributes) or "none"
            raise ApplicationError(
                f"This variant has no attribute “{str(name)[:60]}” (its attributes: {known}). Map only those.",
                field="attribute_specs",
            )
        if not isinstance(raw_key, str):
            raise ApplicationError(
                f"Give the print spec for “{name}” as a name such as format or paper.", field="attribute_specs"
            )
        key = raw_key.strip().lower()
        if not key:
            continue
        if not _SPEC_KEY_RE.fullmatch(key):
            raise ApplicationError(
                f"Print spec name {raw_key[:60]!r} for “{name}” is not valid: start with a letter or digit and use at "
                "most 40 letters, digits, spaces, '-', '_' or '.'.",
                field="attribute_specs",
            )
        cleaned[name] = key
    doubled = sorted(key for key, count in Counter(cleaned.values()).items() if count > 1)
    if doubled:
        raise ApplicationError(
            f"Two attributes set print spec “{doubled[0]}”: map each print spec from one attribute only.",
            field="attribute_specs",
        )
    return cleaned


@transaction.atomic
def _mapping_write(variant: StoreVariant, **values: Any) -> None:
    for name, value in values.items():
        setattr(variant, name, value)
    variant.save(update_fields=[*values, "updated_at"])


def variant_mapping_save(*, variant: StoreVariant, data: MappingData, actor: Any = None) -> MappingSaved:
    """Connect a store variant to a catalog product (or change its connection); nothing changes on bad input.

    Announced to the orders app once committed (when called inside a caller's transaction: once that one is, as the
    receivers then read the same connection), so held orders containing the variant can be re-processed.
    """
    product = mapping_product_find(data.product_uid)
    design_file_url = design_file_url_clean(data.design_file_url)
    try:
        overrides = print_specs_clean(dict(data.print_spec_overrides or {}))
    except ApplicationError as exc:
        raise ApplicationError(exc.message, field="print_spec_overrides") from exc
    attribute_specs = attribute_specs_clean(data.attribute_specs, attributes=variant.attributes or {})
    _mapping_write(
        variant,
        catalog_product=product,
        design_file_url=design_file_url,
        print_spec_overrides=overrides,
        attribute_specs=attribute_specs,
        mapped_at=timezone.now(),
    )
    held = variant_mappings_announce(store=variant.store, variant_ids=[variant.pk])
    return MappingSaved(variant=variant, held_orders=held)


def variant_mapping_clear(*, variant: StoreVariant, actor: Any = None) -> StoreVariant:
    """Disconnect a variant from the catalog: orders containing it are held ("unmapped product") again."""
    _mapping_write(
        variant, catalog_product=None, design_file_url="", print_spec_overrides={}, attribute_specs={}, mapped_at=None
    )
    variant_mappings_announce(store=variant.store, variant_ids=[variant.pk])
    return variant
