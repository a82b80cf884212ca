"""`manage.py run_sandbox`: the loopback platform emulators (DESIGN section 9) for the demo and connectors."""

from django.core.management.base import BaseCommand, CommandParser

from printconnect.sandbox.server import main as sandbox_main


class Command(BaseCommand):
    help = "Serve the WooCommerce sandbox on loopback (e.g. --port 8100 --seed-demo --stream)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8100)
        parser.add_argument("--seed-demo", action="store_true", help="create and seed the demo stores")
        parser.add_argument("--stream", action="store_true", help="add a few new orders every minute")

    def handle(self, *args: object, **options: object) -> None:
        argv = ["--host", str(options["host"]), "--port", str(options["port"])]
        argv += ["--seed-demo"] * bool(options["seed_demo"]) + ["--stream"] * bool(options["stream"])
        sandbox_main(argv)
