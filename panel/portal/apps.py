from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "panel.portal"
    label = "portal"
    verbose_name = "Customer portal"
