import factory

from printconnect.clients.models import Client


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n}")
    reference = factory.Sequence(lambda n: f"REF-{n:04d}")
    storefront_access = True
