from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from panel.provisioning import engine
from panel.provisioning.management.commands._common import server_named, services_of
from panel.provisioning.models import ChangeSet
from panel.provisioning.services import request


class Command(BaseCommand):
    help = "Apply the panel's desired state to a server now (a full run), in this process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("server")
        parser.add_argument("service", nargs="?")

    def handle(self, *args: Any, server: str, service: str | None, **options: Any) -> None:
        target = server_named(server)
        failed = False
        for name in services_of(target, service):
            change_set = request(server=target, service=name, objects=(), actor=None)
            if not engine.process(target.pk, name):
                raise CommandError(f"{target} is busy with another run; try again.")
            change_set = ChangeSet.objects.get(pk=change_set.pk)
            self.stdout.write(f"{target} {name}: change set #{change_set.pk} {change_set.state}")
            if change_set.error:
                self.stdout.write(change_set.error)
            failed = failed or change_set.state != "applied"
        if failed:
            raise CommandError("converge failed")
