from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "printconnect.catalog"
    label = "catalog"
