from __future__ import annotations

import pytest

from panel.accounts.models import Account, User
from panel.accounts.services import account_disable, account_enable
from panel.core.errors import Conflict, NotFound, ValidationFailed
from panel.core.models import ObjectChange
from panel.dns.services import zone_create
from panel.mail import services
from panel.mail.models import Address, Mailbox
from panel.mail.passwords import verify
from panel.mail.provisioning import load
from panel.provisioning.models import ChangeSet
from panel.servers.models import Server

pytestmark = pytest.mark.django_db
PASSWORD = 'p"a:ss wörd{{x}}'


@pytest.fixture
def domain(account_a: Account, customer_a: User, mail_server: Server) -> object:
    return services.mail_domain_create(account=account_a, name="Shop.Example", actor=customer_a)[0]


@pytest.fixture
def mailbox(account_a: Account, customer_a: User, mail_server: Server) -> Mailbox:
    return services.mailbox_create(account=account_a, name="info", password=PASSWORD, actor=customer_a)[0]


def test_mailbox_stores_only_a_dovecot_hash(mailbox: Mailbox) -> None:
    assert mailbox.password_hash.startswith("{SHA512-CRYPT}$6$")
    assert verify(PASSWORD, mailbox.password_hash)
    assert PASSWORD not in str(list(ObjectChange.objects.values_list("before", "after")))
    assert "password_hash" not in ObjectChange.objects.get(action="create", content_type__model="mailbox").after


def test_addresses_catch_all_and_forwards(domain: object, mailbox: Mailbox, customer_a: User) -> None:
    info, change_set = services.address_create(domain=domain, local_part="Info", mailboxes=[mailbox], actor=customer_a)
    catch_all, _ = services.address_create(domain=domain, local_part="", mailboxes=[mailbox], actor=customer_a)
    sales, _ = services.address_create(
        domain=domain, local_part="sales", forwards=["Boss@Elsewhere.org"], actor=customer_a
    )
    assert (info.email, catch_all.email, sales.forwards) == (
        "info@shop.example",
        "@shop.example",
        ["Boss@elsewhere.org"],
    )
    assert change_set.server.name == "mx1" and ChangeSet.objects.filter(state="pending").count() == 1
    with pytest.raises(Conflict) as excinfo:
        services.address_create(domain=domain, local_part="info", mailboxes=[mailbox], actor=customer_a)
    assert "local_part" in excinfo.value.fields


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"local_part": "a b"}, "local_part"),
        ({"local_part": "a\nb"}, "local_part"),
        ({"local_part": "ok", "forwards": ["x@y.org\nbcc@evil.org"]}, "forwards"),
        ({"local_part": "ok", "forwards": ["x@y.org, z@evil.org"]}, "forwards"),
        ({"local_part": "ok", "forwards": ["x@y.org:pw"]}, "forwards"),
        ({"local_part": "ok"}, "mailboxes"),
    ],
)
def test_bad_addresses_name_the_field(domain: object, customer_a: User, kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        services.address_create(domain=domain, actor=customer_a, **kwargs)  # type: ignore[arg-type]
    assert field in excinfo.value.fields
    assert not Address.objects.exists()


def test_an_address_cannot_deliver_to_another_accounts_mailbox(
    domain: object, customer_a: User, account_b: Account, customer_b: User
) -> None:
    theirs, _ = services.mailbox_create(account=account_b, name="bobs", password=PASSWORD, actor=customer_b)
    with pytest.raises(ValidationFailed) as excinfo:
        services.address_create(domain=domain, local_part="x", mailboxes=[theirs], actor=customer_a)
    assert "mailboxes" in excinfo.value.fields
    with pytest.raises(NotFound):
        services.mailbox_update(mailbox=theirs, quota_mb=1, actor=customer_a)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "Bad Name"}, "name"),
        ({"name": "x:y"}, "name"),
        ({"password": "short"}, "password"),
        ({"quota_mb": -1}, "quota_mb"),
        ({"spam": "maybe"}, "spam"),
        ({"sieve_custom": "a\x00b"}, "sieve_custom"),
    ],
)
def test_bad_mailboxes_name_the_field(
    account_a: Account, customer_a: User, mail_server: Server, kwargs: dict[str, object], field: str
) -> None:
    values = {"name": "ok", "password": PASSWORD, **kwargs}
    with pytest.raises(ValidationFailed) as excinfo:
        services.mailbox_create(account=account_a, actor=customer_a, **values)  # type: ignore[arg-type]
    assert field in excinfo.value.fields
    assert not Mailbox.objects.exists()


def test_mailbox_names_are_unique_per_server(mailbox: Mailbox, account_b: Account, customer_b: User) -> None:
    with pytest.raises(Conflict):
        services.mailbox_create(account=account_b, name="info", password=PASSWORD, actor=customer_b)


def test_disabling_the_account_disables_its_mailboxes_and_enabling_restores_them(
    mailbox: Mailbox, account_a: Account, staff: User, mail_server: Server
) -> None:
    ChangeSet.objects.all().delete()
    account_disable(account=account_a, actor=staff)
    assert [box.active for box in load(mail_server).mailboxes] == [False]
    assert ChangeSet.objects.get(server=mail_server, state="pending").items.filter(object_repr="info").exists()
    account_enable(account=account_a, actor=staff)
    assert [box.active for box in load(mail_server).mailboxes] == [True]


def test_mx_and_spf_follow_in_a_zone_hosted_here(
    account_a: Account, customer_a: User, mail_server: Server, dns_servers: tuple[Server, Server]
) -> None:
    zone, _ = zone_create(account=account_a, name="shop.example", actor=customer_a)
    services.mail_domain_create(account=account_a, name="shop.example", actor=customer_a)
    records = set(zone.records.values_list("name", "type", "value"))
    assert ("@", "MX", "10 mail.baton.invalid.") in records
    assert ("@", "TXT", "v=spf1 mx -all") in records


def test_vacation_renders_with_the_mailboxs_addresses(
    domain: object, mailbox: Mailbox, customer_a: User, mail_server: Server
) -> None:
    services.address_create(domain=domain, local_part="info", mailboxes=[mailbox], actor=customer_a)
    services.autoresponse_set(mailbox=mailbox, subject="Away", body="Back soon", days=3, actor=customer_a)
    (box,) = load(mail_server).mailboxes
    assert box.vacation is not None and box.vacation.addresses == ("info@shop.example",)
    with pytest.raises(ValidationFailed) as excinfo:
        services.autoresponse_set(mailbox=mailbox, subject="two\nlines", body="x", actor=customer_a)
    assert "subject" in excinfo.value.fields


def test_mail_changes_after_the_first_full_run_are_targeted_data_runs(
    monkeypatch: pytest.MonkeyPatch, domain: object, mailbox: Mailbox, customer_a: User, mail_server: Server
) -> None:
    from panel.provisioning import engine
    from tests.integration.fakes import fake_runner

    runs = fake_runner(monkeypatch)
    engine.process(mail_server.pk, "mail")
    services.mailbox_create(account=mailbox.account, name="second", password="second-pass-1234", actor=customer_a)
    engine.process(mail_server.pk, "mail")
    assert [(r.tags, r.skip_tags, r.extravars) for r in runs] == [
        (("postfix", "dovecot"), ("always",), {}),
        (("dovecot:users", "postfix:maps"), ("always",), {}),
    ]
