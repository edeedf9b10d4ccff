"""How the provisioning engine reads websites from the database and settles them after a run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from panel.core.secrets import decrypt
from panel.provisioning import registry
from panel.provisioning.choices import ApplyState
from panel.provisioning.hostvars.web import SiteData, WebServerData, render
from panel.provisioning.models import ChangeSetItem
from panel.provisioning.settle import settle_objects
from panel.servers.choices import ServerRole
from panel.servers.models import Server
from panel.systemusers.provisioning import register_site_directories
from panel.web.choices import HttpsMode, PhpMode
from panel.web.models import Certificate, Website, WebsiteDomain

SERVICE = "web"


def load(server: Server) -> WebServerData:
    """Every website of this server with its domains, as rows."""
    domains: dict[int, list[str]] = defaultdict(list)
    for website_id, name in (
        WebsiteDomain.objects.filter(website__server=server, proven=True)  # a name waiting for proof: not served
        .order_by("website_id", "-is_primary", "position", "pk")
        .values_list("website_id", "name")
    ):
        domains[website_id].append(name)
    rows = Website.objects.filter(server=server).values_list(
        "pk",
        "name",
        "account__handle",
        "php",
        "https",
        "is_enabled",
        "account__is_active",
        "pending_delete",
        "account__unix_id__uid",
    )
    tls = _tls_pems(server)
    return WebServerData(
        sites=tuple(
            SiteData(
                name=f"{handle}-{name}",
                account=handle,
                dir=name,
                domains=tuple(domains[pk]),
                php=php == PhpMode.FPM,
                https=https,
                active=enabled and account_active,
                absent=gone or not domains[pk],
                tls_pem=tls.get(pk, "") if https != HttpsMode.OFF else "",
                uid=uid,
            )
            for pk, name, handle, php, https, enabled, account_active, gone, uid in rows
        )
    )


def _tls_pems(server: Server) -> dict[int, str]:
    """site id -> its key, certificate and chain in one PEM, for the sites serving HTTPS (the key decrypted here,
    in the worker's memory only: the renderer marks it secret)."""
    rows = Certificate.objects.filter(website__server=server).exclude(website__https=HttpsMode.OFF)
    return {
        website_id: decrypt(key) + certificate + chain
        for website_id, key, certificate, chain in rows.values_list(
            "website_id", "key_encrypted", "certificate", "chain"
        )
    }


@register_site_directories
def _site_directories(server: Server) -> dict[int, list[str]]:
    """Every website's directory, in its account's home on its server (created by the users role)."""
    found: dict[int, list[str]] = defaultdict(list)
    sites = Website.objects.filter(server=server, pending_delete=False).exclude(apply_state=ApplyState.UNPROVEN)
    for account_id, name in sites.values_list("account_id", "name"):
        found[account_id].append(name)
    return found


def settle(items: Sequence[ChangeSetItem]) -> None:
    settle_objects((Website,), items)


SPEC = registry.register(
    registry.ServiceSpec(
        name=SERVICE,
        playbook="web.yml",
        server_roles=(ServerRole.WEB,),
        load=load,
        render=render,  # type: ignore[arg-type]
        settle=settle,
        full_tags=("php_fpm", "apache"),
        # Site changes: the pools and the vhosts (each set checked on a copy of its tree, one remote step each);
        # not the packages, modules and server-wide configuration.
        targeted_tags=("php_fpm:pools", "apache:sites"),
        # ... and only the changed sites' vhosts and keys and their accounts' pools (each role reads its units).
        scope_var=("apache__host_only", "php_fpm__host_only"),
        skip_tags=("always",),
        check_tags=("php_fpm:files", "apache:files"),
        argument_specs=("php_fpm", "apache"),
        requires=("users",),  # the pools run as the account's user: it exists first
    )
)
