from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "printconnect.core"
    label = "core"
    verbose_name = "Accounts and plumbing"

    def ready(self) -> None:
        from printconnect.core import checks  # noqa: F401  (registers the system checks)
