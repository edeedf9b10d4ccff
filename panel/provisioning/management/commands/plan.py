from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from panel.provisioning import engine
from panel.provisioning.choices import RunKind
from panel.provisioning.management.commands._common import server_named, services_of


class Command(BaseCommand):
    help = "Show what applying the panel's desired state would change on a server (check mode + diff)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("server")
        parser.add_argument("service", nargs="?")

    def handle(self, *args: Any, server: str, service: str | None, **options: Any) -> None:
        target = server_named(server)
        for name in services_of(target, service):
            run = engine.check(target, name, kind=RunKind.PLAN)
            changed = [event for event in run.events.all() if event.status == "changed"]
            self.stdout.write(f"== {name} on {target}: {run.status}, {len(changed)} change(s) (run #{run.pk})")
            for event in changed:
                self.stdout.write(f"-- {event.task} {event.item}".rstrip())
                if event.diff:
                    self.stdout.write(event.diff)
