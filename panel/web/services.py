"""Every write to websites. Each marks the site pending and asks the provisioning engine to converge the account's
web server: the web service (its pool and vhost) and the users service (its directory in the account's home, and
the account's own unix user, which its PHP runs as). The web change set is returned.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from panel.accounts.models import Account, User
from panel.accounts.registry import (
    host_name_source,
    on_account_disable,
    on_account_enable,
    on_name_proven,
    waiting_name_holders,
)
from panel.core.access import require_account_writable
from panel.core.audit import record_change, snapshot
from panel.core.choices import ChangeAction
from panel.core.errors import Conflict, ValidationFailed, boolean, checked, checked_fields, one_of
from panel.core.names import held_in, require_own_names
from panel.core.secrets import digest, encrypt, encrypted_field
from panel.dns.models import Record, Zone
from panel.dns.services import record_create, records_unfollow
from panel.names.services import names_waiting
from panel.provisioning import services as provisioning
from panel.provisioning.choices import ApplyState
from panel.provisioning.hostvars.web import pool_unit, site_unit
from panel.provisioning.models import ChangeSet
from panel.servers.choices import ServerRole
from panel.servers.models import Server
from panel.servers.selectors import server_for
from panel.systemusers import services as systemusers
from panel.web import validators
from panel.web.certificates import check_certificate, covers
from panel.web.choices import HttpsMode, PhpMode
from panel.web.models import Certificate, Website, WebsiteDomain

SERVICE = "web"
WEBSITE_EDITABLE = ("php", "https", "is_enabled")


def _web_server(account: Account) -> Server:
    server = server_for(account=account, role=ServerRole.WEB)
    if server is None:
        raise Conflict("No web server is set up for this account yet; ask support.", code="no_server")
    return server


def _scope(site: Website, *, pool: bool = True) -> str:
    """A site fails when its vhost or its account's pool is refused. A change of the vhost alone (its names, HTTPS,
    its certificate) leaves the pool out: the run neither renders nor checks it."""
    return f"{site_unit(site.server_name)} {pool_unit(site.account.handle)}" if pool else site_unit(site.server_name)


# What a site's pool depends on: whether the site runs PHP and is active (an account without an active PHP site
# has no pool).
POOL_FIELDS = frozenset({"php", "is_enabled"})


def _converge(site: Website, actor: User | None, *, new: bool = False, pool: bool = True) -> ChangeSet:
    Website.objects.filter(pk=site.pk).update(apply_state=ApplyState.PENDING, apply_error="")
    if new:
        # The users role creates (and keeps) the site's directory, and the account's user its pool runs as; its
        # run is the account's, like a user change. Once that user is on the server, the web run makes a new
        # site's directory itself (the users role keeps it from its next run on): one run instead of two, so the
        # site serves sooner. A site's later changes leave both as they are: no users run.
        main, created = systemusers.account_user(site.account, site.server, actor)
        if created or main.server_id != site.server_id or main.apply_state != ApplyState.APPLIED:
            provisioning.request(
                server=site.server,
                service=systemusers.SERVICE,
                objects=[(main, systemusers.unit_of(site.account))],
                actor=actor,
            )
    scope = _scope(site, pool=pool or new)
    return provisioning.request(server=site.server, service=SERVICE, objects=[(site, scope)], actor=actor)


def _fields(changes: dict[str, Any]) -> dict[str, Any]:
    checks = {"php": one_of(PhpMode.values), "https": one_of(HttpsMode.values), "is_enabled": boolean}
    return checked_fields(changes, checks)


def _require_certificate(site: Website) -> None:
    """HTTPS needs the site's certificate, covering every domain of the site."""
    if site.https == HttpsMode.OFF:
        return
    stored = Certificate.objects.filter(website=site).first()
    if stored is None:
        raise Conflict(
            "HTTPS needs a certificate: upload one (PUT /api/websites/{id}/certificate/) first.",
            field="https",
            code="no_certificate",
        )
    uncovered = [d for d in site.domains.values_list("name", flat=True) if not _covered(d, stored.names)]
    if uncovered:
        raise Conflict(
            f"The site's certificate does not cover {', '.join(uncovered[:5])}: upload one that does, or turn HTTPS "
            "off first.",
            field="domains",
            code="not_covered",
        )


def _covered(domain: str, names: list[str]) -> bool:
    return any(covers(name, domain) for name in names)


def _set_domains(
    site: Website, domains: list[str], check: set[str], *, override: bool = False, actor: User | None = None
) -> bool:
    """The site's domains become `domains`; of those in `check`, the ones outside every zone here wait for the
    account's proof (unless staff `override`). Returns whether staff gave the site a name another account holds
    (for the audit entry)."""
    overridden = require_own_names(names=domains, account=site.account, field="domains", override=override, actor=actor)
    waiting = set(site.domains.filter(proven=False).values_list("name", flat=True)) - check
    if not override:
        waiting |= names_waiting(account=site.account, names=sorted(check), actor=actor)
    taken = WebsiteDomain.objects.filter(name__in=domains).exclude(website=site).values_list("name", flat=True)
    if taken:
        raise Conflict(f"'{sorted(taken)[0]}' is a domain of another site.", field="domains", code="taken")
    site.domains.all().delete()
    try:
        with transaction.atomic():
            WebsiteDomain.objects.bulk_create(
                WebsiteDomain(
                    website=site, name=name, is_primary=index == 0, position=index, proven=name not in waiting
                )
                for index, name in enumerate(domains)
            )
    except IntegrityError as error:  # taken meanwhile by another request
        raise Conflict(
            "A domain of this site was just taken by another site.", field="domains", code="taken"
        ) from error
    return overridden


def _waits(site: Website) -> bool:
    """No name of the site is proven yet: nothing of it goes to the server."""
    return not site.domains.filter(proven=True).exists()


def _dns_follows(site: Website, domains: Iterable[str], actor: User | None) -> None:
    """When the account's zone of a domain is hosted here, its A (and AAAA) records to the web server's public
    addresses follow automatically, unless the name has an address or an alias already."""
    addresses = _public_addresses(site.server)
    if not addresses:
        return
    zones = list(Zone.objects.filter(account=site.account, pending_delete=False))
    for domain in domains:
        zone = max((z for z in zones if domain == z.name or domain.endswith(f".{z.name}")), key=lambda z: len(z.name),
                   default=None)  # fmt: skip
        if zone is None:
            continue
        name = "@" if domain == zone.name else domain.removesuffix(f".{zone.name}")
        existing = Record.objects.filter(zone=zone, name=name, type__in=("A", "AAAA", "CNAME"), pending_delete=False)
        if existing.exists():
            continue
        for address in addresses:
            rtype = "A" if address.version == 4 else "AAAA"
            record_create(zone=zone, name=name, type=rtype, value=str(address), actor=actor, follows=_follows(site))


def _follows(site: Website) -> str:
    """What the records made for a site carry: they go with the site, or with its name."""
    return f"website:{site.pk}"


def _public_addresses(server: Server) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The server's public addresses (`public_ipv4`, `public_ipv6`; else the address other servers reach it at),
    those that are IP addresses."""
    found = []
    for address in server.public_addresses:
        try:
            found.append(ipaddress.ip_address(address))
        except ValueError:
            continue
    return found


@transaction.atomic
def website_create(
    *,
    account: Account,
    name: str,
    domains: list[str],
    actor: User | None,
    allow_foreign_name: bool = False,
    **fields: Any,
) -> tuple[Website, ChangeSet | None]:
    """A site of `account` on its web server, with its domains (the primary first). `allow_foreign_name` (staff
    only): domains another account holds (panel.core.names), or outside every zone here without the account's proof
    (panel.names), audited. A site none of whose domains is proven waits (`unproven`, no change set)."""
    require_account_writable(actor, account)
    checked("name", validators.validate_site_name, name)
    clean_domains = checked("domains", validators.normalize_domains, domains)
    clean = _fields(fields)
    server = _web_server(account)
    site = Website(account=account, server=server, name=name, **clean)
    try:
        with transaction.atomic():
            site.save()
    except IntegrityError as error:
        raise Conflict(f"This account has a site named '{name}' already.", field="name", code="taken") from error
    overridden = _set_domains(site, clean_domains, set(clean_domains), override=allow_foreign_name, actor=actor)
    _require_certificate(site)
    after = {**_snapshot(site), **({"name_override": True} if overridden else {})}
    record_change(actor=actor, action=ChangeAction.CREATE, obj=site, after=after)
    _dns_follows(site, clean_domains, actor)
    if _waits(site):
        Website.objects.filter(pk=site.pk).update(apply_state=ApplyState.UNPROVEN)
        site.apply_state = ApplyState.UNPROVEN
        return site, None
    return site, _converge(site, actor, new=True)


def _snapshot(site: Website) -> dict[str, Any]:
    return {**snapshot(site), "domains": list(site.domains.values_list("name", flat=True))}


def _locked(site: Website) -> Website:
    site = Website.objects.select_for_update().select_related("account", "server").get(pk=site.pk)
    if site.pending_delete:
        raise Conflict("This site is being deleted.", code="deleted")
    return site


@transaction.atomic
def website_update(
    *,
    website: Website,
    actor: User | None,
    domains: list[str] | None = None,
    allow_foreign_name: bool = False,
    **changes: Any,
) -> tuple[Website, ChangeSet | None]:
    require_account_writable(actor, website.account)
    site = _locked(website)
    if changes.pop("name", site.name) != site.name:
        raise ValidationFailed("A site cannot be renamed: its name is its directory.", field="name")
    if changes.pop("account", site.account) != site.account:
        raise ValidationFailed("A site cannot move to another account.", field="account")
    before = _snapshot(site)
    fields = _fields(changes)
    for field, value in fields.items():
        setattr(site, field, value)
    site.save()
    overridden = False
    if domains is not None:
        clean_domains = checked("domains", validators.normalize_domains, domains)
        added = set(clean_domains) - set(before["domains"])
        overridden = _set_domains(site, clean_domains, added, override=allow_foreign_name, actor=actor)
        _dns_follows(site, [d for d in clean_domains if d in added], actor)
        records_unfollow(follows=_follows(site), names=set(before["domains"]) - set(clean_domains), actor=actor)
    _require_certificate(site)
    after = {**_snapshot(site), **({"name_override": True} if overridden else {})}
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=site, before=before, after=after)
    if site.apply_state == ApplyState.UNPROVEN:
        return site, None if _waits(site) else _converge(site, actor, new=True)
    if _waits(site):
        raise Conflict(
            "A site that is served keeps at least one name that is proven or in a zone here: add the new name beside "
            "the old ones, prove it (/api/names/), then remove the old ones.",
            field="domains",
            code="name_unproven",
        )
    return site, _converge(site, actor, pool=bool(POOL_FIELDS & fields.keys()))


@transaction.atomic
def website_delete(*, website: Website, actor: User | None) -> ChangeSet:
    """Its vhost goes from the server once applied; its files stay in the account's home."""
    require_account_writable(actor, website.account)
    site = _locked(website)
    record_change(actor=actor, action=ChangeAction.DELETE, obj=site, before=_snapshot(site))
    Website.objects.filter(pk=site.pk).update(pending_delete=True)
    records_unfollow(follows=_follows(site), actor=actor)
    return _converge(site, actor)


@transaction.atomic
def website_certificate_set(
    *, website: Website, certificate: str, key: str, actor: User | None, chain: str = ""
) -> tuple[Certificate, ChangeSet | None]:
    """The site's certificate, replacing any it had: checked (parses, key matches, covers every domain of the site,
    valid now, chain in order), its key stored encrypted. The audit entry carries the key's digest, never the key."""
    require_account_writable(actor, website.account)
    site = _locked(website)
    domains = list(site.domains.values_list("name", flat=True))
    checked = check_certificate(certificate=certificate, chain=chain, key=key, domains=domains, now=timezone.now())
    before = Certificate.objects.filter(website=site).first()
    stored, _ = Certificate.objects.update_or_create(
        website=site,
        defaults={
            "certificate": checked.certificate,
            "chain": checked.chain,
            "key_encrypted": encrypt(checked.key),
            "key_digest": digest(checked.key),
            "names": list(checked.names),
            "issuer": checked.issuer[:1000],
            "not_before": checked.not_before,
            "not_after": checked.not_after,
            "fingerprint": checked.fingerprint,
        },
    )
    action = ChangeAction.UPDATE if before else ChangeAction.CREATE
    record_change(
        actor=actor, action=action, obj=stored, before=snapshot(before) if before else None, after=snapshot(stored)
    )
    # A site serving HTTPS serves the new certificate once applied; otherwise nothing changes on the server yet.
    served = site.https != HttpsMode.OFF and site.apply_state != ApplyState.UNPROVEN
    return stored, _converge(site, actor, pool=False) if served else None


@transaction.atomic
def website_certificate_delete(*, website: Website, actor: User | None) -> None:
    require_account_writable(actor, website.account)
    site = _locked(website)
    stored = Certificate.objects.filter(website=site).first()
    if stored is None:
        return
    if site.https != HttpsMode.OFF:
        raise Conflict("The site serves HTTPS with this certificate: turn HTTPS off first.", code="https_on")
    record_change(actor=actor, action=ChangeAction.DELETE, obj=stored, before=snapshot(stored))
    stored.delete()


encrypted_field("web.Certificate", "key_encrypted")


def _resuspend_sites(account: Account, actor: User | None) -> list[ChangeSet]:
    """The account was disabled or enabled: its sites go to their servers again, rendered 503 (suspended) or
    served again."""
    change_sets: dict[int, ChangeSet] = {}
    sites = account.websites.filter(pending_delete=False).exclude(apply_state=ApplyState.UNPROVEN)
    for site in sites.select_related("server", "account"):
        change_sets[site.server_id] = _converge(site, actor)
    return [change_sets[pk] for pk in sorted(change_sets)]


on_account_disable(_resuspend_sites)
on_account_enable(_resuspend_sites)


@on_name_proven
def _release_sites(account: Account, name: str, method: str, actor: User | None) -> list[ChangeSet]:
    """The account proved `name` (by DNS or HTTP, both prove a website's name): its sites that waited go live."""
    waiting = WebsiteDomain.objects.filter(
        website__account=account, website__pending_delete=False, name=name, proven=False
    )
    sites = list(Website.objects.filter(pk__in=waiting.values("website_id")).select_related("account", "server"))
    waiting.update(proven=True)
    return [_converge(site, actor, new=site.apply_state == ApplyState.UNPROVEN) for site in sites]


@waiting_name_holders
def _drop_waiting_domains(names: list[str], below: str | None, account: Account, actor: User | None) -> None:
    """Another account's domains still waiting for a proof of these names go; a site left with no name at all,
    never served, goes with them."""
    query = Q(name__in=names) | (Q(name__endswith=f".{below}") if below else Q(pk__in=[]))
    waiting = WebsiteDomain.objects.filter(query, proven=False).exclude(website__account=account)
    site_ids = set(waiting.values_list("website_id", flat=True))
    waiting.delete()
    for site in Website.objects.filter(pk__in=site_ids, apply_state=ApplyState.UNPROVEN, domains__isnull=True):
        record_change(actor=actor, action=ChangeAction.DELETE, obj=site, before=_snapshot(site))
        site.delete()


host_name_source(
    lambda names, below, account: held_in(
        WebsiteDomain.objects.filter(proven=True), names, below, account, "website__account"
    )
)
