from django.apps import AppConfig


class DnsConfig(AppConfig):
    name = "panel.dns"
    label = "dns"
    verbose_name = "DNS"

    def ready(self) -> None:
        # Registers the DNS service with the provisioning engine and the account disable/enable hooks.
        from panel.dns import provisioning, services  # noqa: F401
