from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "panel.mail"
    label = "mail"
    verbose_name = "Mail"

    def ready(self) -> None:
        # Registers the mail service with the provisioning engine and the account disable/enable hooks.
        from panel.mail import provisioning, services  # noqa: F401
