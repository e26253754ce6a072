from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo world: seeding, the driver that walks programmes, their passphrase and letter."""

    name = "demo"
    verbose_name = "Demo"
