from __future__ import annotations

from django.core.management.base import CommandError

from panel.provisioning import registry
from panel.servers.models import Server


def server_named(name: str) -> Server:
    try:
        return Server.objects.get(name=name)
    except Server.DoesNotExist as error:
        raise CommandError(f"No server named {name!r}.") from error


def services_of(server: Server, service: str | None) -> list[str]:
    if service:
        registry.get(service)
        return [service]
    return [name for name in registry.names() if set(registry.get(name).server_roles) & set(server.roles)]
