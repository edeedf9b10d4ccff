from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "panel.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Registers the token scheme with drf-spectacular.
        from panel.accounts.api import schema  # noqa: F401
