"""Reads of name proofs, scoped to what the actor may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from panel.names.models import NameProof

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from panel.accounts.models import User


def name_proof_list(*, actor: User | AnonymousUser) -> QuerySet[NameProof]:
    return NameProof.objects.visible_to(actor).select_related("account")
