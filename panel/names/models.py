"""Proofs that an account controls a host name no zone hosted here holds (external DNS)."""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.db import models

from panel.core.models import TenantQuerySet, TimeStampedModel
from panel.names.choices import ProofMethod

CHALLENGE_LABEL = "_baton-challenge"
WELL_KNOWN_PATH = "/.well-known/baton-challenge/"


def new_token() -> str:
    return secrets.token_hex(20)


class NameProof(TimeStampedModel):
    """An account's challenge for one name, and whether it was met. The token stays the same for the account and
    the name, so the TXT record the customer publishes once keeps proving it (a new object rechecks it)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="name_proofs")
    name = models.CharField(max_length=253)
    token = models.CharField(max_length=64, default=new_token)
    proven_at = models.DateTimeField(null=True, blank=True, help_text="When the last successful check was.")
    proven_by = models.CharField(max_length=4, choices=ProofMethod.choices, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    check_error = models.CharField(max_length=500, blank=True, help_text="Why the last check did not prove it.")

    tenant_path: ClassVar[str] = "account"
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["account", "name"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["account", "name"], name="names_proof_unique_per_account"),
        ]

    def __str__(self) -> str:
        return f"{self.account.handle}: {self.name}"

    @property
    def proven(self) -> bool:
        return self.proven_at is not None

    @property
    def txt_name(self) -> str:
        return f"{CHALLENGE_LABEL}.{self.name}"

    @property
    def http_path(self) -> str:
        return f"{WELL_KNOWN_PATH}{self.token}"
