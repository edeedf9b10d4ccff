from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "panel.web"
    label = "web"
    verbose_name = "Websites"

    def ready(self) -> None:
        # Registers the web service with the provisioning engine and the account disable/enable hooks.
        from panel.web import provisioning, services  # noqa: F401
