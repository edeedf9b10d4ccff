from django.db import models


class ServerRole(models.TextChoices):
    """The service roles a server can play. Each maps to inventory group `<role with _>` (dns_primary...)."""

    DNS_PRIMARY = "dns-primary", "DNS primary"
    DNS_SECONDARY = "dns-secondary", "DNS secondary"
    MAIL = "mail", "Mail"
    WEB = "web", "Web"
    DATABASE = "database", "Database"
    LISTS = "lists", "Mailing lists"
