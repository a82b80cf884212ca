from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "printconnect.integrations"
    label = "integrations"

    def ready(self) -> None:
        from printconnect.integrations import receivers  # noqa: F401  (connects the signal receivers)
