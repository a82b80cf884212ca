"""Demo data for `make run`: the print shop's catalog (seed_catalog), a staff user, two clients with storefront
access, their admins and stores, and a
WooCommerce store of Acme connected to the sandbox's "Drukwerk Atelier" shop (`manage.py run_sandbox --seed-demo`,
started by `make run` on 127.0.0.1:8100), with its feeds.

Idempotent: running it again changes nothing that exists (passwords people changed are kept). It does not need the
sandbox to be running: the sandbox's demo credentials are derived from the shop's slug, so the connected store is
written directly, without a connection check.
"""

import os
from datetime import timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from printconnect.clients.models import Client, Membership
from printconnect.core.models import User
from printconnect.core.permissions import Role
from printconnect.sandbox.woocommerce.seed import demo_credentials

DEMO_PASSWORD = "demo-pass-2026"

DEMO = [
    {
        "client": {
            "name": "Acme Prints Ltd",
            "reference": "ACME-001",
            "description": "Posters and art prints.",
        },
        "admin": ("admin@acme-prints.test", "Alice", "Archer"),
        "stores": ["Acme phone orders", "Acme trade counter"],
        # name in printconnect -> the sandbox shop's slug
        "woocommerce": {"Acme web shop": "drukwerk-atelier"},
    },
    {
        "client": {
            "name": "Bloom Stationery",
            "reference": "BLOOM-002",
            "description": "Cards and notebooks.",
        },
        "admin": ("admin@bloom-stationery.test", "Ben", "Bloom"),
        "stores": ["Bloom wholesale"],
    },
]


class Command(BaseCommand):
    help = "Create the demo staff user, clients, client admins and stores (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sandbox-url",
            default=os.environ.get("SANDBOX_URL", "http://127.0.0.1:8100"),
            help="where run_sandbox serves the demo shops (default $SANDBOX_URL or http://127.0.0.1:8100)",
        )

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        from allauth.account.models import EmailAddress

        from printconnect.storefronts.models import Store
        from printconnect.storefronts.services import (
            membership_permissions_sync,
            store_create_connected,
            store_create_manual,
        )

        sandbox_url = str(options["sandbox_url"]).rstrip("/")

        staff, created = User.objects.get_or_create(
            email="staff@printconnect.test",
            defaults={"first_name": "Sam", "last_name": "Staff", "is_staff": True, "is_superuser": True},
        )
        if created:
            staff.set_password(DEMO_PASSWORD)
            staff.save()
        for spec in DEMO:
            client, _ = Client.objects.get_or_create(
                reference=spec["client"]["reference"],
                defaults={**spec["client"], "storefront_access": True},
            )
            email, first, last = spec["admin"]
            admin, created = User.objects.get_or_create(email=email, defaults={"first_name": first, "last_name": last})
            if created:
                admin.set_password(DEMO_PASSWORD)
                admin.save()
                EmailAddress.objects.get_or_create(
                    user=admin, email=email, defaults={"verified": True, "primary": True}
                )
            membership, created = Membership.objects.get_or_create(
                user=admin, defaults={"client": client, "role": Role.ADMIN}
            )
            if created:
                membership_permissions_sync(membership=membership)
            for name in spec["stores"]:
                if not Store.objects.filter(client=client, name=name).exists():
                    store_create_manual(client=client, name=name, actor=staff)
            for name, slug in spec.get("woocommerce", {}).items():
                if not Store.objects.filter(client=client, name=name).exists():
                    store_create_connected(
                        client=client,
                        name=name,
                        platform=Store.Platform.WOOCOMMERCE,
                        base_url=f"{sandbox_url}/woo/{slug}",
                        credentials=demo_credentials(slug),
                        actor=staff,
                        # The sandbox's shop has 30 days of orders: the last two weeks' are imported.
                        activation_date=timezone.now() - timedelta(days=14),
                    )
        # The catalog and feeds belong to apps above storefronts: their own commands seed them.
        call_command("seed_catalog", stdout=self.stdout)
        call_command("feeds_ensure", stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
