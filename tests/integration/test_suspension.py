"""Suspension: disabling an account requests every one of its objects on every server carrying it (DNS primary
and secondary, mail), the loaders render them suspended, enabling restores them; a disabled account's customers
may change nothing but contacts, staff still may."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from billing.payments import payment_source_create
from panel.accounts.models import Account, User
from panel.accounts.services import account_disable, account_enable, contact_create, contact_delete, token_create
from panel.core.access import ACCOUNT_DISABLED_MESSAGE
from panel.core.errors import Conflict
from panel.core.models import ObjectChange
from panel.dns import provisioning as dns_provisioning
from panel.dns import services as dns
from panel.dns.models import Record, Zone
from panel.mail import provisioning as mail_provisioning
from panel.mail import services as mail
from panel.mail.models import Address, Autoresponse, Mailbox, MailDomain
from panel.provisioning.hostvars.dns import render as render_dns
from panel.provisioning.hostvars.mail import render as render_mail
from panel.provisioning.models import ChangeSet, ChangeSetItem
from panel.servers.models import Server

pytestmark = pytest.mark.django_db
PASSWORD = "a long mailbox password"
ROLES = Path(__file__).resolve().parents[2] / "roles"


@dataclass
class Objects:
    zone: Zone
    domain: MailDomain
    mailbox: Mailbox
    info: Address
    catch_all: Address
    forward: Address


@pytest.fixture
def objects(account_a: Account, customer_a: User, dns_servers: tuple[Server, Server], mail_server: Server) -> Objects:
    zone, _ = dns.zone_create(account=account_a, name="shop.example", actor=customer_a)
    dns.record_create(zone=zone, name="www", type="A", value="192.0.2.80", actor=customer_a)
    domain, _ = mail.mail_domain_create(account=account_a, name="shop.example", actor=customer_a)
    mailbox, _ = mail.mailbox_create(account=account_a, name="info", password=PASSWORD, actor=customer_a)
    info, _ = mail.address_create(domain=domain, local_part="info", mailboxes=[mailbox], actor=customer_a)
    catch_all, _ = mail.address_create(domain=domain, local_part="", mailboxes=[mailbox], actor=customer_a)
    forward, _ = mail.address_create(domain=domain, local_part="fwd", forwards=["boss@elsewhere.org"], actor=customer_a)
    mail.autoresponse_set(mailbox=mailbox, subject="Away", body="Back soon.", actor=customer_a)
    ChangeSet.objects.all().delete()  # as if every earlier change had been applied
    Zone.objects.update(apply_state="applied")
    Record.objects.update(apply_state="applied")
    for model in (MailDomain, Mailbox, Address):
        model.objects.update(apply_state="applied")
    return Objects(zone, domain, mailbox, info, catch_all, forward)


def _postfix_filters() -> ModuleType:
    path = ROLES / "postfix" / "filter_plugins" / "postfix_filters.py"
    spec = importlib.util.spec_from_file_location("postfix_filters", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _zone_states(server: Server) -> dict[str, tuple[str, int]]:
    zones = render_dns(dns_provisioning.load(server))["bind9__host_zones"]
    return {str(z["name"]): (z["state"], len(z.get("records", []))) for z in zones}


def _postfix_tables(server: Server) -> dict[str, list[str]]:
    rendered = render_mail(mail_provisioning.load(server))
    tables: dict[str, list[str]] = _postfix_filters().postfix_tables(
        rendered["postfix__host_domains"],
        rendered["postfix__host_mailboxes"],
        rendered["postfix__host_aliases"],
        "mail.baton.invalid",
    )
    return tables


def _items(change_set: ChangeSet) -> set[str]:
    return set(change_set.items.values_list("object_repr", flat=True))


def test_disabling_requests_every_object_on_every_server_and_renders_it_suspended(
    objects: Objects, account_a: Account, staff: User, dns_servers: tuple[Server, Server], mail_server: Server
) -> None:
    primary, secondary = dns_servers
    serial = objects.zone.serial
    account, change_sets = account_disable(account=account_a, actor=staff)
    assert not account.is_active

    assert sorted(cs.server.name for cs in change_sets) == ["mx1", "ns1", "ns2"]
    by_server = {cs.server.name: cs for cs in change_sets}
    for name in ("ns1", "ns2"):
        assert by_server[name].service == "dns" and by_server[name].state == "pending"
        assert {"shop.example", "www.shop.example A 192.0.2.80"} <= _items(by_server[name])
        assert set(by_server[name].items.values_list("scope", flat=True)) == {"shop.example"}  # targeted
    assert _items(by_server["mx1"]) == {
        "shop.example",
        "info",
        "info@shop.example",
        "fwd@shop.example",
        str(objects.catch_all),
    }

    # Every object waits for its servers and says it is suspended.
    for model in (Zone, Record, MailDomain, Mailbox, Address):
        assert set(model.objects.values_list("apply_state", flat=True)) == {"pending"}, model
        assert all(obj.suspended for obj in model.objects.all()), model
    assert Autoresponse.objects.get().suspended
    objects.zone.refresh_from_db()
    assert objects.zone.serial > serial

    # What the servers get: the zone not served on either DNS server (its data kept in the panel) ...
    assert _zone_states(primary) == {"shop.example": ("absent", 0)}
    assert _zone_states(secondary) == {"shop.example": ("absent", 0)}
    assert Record.objects.filter(zone=objects.zone).count() > 1
    # ... the mailbox without login or delivery, every address refused (the catch-all no longer catches).
    rendered = render_mail(mail_provisioning.load(mail_server))
    assert [box["active"] for box in rendered["dovecot__host_mailboxes"]] == [False]
    tables = _postfix_tables(mail_server)
    assert tables["mailboxes"] == [] and tables["aliases"] == []
    assert tables["rejected"] == [
        "fwd@shop.example\tREJECT 5.2.1 Mailbox disabled",
        "info@shop.example\tREJECT 5.2.1 Mailbox disabled",
    ]

    change = ObjectChange.objects.get(action="disable", object_id=str(account_a.pk))
    assert change.after is not None and change.after["change_sets"] == sorted(cs.pk for cs in change_sets)


def test_enabling_restores_everything(
    objects: Objects, account_a: Account, staff: User, dns_servers: tuple[Server, Server], mail_server: Server
) -> None:
    primary, secondary = dns_servers
    account_disable(account=account_a, actor=staff)
    ChangeSet.objects.update(state="applied")
    account, change_sets = account_enable(account=account_a, actor=staff)
    assert account.is_active and sorted(cs.server.name for cs in change_sets) == ["mx1", "ns1", "ns2"]
    records = Record.objects.filter(zone=objects.zone).count()
    assert _zone_states(primary) == {"shop.example": ("present", records)}
    assert _zone_states(secondary) == {"shop.example": ("present", 0)}  # a secondary transfers the records
    tables = _postfix_tables(mail_server)
    assert tables["mailboxes"] == ["info@mail.baton.invalid\tinfo/"]
    assert tables["aliases"] == [
        "@shop.example\tinfo@mail.baton.invalid",
        "fwd@shop.example\tboss@elsewhere.org",
        "info@shop.example\tinfo@mail.baton.invalid",
    ]
    assert tables["rejected"] == []
    assert not any(
        obj.suspended for model in (Zone, Record, MailDomain, Mailbox, Address) for obj in model.objects.all()
    )
    assert [c.after["change_sets"] for c in ObjectChange.objects.filter(action="enable")] == [  # type: ignore[index]
        [cs.pk for cs in change_sets]
    ]


def test_disabling_twice_requests_nothing_more_and_objects_being_deleted_are_left_alone(
    objects: Objects, account_a: Account, customer_a: User, staff: User
) -> None:
    mail.mailbox_delete(mailbox=objects.mailbox, actor=customer_a)
    ChangeSet.objects.all().delete()
    _, change_sets = account_disable(account=account_a, actor=staff)
    assert "info" not in _items(next(cs for cs in change_sets if cs.service == "mail"))
    items = ChangeSetItem.objects.count()
    assert account_disable(account=account_a, actor=staff)[1] == []
    assert ChangeSetItem.objects.count() == items


def test_an_account_without_services_is_disabled_without_change_sets(account_b: Account, staff: User) -> None:
    assert account_disable(account=account_b, actor=staff)[1] == []
    assert account_enable(account=account_b, actor=staff)[1] == []


def _customer_writes(o: Objects, account: Account, actor: User) -> dict[str, Any]:
    return {
        "zone_create": lambda: dns.zone_create(account=account, name="new.example", actor=actor),
        "zone_update": lambda: dns.zone_update(zone=o.zone, ttl=600, actor=actor),
        "zone_delete": lambda: dns.zone_delete(zone=o.zone, actor=actor),
        "record_create": lambda: dns.record_create(zone=o.zone, name="x", type="A", value="192.0.2.1", actor=actor),
        "record_update": lambda: dns.record_update(
            record=o.zone.records.get(name="www"), value="192.0.2.2", actor=actor
        ),
        "record_delete": lambda: dns.record_delete(record=o.zone.records.get(name="www"), actor=actor),
        "mail_domain_create": lambda: mail.mail_domain_create(account=account, name="new.example", actor=actor),
        "mail_domain_delete": lambda: mail.mail_domain_delete(domain=o.domain, actor=actor),
        "mailbox_create": lambda: mail.mailbox_create(account=account, name="new", password=PASSWORD, actor=actor),
        "mailbox_update": lambda: mail.mailbox_update(mailbox=o.mailbox, quota_mb=10, actor=actor),
        "mailbox_set_password": lambda: mail.mailbox_set_password(mailbox=o.mailbox, password=PASSWORD, actor=actor),
        "mailbox_delete": lambda: mail.mailbox_delete(mailbox=o.mailbox, actor=actor),
        "address_create": lambda: mail.address_create(
            domain=o.domain, local_part="n", mailboxes=[o.mailbox], actor=actor
        ),
        "address_update": lambda: mail.address_update(address=o.info, forwards=["x@elsewhere.org"], actor=actor),
        "address_delete": lambda: mail.address_delete(address=o.info, actor=actor),
        "autoresponse_set": lambda: mail.autoresponse_set(mailbox=o.mailbox, subject="S", body="B", actor=actor),
        "autoresponse_delete": lambda: mail.autoresponse_delete(mailbox=o.mailbox, actor=actor),
        "payment_source_create": lambda: payment_source_create(account=account, method="bank_transfer", actor=actor),
    }


WRITES = [
    "zone_create",
    "zone_update",
    "zone_delete",
    "record_create",
    "record_update",
    "record_delete",
    "mail_domain_create",
    "mail_domain_delete",
    "mailbox_create",
    "mailbox_update",
    "mailbox_set_password",
    "mailbox_delete",
    "address_create",
    "address_update",
    "address_delete",
    "autoresponse_set",
    "autoresponse_delete",
    "payment_source_create",
]


@pytest.mark.parametrize("write", WRITES)
def test_a_disabled_accounts_customer_changes_nothing(
    objects: Objects, account_a: Account, customer_a: User, staff: User, write: str
) -> None:
    account_disable(account=account_a, actor=staff)
    account_a.refresh_from_db()
    objects.zone.refresh_from_db()
    changes = ObjectChange.objects.count()
    with pytest.raises(Conflict) as excinfo:
        _customer_writes(objects, account_a, customer_a)[write]()
    assert excinfo.value.code == "account_disabled" and excinfo.value.message == ACCOUNT_DISABLED_MESSAGE
    assert ObjectChange.objects.count() == changes


@pytest.mark.parametrize("write", WRITES)
def test_staff_still_change_a_disabled_account_and_the_change_stays_suspended(
    objects: Objects, account_a: Account, staff: User, dns_servers: tuple[Server, Server], write: str
) -> None:
    account_disable(account=account_a, actor=staff)
    account_a.refresh_from_db()
    objects.zone.refresh_from_db()
    _customer_writes(objects, account_a, staff)[write]()
    assert all(state == "absent" for state, _ in _zone_states(dns_servers[0]).values())


def test_a_disabled_accounts_customer_still_manages_contacts_and_own_tokens(
    objects: Objects, account_a: Account, customer_a: User, staff: User
) -> None:
    account_disable(account=account_a, actor=staff)
    account_a.refresh_from_db()
    contact = contact_create(
        account=account_a, name="Tech", email="tech@elsewhere.org", usages=["technical"], actor=customer_a
    )
    contact_delete(contact=contact, actor=customer_a)
    token, key = token_create(user=customer_a, name="read only now", actor=customer_a)
    assert token.pk and key
