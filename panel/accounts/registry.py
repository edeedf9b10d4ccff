"""Extension points other apps plug into, so accounts never import them.

- disabling/enabling an account cascades to every service app that registered a hook: this is the suspension
  registry. Each service app registers one hook for both directions that requests provisioning of every one of
  the account's objects on every server carrying them, and returns those change sets. Suspension is derived,
  not stored: the app's loader renders an object of a disabled account as suspended (a zone not served, a
  mailbox without login, an address refusing mail), so the same hook suspends on disable and restores on
  enable, and anything changed meanwhile is rendered suspended too. Service functions refuse a disabled
  account's customers with `panel.core.access.require_account_writable`;
- deleting an account asks every registered guard whether something (e.g. invoices) must be kept; once it is
  gone, every registered deletion hook requests what takes its objects off the servers;
- the emergency-contact rule asks every registered source whether a mail domain is hosted by us;
- a new handle asks every registered unix-name source whether that name is already a login (a system user's):
  the handle becomes the account's own unix user on its servers;
- a host name a customer gives (a zone, a mail domain, a website's domain, later a list domain) asks every
  registered host-name source whether another account holds it or a name above it (one rule in one place:
  `panel.core.names.require_own_names`);
- a name outside every hosted zone waits for its account's proof (`panel.names`): once proven, every registered
  name-proven hook releases that account's objects waiting for it (their runs are requested); once an account
  proves a name or holds it through its zone, every registered waiting-name hook drops the objects other accounts
  created for it that still wait for a proof (an unproven claim never blocks the name's owner).

Hooks run inside the caller's transaction: if one raises, the whole change is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from panel.accounts.models import Account, User
    from panel.provisioning.models import ChangeSet

# A disable/enable hook returns the change sets it requested (None: nothing to provision).
AccountHook = Callable[["Account", "User | None"], "Iterable[ChangeSet] | None"]
DeleteGuard = Callable[["Account"], "str | None"]
# (the deleted account's id, actor) -> the change sets that take its objects off its servers.
DeletedHook = Callable[[int, "User | None"], "Iterable[ChangeSet]"]
MailDomainSource = Callable[[str], bool]
UnixNameSource = Callable[[str], bool]
# (names, below, account) -> whether an account other than `account` holds one of `names` exactly, or, when
# `below` is given, any name under it.
HostNameSource = Callable[[list[str], "str | None", "Account"], bool]
# (account, name, method, actor) -> the change sets requested for the account's objects that waited for the name.
NameProvenHook = Callable[["Account", str, str, "User | None"], "Iterable[ChangeSet]"]
# (names, below, account, actor): drop other accounts' objects still waiting for proof of `names` (or under `below`).
WaitingNameHook = Callable[[list[str], "str | None", "Account", "User | None"], None]


@dataclass
class AccountRegistry:
    disable_hooks: list[AccountHook] = field(default_factory=list)
    enable_hooks: list[AccountHook] = field(default_factory=list)
    delete_guards: list[DeleteGuard] = field(default_factory=list)
    deleted_hooks: list[DeletedHook] = field(default_factory=list)
    mail_domain_sources: list[MailDomainSource] = field(default_factory=list)
    unix_name_sources: list[UnixNameSource] = field(default_factory=list)
    host_name_sources: list[HostNameSource] = field(default_factory=list)
    name_proven_hooks: list[NameProvenHook] = field(default_factory=list)
    waiting_name_hooks: list[WaitingNameHook] = field(default_factory=list)


registry = AccountRegistry()


def on_account_disable(hook: AccountHook) -> AccountHook:
    """Register `hook(account, actor)` to suspend an app's objects on their servers when an account is disabled;
    it returns the change sets it requested."""
    registry.disable_hooks.append(hook)
    return hook


def on_account_enable(hook: AccountHook) -> AccountHook:
    """Register `hook(account, actor)` to restore an app's objects when an account is enabled again; it returns
    the change sets it requested."""
    registry.enable_hooks.append(hook)
    return hook


def account_delete_guard(guard: DeleteGuard) -> DeleteGuard:
    """Register `guard(account)` returning why the account must be kept (soft-deleted), or None."""
    registry.delete_guards.append(guard)
    return guard


def on_account_deleted(hook: DeletedHook) -> DeletedHook:
    """Register `hook(account_id, actor)`, called once the account's rows are gone: it requests the runs that take
    its objects off every server carrying them and returns their change sets."""
    registry.deleted_hooks.append(hook)
    return hook


def own_mail_domain_source(source: MailDomainSource) -> MailDomainSource:
    """Register `source(domain)` answering whether our own mail servers host that domain."""
    registry.mail_domain_sources.append(source)
    return source


def unix_name_source(source: UnixNameSource) -> UnixNameSource:
    """Register `source(name)` answering whether a unix login of that name exists already."""
    registry.unix_name_sources.append(source)
    return source


def host_name_source(source: HostNameSource) -> HostNameSource:
    """Register `source(names, below, account)`: whether another account holds one of `names` (or a name under
    `below`) through this app's objects."""
    registry.host_name_sources.append(source)
    return source


def on_name_proven(hook: NameProvenHook) -> NameProvenHook:
    """Register `hook(account, name, method, actor)`: the account proved `name` (by `method`, "dns" or "http"); its
    objects that waited for it go to their servers. Returns the change sets it requested."""
    registry.name_proven_hooks.append(hook)
    return hook


def waiting_name_holders(hook: WaitingNameHook) -> WaitingNameHook:
    """Register `hook(names, below, account, actor)`: drop the objects other accounts made for `names` (or names
    under `below`) that still wait for a proof; `account` proved them or holds them here."""
    registry.waiting_name_hooks.append(hook)
    return hook


def is_unix_name_taken(name: str) -> bool:
    return any(source(name) for source in registry.unix_name_sources)


def is_own_mail_domain(domain: str) -> bool:
    domain = domain.lower().rstrip(".")
    for own in settings.BATON_OWN_MAIL_DOMAINS:
        own = own.lower().rstrip(".")
        if domain == own or domain.endswith(f".{own}"):
            return True
    return any(source(domain) for source in registry.mail_domain_sources)
