"""Deterministic demo data for a sandbox WooCommerce store: a print shop's catalogue and its orders.

`seed_store(store, products=N, orders=M, lines_per_order=K, seed=S, now=T)` gives the same catalogue and orders for the
same arguments (Faker and `random.Random` seeded with S; dates relative to T). `add_orders(store, n)` continues the
store's random stream to simulate new orders arriving. All dates are stored in UTC; the API renders `date_x` in the
store's zone and `date_x_gmt` in UTC.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from faker import Faker

from printconnect.sandbox.woocommerce.app import BASE_MARK, money, new_product, new_variation

if TYPE_CHECKING:
    from printconnect.sandbox.woocommerce.app import Store

STOCK_TAG = {"id": 90, "name": "printconnect-stock", "slug": "printconnect-stock"}
TYPE_META_KEY = "_printconnect_product_type"  # "stock" for stock items, "print" for printed products
CENT = Decimal("0.01")

# Global attributes (pa_*) have an id; local ones have id 0 and no taxonomy, like WooCommerce.
SIZE = {"id": 1, "name": "Size", "slug": "pa_size"}
PAPER = {"id": 2, "name": "Paper", "slug": "pa_paper"}
FINISH = {"id": 0, "name": "Finish", "slug": "finish"}

# name, sku prefix, price, variation axes [(attribute, [options], price step)], stock item?
CATALOGUE: list[tuple[str, str, str, list[tuple[dict[str, Any], list[str], str]], bool]] = [
    ("Poster", "POS", "12.50", [(SIZE, ["A3", "A2", "A1"], "6.00"), (PAPER, ["Matte", "Gloss"], "1.50")], False),
    ("Flyers (50)", "FLY", "19.95", [(SIZE, ["A6", "A5"], "8.00"), (PAPER, ["135g", "170g"], "3.00")], False),
    ("Business cards (250)", "BC", "24.00", [(FINISH, ["Matte", "Soft-touch", "Linen"], "5.00")], False),
    ("Gift box", "GBX", "4.50", [], True),
    ("Canvas print", "CAN", "39.00", [(SIZE, ["30x40", "40x60", "60x90"], "20.00")], False),
    ("Greeting card", "GC", "3.25", [], False),
    ("Picture frame A3", "FRM", "14.95", [(SIZE, ["A3", "A2"], "6.00")], True),
    ("Wall calendar A3", "CAL", "22.50", [], False),
    ("Roll-up banner", "RUB", "89.00", [(SIZE, ["85x200", "100x200"], "15.00")], False),
    ("Poster tube", "TUB", "2.00", [], True),
    ("Photo book A4", "PB", "34.95", [(PAPER, ["Silk", "Lustre"], "4.00")], False),
    ("Sticker sheet", "STK", "6.50", [], False),
]

SHIPPING = [("flat_rate", "Flat rate", "4.95", "1"), ("free_shipping", "Free shipping", "0.00", "2")]
SHIPPING += [("local_pickup", "Local pickup", "0.00", "3")]
PAYMENTS = [("stripe", "Credit card (Stripe)"), ("ppcp-gateway", "PayPal"), ("bacs", "Direct bank transfer")]
PAYMENTS += [("mollie_wc_gateway_ideal", "iDEAL")]


@dataclass
class SeedState:
    rng: random.Random
    fake: Faker


def _state(store: Store, seed: int | None = None) -> SeedState:
    if seed is not None or store.rng is None:
        if seed is None:
            seed = int.from_bytes(hashlib.sha256(store.slug.encode()).digest()[:4], "big")
        rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not security
        fake = Faker(store.locale)
        fake.seed_instance(seed)
        store.rng = SeedState(rng, fake)
    return store.rng


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def seed_store(
    store: Store,
    *,
    products: int = 12,
    orders: int = 40,
    lines_per_order: int | tuple[int, int] | list[int] = (1, 3),
    seed: int = 1,
    now: datetime | None = None,
    days: int = 30,
) -> None:
    """Fill an empty store: `products` products (variable and simple, some stock items), then `orders` orders spread
    over the `days` before `now`, oldest first (ids ascending with time)."""
    now = (now or _now()).astimezone(UTC).replace(microsecond=0)
    state = _state(store, seed)
    with store.lock:
        created = now - timedelta(days=days + 30)
        for index in range(products):
            name, prefix, price, axes, stock = CATALOGUE[index % len(CATALOGUE)]
            round_no = index // len(CATALOGUE)
            if round_no:
                name, prefix = f"{name} #{round_no + 1}", f"{prefix}{round_no + 1}"
            _add_catalogue_product(store, state, name, prefix, Decimal(price), axes, stock, created)
            created += timedelta(minutes=state.rng.randint(5, 600))
        start = now - timedelta(days=days)
        span = int((now - start).total_seconds()) - 3600
        moments = sorted(start + timedelta(seconds=state.rng.randint(0, max(span, 1))) for _ in range(orders))
        for moment in moments:
            status = state.rng.choices(
                ["processing", "pending", "cancelled", "on-hold", "completed"], weights=[75, 10, 5, 4, 6]
            )[0]
            store.add_order(_build_order(store, state, moment, status, lines_per_order, now))


def add_orders(
    store: Store,
    n: int,
    *,
    status: str | None = None,
    now: datetime | None = None,
    lines_per_order: int | tuple[int, int] | list[int] = (1, 3),
) -> list[dict[str, Any]]:
    """`n` new orders created in the seconds up to `now` (default: the current time), mostly processing."""
    now = (now or _now()).astimezone(UTC).replace(microsecond=0)
    state = _state(store)
    with store.lock:
        if not store.products:
            seed_store(store, products=12, orders=0, seed=state.rng.randint(1, 10**6), now=now)
        added = []
        for index in range(n):
            moment = now - timedelta(seconds=n - 1 - index)
            chosen = status or state.rng.choices(["processing", "pending", "on-hold"], weights=[85, 12, 3])[0]
            added.append(store.add_order(_build_order(store, state, moment, chosen, lines_per_order, now)))
        return added


# --- products -------------------------------------------------------------------------------------------------------


def _add_catalogue_product(
    store: Store,
    state: SeedState,
    name: str,
    prefix: str,
    price: Decimal,
    axes: list[tuple[dict[str, Any], list[str], str]],
    stock: bool,
    when: datetime,
) -> None:
    slug = name.lower().replace(" ", "-").replace("(", "").replace(")", "").replace("#", "")
    tags = [dict(STOCK_TAG)] if stock else []
    meta = [{"key": TYPE_META_KEY, "value": "stock" if stock else "print"}]
    category = {
        "id": 20 if stock else 15,
        "name": "Extras" if stock else "Print",
        "slug": "extras" if stock else "print",
    }
    images = [
        {"src": f"{BASE_MARK}/wp-content/uploads/{when:%Y/%m}/{slug}-{n}.png", "name": f"{slug}-{n}", "alt": name}
        for n in (1, 2)
    ]
    attributes = [
        {"id": a["id"], "name": a["name"], "position": i, "visible": True, "variation": True, "options": options}
        for i, (a, options, _step) in enumerate(axes)
    ]
    variable = bool(axes)
    product = new_product(
        store,
        name=name,
        kind="variable" if variable else "simple",
        sku=prefix,
        price=price,
        when=when,
        images=images,
        attributes=attributes,
        tags=tags,
        categories=[category],
        meta_data=meta,
        manage_stock=stock and not variable,
        stock_quantity=state.rng.randint(0, 80) if stock and not variable else None,
        description=f"<p>{state.fake.sentence(nb_words=12)}</p>",
    )
    variations = []
    if variable:
        combos: list[list[tuple[dict[str, Any], str, Decimal]]] = [[]]
        for attribute, options, step in axes:
            combos = [
                [*combo, (attribute, option, Decimal(step) * i)] for combo in combos for i, option in enumerate(options)
            ]
        for combo in combos:
            sku = "-".join([prefix, *(option.upper().replace(" ", "") for _a, option, _p in combo)])
            variation_price = price + sum((extra for _a, _o, extra in combo), Decimal(0))
            variations.append(
                new_variation(
                    store,
                    product,
                    attributes=[{**attribute, "option": option} for attribute, option, _p in combo],
                    sku=sku,
                    price=variation_price,
                    when=when,
                    image={"src": f"{BASE_MARK}/wp-content/uploads/{when:%Y/%m}/{sku.lower()}.png", "name": sku},
                    manage_stock=stock,
                    stock_quantity=state.rng.randint(0, 40) if stock else None,
                )
            )
        product["price"] = min((v["price"] for v in variations), key=Decimal)
        product["regular_price"] = ""  # WooCommerce leaves it empty on variable products
    store.add_product(product, variations)


# --- orders ---------------------------------------------------------------------------------------------------------


def _tax(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate / 100).quantize(CENT, ROUND_HALF_UP)


def _trim(value: Decimal) -> str:
    """A tax amount as WooCommerce prints it inside `taxes` (PHP float to string: no trailing zeros)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _lines(spec: int | tuple[int, int] | list[int], rng: random.Random) -> int:
    if isinstance(spec, int):
        return spec
    low, high = spec
    return rng.randint(low, high)


def _build_order(
    store: Store,
    state: SeedState,
    created: datetime,
    status: str,
    lines_per_order: int | tuple[int, int] | list[int],
    now: datetime,
) -> dict[str, Any]:
    rng, fake = state.rng, state.fake
    order_id = store.next_post_id()
    rate = store.tax_rate
    rate_id = 1
    first, last = fake.first_name(), fake.last_name()
    company = fake.company() if rng.random() < 0.3 else ""
    address = {
        "first_name": first,
        "last_name": last,
        "company": company,
        "address_1": fake.street_address(),
        "address_2": "",
        "city": fake.city(),
        "state": fake.state_abbr() if store.country == "US" else "",
        "postcode": fake.postcode(),
        "country": store.country,
    }
    billing = {**address, "email": f"{first}.{last}@example.com".lower().replace(" ", ""), "phone": fake.phone_number()}
    shipping = {**address, "phone": ""}
    coupon = rng.random() < 0.1
    line_items = []
    used: set[tuple[int, int]] = set()
    products = list(store.products.values())
    wanted = _lines(lines_per_order, rng)
    for _ in range(wanted * 10):  # distinct product/variation per line; retries keep the count at `wanted`
        if len(line_items) >= wanted:
            break
        product = rng.choice(products)
        variations = list(store.variations.get(product["id"], {}).values())
        variation = rng.choice(variations) if variations else None
        key = (product["id"], variation["id"] if variation else 0)
        if key in used:
            continue
        used.add(key)
        quantity = rng.choice([1, 1, 1, 2, 2, 3, 5, 10])
        price = Decimal((variation or product)["price"])
        subtotal = price * quantity
        total = (subtotal * Decimal("0.9")).quantize(CENT, ROUND_HALF_UP) if coupon else subtotal
        subtotal_tax, total_tax = _tax(subtotal, rate), _tax(total, rate)
        meta: list[dict[str, Any]] = []
        name = product["name"]
        if variation:
            options = []
            for attribute in variation["attributes"]:
                slug = next(
                    (
                        f"pa_{a['name'].lower()}"
                        for a in product["attributes"]
                        if a["id"] and a["id"] == attribute["id"]
                    ),
                    attribute["name"].lower(),
                )
                value = attribute["option"].lower() if slug.startswith("pa_") else attribute["option"]
                meta.append(
                    {
                        "id": store.next_meta_id(),
                        "key": slug,
                        "value": value,
                        "display_key": attribute["name"],
                        "display_value": attribute["option"],
                    }
                )
                options.append(attribute["option"])
            name = f"{product['name']} - {', '.join(options)}"
        item_id = store.next_item_id()
        is_stock = any(m["key"] == TYPE_META_KEY and m["value"] == "stock" for m in product["meta_data"])
        if not is_stock:
            url = f"{BASE_MARK}/files/{order_id}-{item_id}.pdf"
            meta.append(
                {
                    "id": store.next_meta_id(),
                    "key": "_print_file_url",
                    "value": url,
                    "display_key": "_print_file_url",
                    "display_value": url,
                }
            )
        image = (variation or {}).get("image") or (product["images"] or [{}])[0]
        line_items.append(
            {
                "id": item_id,
                "name": name,
                "product_id": product["id"],
                "variation_id": variation["id"] if variation else 0,
                "quantity": quantity,
                "tax_class": "",
                "subtotal": money(subtotal),
                "subtotal_tax": money(subtotal_tax),
                "total": money(total),
                "total_tax": money(total_tax),
                "taxes": [{"id": rate_id, "total": _trim(total_tax), "subtotal": _trim(subtotal_tax)}],
                "meta_data": meta,
                "sku": (variation or product)["sku"],
                "price": float(total / quantity),
                "image": {"id": image.get("id", ""), "src": image.get("src", "")},
                "parent_name": product["name"] if variation else None,
            }
        )
    items_total = sum((Decimal(li["total"]) for li in line_items), Decimal(0))
    method_id, method_title, ship_cost, instance = rng.choice(SHIPPING)
    if method_id == "flat_rate" and items_total >= 75:
        method_id, method_title, ship_cost, instance = SHIPPING[1]
    shipping_total = Decimal(ship_cost)
    shipping_tax = _tax(shipping_total, rate)
    items_label = ", ".join(f"{li['name']} &times; {li['quantity']}" for li in line_items)
    shipping_lines = [
        {
            "id": store.next_item_id(),
            "method_title": method_title,
            "method_id": method_id,
            "instance_id": instance,
            "total": money(shipping_total),
            "total_tax": money(shipping_tax),
            "taxes": [{"id": rate_id, "total": _trim(shipping_tax), "subtotal": ""}] if shipping_tax else [],
            "meta_data": [
                {
                    "id": store.next_meta_id(),
                    "key": "Items",
                    "value": items_label,
                    "display_key": "Items",
                    "display_value": items_label,
                }
            ],
        }
    ]
    fee_lines = []
    fee_total = fee_tax = Decimal(0)
    if rng.random() < 0.1:
        fee_total = Decimal("7.50")
        fee_tax = _tax(fee_total, rate)
        fee_lines.append(
            {
                "id": store.next_item_id(),
                "name": "Express production",
                "tax_class": "",
                "tax_status": "taxable",
                "amount": "7.5",
                "total": money(fee_total),
                "total_tax": money(fee_tax),
                "taxes": [{"id": rate_id, "total": _trim(fee_tax), "subtotal": ""}],
                "meta_data": [],
            }
        )
    discount = sum((Decimal(li["subtotal"]) - Decimal(li["total"]) for li in line_items), Decimal(0))
    discount_tax = sum((Decimal(li["subtotal_tax"]) - Decimal(li["total_tax"]) for li in line_items), Decimal(0))
    coupon_lines = []
    if coupon:
        coupon_lines.append(
            {
                "id": store.next_item_id(),
                "code": "welcome10",
                "discount": money(discount),
                "discount_tax": money(discount_tax),
                "meta_data": [],
            }
        )
    cart_tax = sum((Decimal(li["total_tax"]) for li in line_items), Decimal(0)) + fee_tax
    total_tax = cart_tax + shipping_tax
    grand_total = items_total + fee_total + shipping_total + total_tax
    tax_lines = [
        {
            "id": store.next_item_id(),
            "rate_code": f"{store.country}-{'BTW' if store.country == 'NL' else 'TAX'}-1",
            "rate_id": rate_id,
            "label": "BTW" if store.country == "NL" else "Tax",
            "compound": False,
            "tax_total": money(cart_tax),
            "shipping_tax_total": money(shipping_tax),
            "rate_percent": float(rate),
            "meta_data": [],
        }
    ]
    paid = status in ("processing", "completed", "on-hold") and not (status == "on-hold" and rng.random() < 0.5)
    if status == "on-hold":
        payment = PAYMENTS[2]  # bank transfer awaiting confirmation
        paid = False
    elif status in ("pending", "cancelled"):
        payment = rng.choice(PAYMENTS)
    else:
        payment = rng.choice([PAYMENTS[0], PAYMENTS[1], PAYMENTS[3]])
    date_paid = created + timedelta(seconds=rng.randint(5, 90)) if paid else None
    date_completed = None
    modified = date_paid or created + timedelta(seconds=rng.randint(0, 5))
    if status == "completed":
        date_completed = min(created + timedelta(hours=rng.randint(20, 72)), now)
        modified = date_completed
    elif status == "cancelled":
        modified = min(created + timedelta(hours=rng.randint(1, 48)), now)
    modified = min(modified, now)
    href = f"{BASE_MARK}/wp-json/wc/v3/orders"
    customer_id = rng.choice([0, 0, rng.randint(2, 400)])
    links: dict[str, Any] = {"self": [{"href": f"{href}/{order_id}"}], "collection": [{"href": href}]}
    if customer_id:
        links["customer"] = [{"href": f"{BASE_MARK}/wp-json/wc/v3/customers/{customer_id}"}]
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    order_key = "wc_order_" + "".join(rng.choice(alphabet) for _ in range(13))
    return {
        "id": order_id,
        "parent_id": 0,
        "number": str(order_id),
        "order_key": order_key,
        "created_via": "checkout",
        "version": "8.9.0",
        "status": status,
        "currency": store.currency,
        "currency_symbol": {"EUR": "€", "USD": "$", "GBP": "£"}.get(store.currency, store.currency),
        "date_created": created,
        "date_created_gmt": created,
        "date_modified": modified,
        "date_modified_gmt": modified,
        "discount_total": money(discount),
        "discount_tax": money(discount_tax),
        "shipping_total": money(shipping_total),
        "shipping_tax": money(shipping_tax),
        "cart_tax": money(cart_tax),
        "total": money(grand_total),
        "total_tax": money(total_tax),
        "prices_include_tax": False,
        "customer_id": customer_id,
        "customer_ip_address": fake.ipv4_public(),
        "customer_user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)",
        "customer_note": fake.sentence(nb_words=8) if rng.random() < 0.15 else "",
        "billing": billing,
        "shipping": shipping,
        "payment_method": payment[0],
        "payment_method_title": payment[1],
        "transaction_id": f"pi_{rng.getrandbits(96):024x}" if paid and payment[0] == "stripe" else "",
        "date_paid": date_paid,
        "date_paid_gmt": date_paid,
        "date_completed": date_completed,
        "date_completed_gmt": date_completed,
        "cart_hash": f"{rng.getrandbits(128):032x}",
        "meta_data": [
            {"id": store.next_meta_id(), "key": "is_vat_exempt", "value": "no"},
            {"id": store.next_meta_id(), "key": "_wc_order_attribution_source_type", "value": "typein"},
        ],
        "line_items": line_items,
        "tax_lines": tax_lines,
        "shipping_lines": shipping_lines,
        "fee_lines": fee_lines,
        "coupon_lines": coupon_lines,
        "refunds": [],
        "_links": links,
    }


def demo_credentials(slug: str) -> dict[str, str]:
    """Stable credentials for the demo stores, so a demo database configured once keeps working after a restart.
    Derived from the slug: for the loopback sandbox only, never for anything real."""

    def part(name: str, length: int) -> str:
        return hashlib.sha256(f"printconnect-sandbox-demo:{slug}:{name}".encode()).hexdigest()[:length]

    return {
        "consumer_key": f"ck_{part('key', 40)}",
        "consumer_secret": f"cs_{part('secret', 40)}",
        "webhook_secret": f"whsec-{part('webhook', 32)}",
    }


DEMO_STORES: list[dict[str, Any]] = [
    {
        "slug": "drukwerk-atelier",
        "name": "Drukwerk Atelier",
        "currency": "EUR",
        "utc_offset_hours": 2,
        "tax_rate": "21",
        "country": "NL",
        "locale": "nl_NL",
    },
    {
        "slug": "paper-parade",
        "name": "Paper Parade",
        "currency": "USD",
        "utc_offset_hours": -5,
        "tax_rate": "8.25",
        "country": "US",
        "locale": "en_US",
    },
]


def seed_demo(app: Any, *, orders: int = 60, now: datetime | None = None) -> list[Store]:
    """The demo's two stores, seeded (idempotent: existing stores are returned as they are)."""
    stores = []
    for number, spec in enumerate(DEMO_STORES, 1):
        if spec["slug"] in app.stores:
            stores.append(app.stores[spec["slug"]])
            continue
        store = app.create_store(**spec, **demo_credentials(spec["slug"]))
        seed_store(store, products=12, orders=orders, seed=number, now=now)
        stores.append(store)
    return stores
