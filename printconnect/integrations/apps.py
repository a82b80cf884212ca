from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "printconnect.integrations"
    label = "integrations"
