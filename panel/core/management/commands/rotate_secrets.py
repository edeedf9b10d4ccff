"""Re-encrypt every stored secret under the first key of BATON_SECRET_KEYS (after putting a new key first); the old
keys can then be dropped from the setting."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from panel.core.secrets import ENCRYPTED_FIELDS, rotate


class Command(BaseCommand):
    help = "Re-encrypt every stored secret under the first key of BATON_SECRET_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for entry in ENCRYPTED_FIELDS:
            model = apps.get_model(entry.model)
            with transaction.atomic():
                rows = model._default_manager.select_for_update().exclude(**{entry.field: ""})
                for pk, token in rows.values_list("pk", entry.field):
                    model._default_manager.filter(pk=pk).update(**{entry.field: rotate(token)})
                    total += 1
        self.stdout.write(f"{total} secret(s) re-encrypted under the first key.")
