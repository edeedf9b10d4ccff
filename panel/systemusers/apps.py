from django.apps import AppConfig


class SystemUsersConfig(AppConfig):
    name = "panel.systemusers"
    label = "systemusers"
    verbose_name = "System users"

    def ready(self) -> None:
        # Registers the users service with the provisioning engine, the account disable/enable hooks and the
        # billable system users; and the daily removal of deleted accounts' homes.
        from panel.systemusers import provisioning, services, tasks  # noqa: F401
