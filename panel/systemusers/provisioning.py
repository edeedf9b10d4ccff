"""How the provisioning engine reads system users from the database and settles them after a run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from panel.provisioning import registry
from panel.provisioning.choices import ApplyState
from panel.provisioning.hostvars.users import AccountData, SystemUserData, UsersServerData, render
from panel.provisioning.models import ChangeSetItem
from panel.provisioning.settle import object_states, settle_objects
from panel.servers.choices import ServerRole
from panel.servers.models import Server
from panel.systemusers.models import SshKey, SystemUser, UnixId

SERVICE = "users"
# Apps whose objects live in an account's home register what directories they need there: server -> account id
# -> directory names under web/ (websites). The users role creates them with the account's other directories.
SiteDirectories = Callable[[Server], dict[int, list[str]]]
_directory_sources: list[SiteDirectories] = []


def register_site_directories(source: SiteDirectories) -> SiteDirectories:
    _directory_sources.append(source)
    return source


def _site_directories(server: Server) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for source in _directory_sources:
        for account_id, names in source(server).items():
            found[account_id].update(names)
    return found


def load(server: Server) -> UsersServerData:
    """Every account with a user on this server, and every user with its keys. Read as rows (a thousand users
    are a thousand rows, not model instances)."""
    keys: dict[int, list[str]] = defaultdict(list)
    for user_id, key_type, blob, comment in (
        SshKey.objects.filter(system_user__server=server, pending_delete=False)
        .order_by("system_user_id", "pk")
        .values_list("system_user_id", "type", "blob", "comment")
    ):
        keys[user_id].append(f"{key_type} {blob} {comment}".rstrip())
    rows = SystemUser.objects.filter(server=server).values_list(
        "pk", "name", "account_id", "account__handle", "access", "scope", "password_hash", "is_active",
        "account__is_active", "pending_delete",
    )  # fmt: skip
    users, accounts = [], {}
    for pk, name, account_id, handle, access, scope, hashed, is_active, account_active, gone in rows:
        users.append(SystemUserData(name, handle, access, scope, hashed, tuple(keys[pk]), is_active, absent=gone))
        accounts[account_id] = (handle, account_active)
    uids = dict(UnixId.objects.filter(account_id__in=accounts).values_list("account_id", "uid"))
    sites = _site_directories(server)
    return UsersServerData(
        accounts=tuple(
            AccountData(handle, uids[account_id], active, tuple(sorted(sites.get(account_id, ()))))
            for account_id, (handle, active) in accounts.items()
            if account_id in uids
        )
        + _homes_to_remove(),
        users=tuple(user for user in users if user.absent or user.account in {a for a, _ in accounts.values()}),
        controller_addresses=tuple(settings.BATON_CONTROLLER_ADDRESSES),
    )


def _homes_to_remove() -> tuple[AccountData, ...]:
    """Deleted accounts whose home a purge was asked for: every users run removes it until one succeeded (a server
    without it has nothing to do)."""
    rows = UnixId.objects.filter(account__isnull=True, purge_requested_at__isnull=False, purged_at__isnull=True)
    return tuple(AccountData(handle, uid, False, purge=True) for handle, uid in rows.values_list("handle", "uid"))


def _settle_purges(items: Sequence[ChangeSetItem]) -> None:
    """A purge is done once every server of its latest request removed the home; a refusal (the home is not the
    account's any more) is kept on the uid's row for staff."""
    content_type = ContentType.objects.get_for_model(UnixId)
    ids = [item.object_id for item in items if item.content_type_id == content_type.id]
    for object_id, (state, error) in object_states(content_type, ids).items():
        rows = UnixId.objects.filter(pk=object_id, purged_at__isnull=True)
        if state == ApplyState.FAILED:
            rows.update(purge_error=error[:5000])
        else:
            rows.update(purged_at=timezone.now(), purge_error="")


def settle(items: Sequence[ChangeSetItem]) -> None:
    settle_objects((SshKey, SystemUser), items)
    _settle_purges(items)


SPEC = registry.register(
    registry.ServiceSpec(
        name=SERVICE,
        playbook="users.yml",
        server_roles=(ServerRole.WEB,),
        load=load,
        render=render,  # type: ignore[arg-type]
        settle=settle,
        full_tags=("users",),
        # User and key changes: the extrausers files, the keys files and the directories (one remote step each);
        # not the packages nor sshd (its drop-in holds no customer input; a full run keeps it).
        targeted_tags=("users:accounts",),
        skip_tags=("always",),
        check_tags=("users:files",),
        argument_specs=("users",),
    )
)
