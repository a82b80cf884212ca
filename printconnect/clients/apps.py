from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "printconnect.clients"
    label = "clients"
    verbose_name = "Clients"
