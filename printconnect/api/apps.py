from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "printconnect.api"
    label = "api"
    verbose_name = "Production API"
