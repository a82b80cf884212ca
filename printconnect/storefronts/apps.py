from django.apps import AppConfig


class StorefrontsConfig(AppConfig):
    name = "printconnect.storefronts"
    label = "storefronts"
    verbose_name = "Stores and portal"
