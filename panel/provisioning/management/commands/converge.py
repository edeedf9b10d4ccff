from __future__ import annotations

import time
from typing import Any

from django.conf import settings
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
        parser.add_argument(
            "--wait",
            type=float,
            default=None,
            help="seconds to wait for a run in progress on the server (default: one lease)",
        )

    def _process_when_free(self, server_id: int, service: str, *, timeout: float | None) -> None:
        """Wait for the server like a worker would: its current run ends, or a dead holder's lease runs out."""
        deadline = time.monotonic() + (settings.BATON_LEASE_SECONDS + 5 if timeout is None else timeout)
        while not engine.process(server_id, service):
            if time.monotonic() > deadline:
                raise CommandError("The server is busy with another run; try again.")
            time.sleep(1)

    def handle(self, *args: Any, server: str, service: str | None, **options: Any) -> None:
        target = server_named(server)
        failed = False
        for name in services_of(target, service):
            change_set = request(server=target, service=name, objects=(), actor=None)
            self._process_when_free(target.pk, name, timeout=options["wait"])
            change_set = ChangeSet.objects.get(pk=change_set.pk)
            self.stdout.write(f"{target} {name}: change set #{change_set.pk} {change_set.state}")
            if change_set.error:
                self.stdout.write(change_set.error)
            failed = failed or change_set.state != "applied"
        if failed:  # partial too: the refused objects need someone's attention
            raise CommandError("converge failed or partially failed (see above)")
