"""The demo print shop's catalog, carriers and shipping methods (called by seed_demo; safe to run again).

The products match what the sandbox's demo shops sell (posters, flyers, business cards...), so a client can map
the synced store products to them right away. Existing rows are left as they are, so staff edits survive.
"""

from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from printconnect.catalog.models import Carrier, CatalogProduct, ShippingMethod
from printconnect.catalog.services import (
    carrier_create,
    catalog_product_create,
    shipping_method_create,
    shipping_rate_create,
)

PRINTABLE, STOCK = CatalogProduct.Kind.PRINTABLE, CatalogProduct.Kind.STOCK

PRODUCTS: list[tuple[str, str, str, dict[str, str]]] = [
    ("POSTER-170M", "Poster, 170 g matte", PRINTABLE, {"format": "A2", "paper": "170 g matte", "colours": "4/0"}),
    ("POSTER-200G", "Poster, 200 g gloss", PRINTABLE, {"format": "A2", "paper": "200 g gloss", "colours": "4/0"}),
    ("FLYER-135", "Flyer, 135 g gloss", PRINTABLE, {"format": "A5", "paper": "135 g gloss", "colours": "4/4"}),
    ("FLYER-170", "Flyer, 170 g silk", PRINTABLE, {"format": "A5", "paper": "170 g silk", "colours": "4/4"}),
    (
        "BC-85x55",
        "Business cards 85x55 mm",
        PRINTABLE,
        {"format": "85x55 mm", "paper": "350 g silk", "colours": "4/4", "finish": "matte laminate"},
    ),
    ("CANVAS-38", "Canvas on 38 mm frame", PRINTABLE, {"format": "40x60 cm", "frame": "38 mm", "colours": "4/0"}),
    ("GREET-A6", "Greeting card, folded A6", PRINTABLE, {"format": "A6", "pages": "4", "paper": "300 g"}),
    ("CAL-A3", "Wall calendar A3", PRINTABLE, {"format": "A3", "pages": "28", "binding": "wire-o"}),
    ("ROLLUP-85", "Roll-up banner with cassette", PRINTABLE, {"format": "85x200 cm", "material": "blockout PET"}),
    ("PB-A4", "Photo book A4, hardcover", PRINTABLE, {"format": "A4", "pages": "24", "paper": "170 g silk"}),
    ("STK-A5", "Sticker sheet A5, kiss-cut", PRINTABLE, {"format": "A5", "material": "vinyl", "finish": "gloss"}),
    ("BOX-GIFT", "Gift box", STOCK, {}),
    ("FRAME-A3", "Picture frame A3, black", STOCK, {}),
    ("TUBE-POSTER", "Poster tube", STOCK, {}),
]

CARRIERS = [
    ("POSTNL", "PostNL", "https://jouw.postnl.nl/track-and-trace/{tracking}"),
    ("DHL", "DHL Parcel", "https://www.dhl.com/nl-en/home/tracking.html?tracking-id={tracking}"),
    ("DPD", "DPD", "https://tracking.dpd.de/status/en_US/parcel/{tracking}"),
    ("PICKUP", "Collect at the print shop", ""),
]

# code, name, carrier, service level, [(country group, countries, currency, price)]
EU = "AT BE DE DK ES FI FR IE IT LU PL PT SE"
METHODS = [
    (
        "STD-NL",
        "Standard parcel",
        "POSTNL",
        "standard",
        [("Netherlands", "NL", "EUR", "4.95"), ("EU", EU, "EUR", "9.95"), ("UK", "GB", "GBP", "12.50")],
    ),
    (
        "EXP-24",
        "Express next day",
        "DHL",
        "express",
        [("Netherlands", "NL", "EUR", "9.95"), ("EU", EU, "EUR", "19.95")],
    ),
    ("ECO-EU", "Economy Europe", "DPD", "economy", [("EU", EU, "EUR", "6.95")]),
    ("PICKUP", "Collect in store", "PICKUP", "standard", [("Netherlands", "NL", "EUR", "0.00")]),
]


class Command(BaseCommand):
    help = "Create the demo catalog products, carriers and shipping methods with their rates (safe to run again)."

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        created = 0
        for uid, name, kind, specs in PRODUCTS:
            if not CatalogProduct.objects.filter(uid__iexact=uid).exists():
                catalog_product_create(uid=uid, name=name, kind=kind, print_specs=specs)
                created += 1
        carriers = {}
        for code, name, template in CARRIERS:
            carriers[code] = Carrier.objects.filter(code__iexact=code).first() or carrier_create(
                code=code, name=name, tracking_url_template=template
            )
        for code, name, carrier, level, rates in METHODS:
            if ShippingMethod.objects.filter(code__iexact=code).exists():
                continue
            method = shipping_method_create(code=code, name=name, carrier=carriers[carrier], service_level=level)
            for group, countries, currency, price in rates:
                shipping_rate_create(
                    method=method,
                    country_group=group,
                    countries=countries.split(),
                    currency=currency,
                    price=Decimal(price),
                )
        self.stdout.write(f"Catalog ready ({created} products added).")
