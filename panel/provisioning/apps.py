from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "panel.provisioning"
    label = "provisioning"
    verbose_name = "Provisioning"
