"""`manage.py feeds_ensure [--store ID ...]`: give connected stores the feeds their connector offers.

Safe to run again: existing feeds keep their schedule and switch. Useful after a connector gains a capability, and
used by `seed_demo` for the demo's connected store (storefronts cannot import integrations, so it calls this).
"""

from django.core.management.base import BaseCommand, CommandParser

from printconnect.integrations.services import feeds_ensure_for_store
from printconnect.storefronts.models import Store


class Command(BaseCommand):
    help = "Create the missing feeds (with default schedules) of connected stores; existing feeds are kept."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--store", type=int, action="append", default=[], help="only this store id (repeatable)")

    def handle(self, *args: object, **options: object) -> None:
        stores = Store.objects.exclude(platform=Store.Platform.MANUAL).order_by("pk")
        if options["store"]:
            stores = stores.filter(pk__in=options["store"])
        total = 0
        for store in stores.iterator():
            total += len(feeds_ensure_for_store(store=store))
        self.stdout.write(f"Feeds ready: {total} feeds on {stores.count()} connected stores.")
