from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "printconnect.orders"
    label = "orders"

    def ready(self) -> None:
        from printconnect.orders import receivers  # noqa: F401  (connects the signal receivers)
