"""Proofs of names outside every zone hosted here (external DNS).

A website's or mail domain's name that a zone here holds belongs to that zone's account (`panel.core.names`). A
name no zone here holds could be anyone's: an object for it waits (`unproven`, nothing reaches a server) until its
account proves control of the name, by a TXT record `_baton-challenge.<name>` with the account's token on the
name's authoritative servers, or, for websites, by serving the token at `/.well-known/baton-challenge/<token>`.
A proof is kept for `BATON_NAME_PROOF_CACHE_SECONDS`; a new object for the name after that checks it again. An
object waiting for a proof does not hold its name: once an account proves a name (or holds its zone), the objects
other accounts made for it that still wait are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from panel.accounts.models import Account, User
from panel.accounts.registry import registry
from panel.core.access import require_account_writable
from panel.core.audit import record_change, snapshot
from panel.core.choices import ChangeAction
from panel.core.errors import Conflict, checked
from panel.core.names import name_and_parents, require_own_names
from panel.dns import validators as dns_validators
from panel.dns.models import Zone
from panel.names import checks
from panel.names.choices import ProofMethod
from panel.names.models import NameProof
from panel.provisioning.models import ChangeSet

ALL_METHODS = (ProofMethod.DNS, ProofMethod.HTTP)


def zone_holder(name: str) -> int | None:
    """The account whose zone here holds `name` (the closest zone), or None: the name is outside every zone."""
    zones = Zone.objects.filter(name__in=name_and_parents(name), pending_delete=False).values_list("name", "account")
    found = sorted(zones, key=lambda row: len(row[0]), reverse=True)
    return found[0][1] if found else None


def needs_proof(name: str) -> bool:
    return bool(settings.BATON_PROVE_EXTERNAL_NAMES) and zone_holder(name) is None


def _proof(account: Account, name: str, field: str) -> NameProof:
    existing = NameProof.objects.filter(account=account, name=name).first()
    if existing is not None:
        return existing
    waiting = NameProof.objects.filter(account=account, proven_at__isnull=True).count()
    if waiting >= settings.BATON_NAME_PROOFS_WAITING_MAX:
        raise Conflict(
            f"This account has {waiting} names waiting for their proof: prove or delete some (/api/names/) first.",
            field=field,
            code="too_many_waiting",
        )
    try:
        with transaction.atomic():
            proof, _ = NameProof.objects.get_or_create(account=account, name=name)
    except IntegrityError:  # created meanwhile by a concurrent request
        proof = NameProof.objects.get(account=account, name=name)
    return proof


def _fresh(proof: NameProof, methods: Sequence[str]) -> bool:
    if proof.proven_at is None or proof.proven_by not in methods:
        return False
    return timezone.now() - proof.proven_at < timedelta(seconds=settings.BATON_NAME_PROOF_CACHE_SECONDS)


def _check(proof: NameProof, methods: Sequence[str]) -> NameProof:
    """Runs the checks (DNS first) and records the outcome on the proof."""
    now = timezone.now()
    holder = zone_holder(proof.name)
    if holder is not None and holder != proof.account_id:
        reason, method = "This name belongs to another account here.", ""
    elif holder == proof.account_id:  # its zone came here meanwhile: the account's own name
        reason, method = None, ProofMethod.DNS
    else:
        reason, method = _run_checks(proof, methods)
    NameProof.objects.filter(pk=proof.pk).update(
        proven_at=None if reason else now, proven_by=method, checked_at=now, check_error=(reason or "")[:500]
    )
    proof.refresh_from_db()
    return proof


def _run_checks(proof: NameProof, methods: Sequence[str]) -> tuple[str | None, str]:
    """(None, the method that proved it), or (why none did, "")."""
    reasons = []
    for method in methods:
        check = checks.check_txt if method == ProofMethod.DNS else checks.check_http
        reason = check(proof.name, proof.token)
        if reason is None:
            return None, method
        reasons.append(reason)
    return " ".join(reasons), ""


def names_waiting(
    *,
    account: Account,
    names: Iterable[str],
    methods: Sequence[str] = ALL_METHODS,
    actor: User | None = None,
    field: str = "domains",
) -> set[str]:
    """Of `names` an object of `account` is being given: those that wait for the account's proof (the object waits
    for them). Each is checked now unless proven recently; the others (proven, or in the account's zone here) take
    precedence over the objects other accounts made for them that still wait, which are dropped."""
    waiting: set[str] = set()
    for name in names:
        if needs_proof(name):
            proof = _proof(account, name, field)
            if not _fresh(proof, methods) and not _check(proof, methods).proven:
                waiting.add(name)
    held = [name for name in names if name not in waiting]
    if held:
        names_take_over(names=held, account=account, actor=actor)
    return waiting


def names_take_over(*, names: list[str], account: Account, actor: User | None, below: str | None = None) -> None:
    """`account` proved `names` or holds them (or, with `below`, a zone over every name under it)."""
    for hook in registry.waiting_name_hooks:
        hook(names, below, account, actor)


@transaction.atomic
def name_proof_create(*, account: Account, name: str, actor: User | None) -> NameProof:
    """The challenge for `name`, before anything is created for it (the same one again if asked twice)."""
    require_account_writable(actor, account)
    name = checked("name", dns_validators.normalize_zone_name, name)
    require_own_names(names=[name], account=account, field="name")
    if zone_holder(name) is not None:
        raise Conflict("This name is in a zone hosted here: it needs no proof.", field="name", code="no_proof_needed")
    proof = _proof(account, name, "name")
    record_change(actor=actor, action=ChangeAction.CREATE, obj=proof, after=snapshot(proof))
    return proof


@transaction.atomic
def name_proof_check(*, proof: NameProof, actor: User | None) -> tuple[NameProof, list[ChangeSet]]:
    """Checks the proof now; when it holds, the account's objects waiting for the name go to their servers."""
    require_account_writable(actor, proof.account)
    proof = NameProof.objects.select_for_update().select_related("account").get(pk=proof.pk)
    if not _fresh(proof, ALL_METHODS):
        proof = _check(proof, ALL_METHODS)
    if not proof.proven:
        return proof, []
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=proof, after=snapshot(proof))
    names_take_over(names=[proof.name], account=proof.account, actor=actor)
    change_sets: list[ChangeSet] = []
    for hook in registry.name_proven_hooks:
        change_sets += hook(proof.account, proof.name, proof.proven_by, actor)
    return proof, change_sets


@transaction.atomic
def name_proof_delete(*, proof: NameProof, actor: User | None) -> None:
    """Forget the challenge (a new token next time). Objects already released stay served."""
    require_account_writable(actor, proof.account)
    record_change(actor=actor, action=ChangeAction.DELETE, obj=proof, before=snapshot(proof))
    proof.delete()
