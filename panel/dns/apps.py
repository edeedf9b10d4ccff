from django.apps import AppConfig


class DnsConfig(AppConfig):
    name = "panel.dns"
    label = "dns"
    verbose_name = "DNS"

    def ready(self) -> None:
        # Registers the DNS service with the provisioning engine.
        from panel.dns import provisioning  # noqa: F401
