from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "printconnect.orders"
    label = "orders"
