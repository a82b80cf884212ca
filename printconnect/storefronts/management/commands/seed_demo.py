"""Demo data for `make run`: a staff user, two clients with storefront access, their admins and stores.

Idempotent: running it again changes nothing that exists (passwords people changed are kept).
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from printconnect.clients.models import Client, Membership
from printconnect.core.models import User
from printconnect.core.permissions import Role

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

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        from allauth.account.models import EmailAddress

        from printconnect.storefronts.models import Store
        from printconnect.storefronts.services import membership_permissions_sync, store_create_manual

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
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
