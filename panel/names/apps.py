from django.apps import AppConfig


class NamesConfig(AppConfig):
    name = "panel.names"
    label = "names"
    verbose_name = "Name proofs"

    def ready(self) -> None:
        # The periodic recheck of names still waiting for their proof.
        from panel.names import tasks  # noqa: F401
