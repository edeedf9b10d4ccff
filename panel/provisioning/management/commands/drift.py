from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from panel.provisioning import engine
from panel.provisioning.choices import RunKind, RunStatus
from panel.provisioning.management.commands._common import server_named, services_of
from panel.servers.models import Server


class Command(BaseCommand):
    help = "Check servers for drift from the panel's desired state (check mode). Exit status 1 on drift."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("server", nargs="?", help="default: every active server")
        parser.add_argument("service", nargs="?")

    def handle(self, *args: Any, server: str | None, service: str | None, **options: Any) -> None:
        servers = [server_named(server)] if server else list(Server.objects.filter(is_active=True))
        drifted = False
        for target in servers:
            for name in services_of(target, service):
                run = engine.check(target, name, kind=RunKind.DRIFT)
                if run.status == RunStatus.SKIPPED:
                    self.stdout.write(f"{target} {name}: skipped, busy with another run (run #{run.pk})")
                    continue
                drifted = drifted or bool(run.drift) or run.status not in {RunStatus.SUCCESSFUL, RunStatus.PARTIAL}
                state = "drift" if run.drift else "in sync"
                self.stdout.write(f"{target} {name}: {state} ({run.status}, run #{run.pk})")
                for event in run.events.filter(status="changed"):
                    self.stdout.write(f"  differs: {event.task} {event.item}".rstrip())
        if drifted:
            raise SystemExit(1)
