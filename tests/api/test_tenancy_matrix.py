"""Who may do what, endpoint by endpoint: anonymous, customer A (owner), customer B (other tenant), staff.

Every refused call must also leave the data exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db.models import Model
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from billing.models import Invoice, PaymentSource, Transaction
from billing.payments import debits_create, payment_source_create, sepa_batch_export, transaction_execute
from billing.services import invoice_create, invoice_issue, invoice_line_add
from panel.accounts.models import Account, ApiToken, Contact, User
from panel.accounts.services import contact_create, token_create
from panel.dns.models import Record, Zone
from panel.dns.services import record_create, zone_create
from panel.mail import services as mail_services
from panel.mail.models import Address, Mailbox, MailDomain
from panel.names.models import NameProof
from panel.orders.models import Order
from panel.orders.services import order_update_for, service_create
from panel.provisioning.models import ChangeSet, ChangeSetItem
from panel.servers.models import Server
from panel.systemusers import services as systemuser_services
from panel.systemusers.models import SshKey, SystemUser
from panel.web.models import Certificate, Website, WebsiteDomain
from panel.web.services import website_certificate_set, website_create
from tests.certs import issue
from tests.conftest import token_client
from tests.factories import ContactFactory, make_account, make_customer, make_staff
from tests.sshkeys import public_key

pytestmark = pytest.mark.django_db

ACTORS = ("anon", "customer_a", "customer_b", "staff")
SHOP_CERTIFICATE = issue("shop.alice.example", names=["shop.alice.example"])


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    expect: tuple[int, int, int, int | None]  # status for anon, customer_a, customer_b, staff (None: not here)
    body: dict[str, Any] = field(default_factory=dict)


CONTACT_BODY = {"name": "New", "email": "new@elsewhere.org", "usages": ["technical"], "account": "{account_a}"}
ACCOUNT_BODY = {
    "handle": "dave",
    "name": "Dave",
    "contacts": [{"name": "D", "email": "d@elsewhere.org", "usages": ["emergency"]}],
}
SOURCE_BODY = {"method": "sepa_direct_debit", "iban": "NL91 ABNA 0417 1643 00", "account": "{account_a}"}


NEW_KEY = public_key()
CASES = [
    Case("contacts-list", "get", "/api/contacts/", (401, 200, 200, 200)),
    Case("contacts-retrieve", "get", "/api/contacts/{contact_a}/", (401, 200, 404, 200)),
    Case("contacts-create", "post", "/api/contacts/", (401, 201, 400, 201), CONTACT_BODY),
    Case("contacts-update", "patch", "/api/contacts/{contact_a}/", (401, 200, 404, 200), {"name": "Renamed"}),
    Case("contacts-replace", "put", "/api/contacts/{contact_a}/", (401, 200, 404, 200), CONTACT_BODY),
    Case("contacts-delete", "delete", "/api/contacts/{contact_a}/", (401, 204, 404, 204)),
    Case("accounts-list", "get", "/api/accounts/", (401, 403, 403, 200)),
    Case("accounts-retrieve", "get", "/api/accounts/{account_a}/", (401, 403, 403, 200)),
    Case("accounts-create", "post", "/api/accounts/", (401, 403, 403, 201), ACCOUNT_BODY),
    Case("accounts-update", "patch", "/api/accounts/{account_a}/", (401, 403, 403, 200), {"name": "Renamed"}),
    # A has invoices (see _billing_world), so staff's delete keeps it soft-deleted: 200 with the reasons.
    Case("accounts-delete", "delete", "/api/accounts/{account_a}/", (401, 403, 403, 202)),
    Case("accounts-disable", "post", "/api/accounts/{account_a}/disable/", (401, 403, 403, 200)),
    Case("accounts-enable", "post", "/api/accounts/{account_a}/enable/", (401, 403, 403, 200)),
    Case(
        "accounts-users",
        "post",
        "/api/accounts/{account_a}/users/",
        (401, 403, 403, 201),
        {"username": "newbie", "password": "long-enough-pass-1"},
    ),
    Case("me", "get", "/api/me/", (401, 200, 200, 200)),
    Case("tokens-list", "get", "/api/tokens/", (401, 200, 200, 200)),
    Case("tokens-retrieve", "get", "/api/tokens/{token_a}/", (401, 200, 404, 404)),
    Case("tokens-create", "post", "/api/tokens/", (401, 201, 201, 201), {"name": "ci"}),
    Case("tokens-revoke", "delete", "/api/tokens/{token_a}/", (401, 204, 404, 404)),
    Case("zones-list", "get", "/api/zones/", (401, 200, 200, 200)),
    Case("zones-retrieve", "get", "/api/zones/{zone_a}/", (401, 200, 404, 200)),
    Case(
        "zones-create", "post", "/api/zones/", (401, 201, 400, 201), {"name": "new.example", "account": "{account_a}"}
    ),
    Case("zones-update", "patch", "/api/zones/{zone_a}/", (401, 200, 404, 200), {"ttl": 600}),
    Case("zones-delete", "delete", "/api/zones/{zone_a}/", (401, 202, 404, 202)),
    Case("records-list", "get", "/api/records/", (401, 200, 200, 200)),
    Case("records-retrieve", "get", "/api/records/{record_a}/", (401, 200, 404, 200)),
    Case(
        "records-create",
        "post",
        "/api/records/",
        (401, 201, 400, 201),
        {"zone": "{zone_a}", "name": "new", "type": "A", "value": "192.0.2.50"},
    ),
    Case("records-update", "patch", "/api/records/{record_a}/", (401, 200, 404, 200), {"value": "192.0.2.51"}),
    Case("records-delete", "delete", "/api/records/{record_a}/", (401, 202, 404, 202)),
    Case("changesets-list", "get", "/api/changesets/", (401, 200, 200, 200)),
    Case("changesets-retrieve", "get", "/api/changesets/{change_set_a}/", (401, 200, 404, 200)),
    Case("changesets-converge", "post", "/api/changesets/", (401, 403, 403, 201), {"server": "ns1", "service": "dns"}),
    Case("changesets-cancel", "post", "/api/changesets/{change_set_a}/cancel/", (401, 403, 403, 200)),
    Case("changesets-retry", "post", "/api/changesets/{change_set_a}/retry/", (401, 403, 403, 409)),
    Case("changesets-plan", "post", "/api/changesets/{change_set_a}/plan/", (401, 403, 403, None)),
    Case("runs-list", "get", "/api/runs/", (401, 403, 403, 200)),
    Case("maildomains-list", "get", "/api/mail/domains/", (401, 200, 200, 200)),
    Case("maildomains-retrieve", "get", "/api/mail/domains/{mail_domain_a}/", (401, 200, 404, 200)),
    Case(
        "maildomains-create",
        "post",
        "/api/mail/domains/",
        (401, 201, 400, 201),
        {"name": "newmail.example", "account": "{account_a}"},
    ),
    Case("maildomains-delete", "delete", "/api/mail/domains/{mail_domain_a}/", (401, 202, 404, 202)),
    Case("mailboxes-list", "get", "/api/mail/mailboxes/", (401, 200, 200, 200)),
    Case("mailboxes-retrieve", "get", "/api/mail/mailboxes/{mailbox_a}/", (401, 200, 404, 200)),
    Case(
        "mailboxes-create",
        "post",
        "/api/mail/mailboxes/",
        (401, 201, 400, 201),
        {"name": "newbox", "password": "long enough password", "account": "{account_a}"},
    ),
    Case("mailboxes-update", "patch", "/api/mail/mailboxes/{mailbox_a}/", (401, 200, 404, 200), {"quota_mb": 10}),
    Case(
        "mailboxes-password",
        "post",
        "/api/mail/mailboxes/{mailbox_a}/set-password/",
        (401, 202, 404, 202),
        {"password": "another long password"},
    ),
    Case("mailboxes-delete", "delete", "/api/mail/mailboxes/{mailbox_a}/", (401, 202, 404, 202)),
    Case("addresses-list", "get", "/api/mail/addresses/", (401, 200, 200, 200)),
    Case("addresses-retrieve", "get", "/api/mail/addresses/{address_a}/", (401, 200, 404, 200)),
    Case(
        "addresses-create",
        "post",
        "/api/mail/addresses/",
        (401, 201, 400, 201),
        {"domain": "{mail_domain_a}", "local_part": "new", "mailboxes": ["{mailbox_a}"]},
    ),
    Case(
        "addresses-update",
        "patch",
        "/api/mail/addresses/{address_a}/",
        (401, 200, 404, 200),
        {"forwards": ["x@elsewhere.org"]},
    ),
    Case("addresses-delete", "delete", "/api/mail/addresses/{address_a}/", (401, 202, 404, 202)),
    Case("systemusers-list", "get", "/api/systemusers/", (401, 200, 200, 200)),
    Case("systemusers-retrieve", "get", "/api/systemusers/{system_user_a}/", (401, 200, 404, 200)),
    Case(
        "systemusers-create",
        "post",
        "/api/systemusers/",
        (401, 201, 400, 201),
        {"name": "alice-new", "account": "{account_a}", "keys": [NEW_KEY]},
    ),
    Case("systemusers-update", "patch", "/api/systemusers/{system_user_a}/", (401, 200, 404, 200), {"access": "shell"}),
    Case(
        "systemusers-password",
        "post",
        "/api/systemusers/{system_user_a}/set-password/",
        (401, 202, 404, 202),
        {"password": "another long password"},
    ),
    Case("systemusers-delete", "delete", "/api/systemusers/{system_user_a}/", (401, 202, 404, 202)),
    Case("systemusers-delete-main", "delete", "/api/systemusers/{main_user_a}/", (401, 409, 404, 409)),
    Case("sshkeys-list", "get", "/api/systemusers/keys/", (401, 200, 200, 200)),
    Case("sshkeys-retrieve", "get", "/api/systemusers/keys/{ssh_key_a}/", (401, 200, 404, 200)),
    Case(
        "sshkeys-create",
        "post",
        "/api/systemusers/keys/",
        (401, 201, 400, 201),
        {"system_user": "{system_user_a}", "key": NEW_KEY},
    ),
    Case("sshkeys-delete", "delete", "/api/systemusers/keys/{ssh_key_a}/", (401, 202, 404, 202)),
    Case("websites-list", "get", "/api/websites/", (401, 200, 200, 200)),
    Case("websites-retrieve", "get", "/api/websites/{website_a}/", (401, 200, 404, 200)),
    Case(
        "websites-create",
        "post",
        "/api/websites/",
        (401, 201, 400, 201),
        {"name": "blog", "domains": ["blog.alice.example"], "account": "{account_a}"},
    ),
    Case("websites-update", "patch", "/api/websites/{website_a}/", (401, 200, 404, 200), {"php": "off"}),
    Case("websites-delete", "delete", "/api/websites/{website_a}/", (401, 202, 404, 202)),
    Case("websites-certificate-get", "get", "/api/websites/{website_a}/certificate/", (401, 200, 404, 200)),
    Case(
        "websites-certificate-put",
        "put",
        "/api/websites/{website_a}/certificate/",
        (401, 200, 404, 200),
        {"certificate": SHOP_CERTIFICATE.certificate_pem, "key": SHOP_CERTIFICATE.key_pem()},
    ),
    Case("websites-certificate-delete", "delete", "/api/websites/{website_a}/certificate/", (401, 204, 404, 204)),
    Case("names-list", "get", "/api/names/", (401, 200, 200, 200)),
    Case("names-retrieve", "get", "/api/names/{name_proof_a}/", (401, 200, 404, 200)),
    Case(
        "names-create",
        "post",
        "/api/names/",
        (401, 201, 400, 201),
        {"name": "new.alice-elsewhere.org", "account": "{account_a}"},
    ),
    Case("names-check", "post", "/api/names/{name_proof_a}/check/", (401, 200, 404, 200)),
    Case("names-delete", "delete", "/api/names/{name_proof_a}/", (401, 204, 404, 204)),
    Case("servers-list", "get", "/api/servers/", (401, 403, 403, 200)),
    Case("servers-retrieve", "get", "/api/servers/{server}/", (401, 403, 403, 200)),
    Case("servers-update", "patch", "/api/servers/{server}/", (401, 403, 403, 200), {"ssh_port": 2222}),
    Case("placements-list", "get", "/api/placements/", (401, 403, 403, 200)),
    Case("orders-list", "get", "/api/orders/", (401, 200, 200, 200)),
    Case("orders-retrieve", "get", "/api/orders/{order_a}/", (401, 200, 404, 200)),
    Case("orders-create", "post", "/api/orders/", (401, 405, 405, 405), {"description": "x"}),
    Case("invoices-list", "get", "/api/invoices/", (401, 200, 200, 200)),
    Case("invoices-retrieve", "get", "/api/invoices/{invoice_a}/", (401, 200, 404, 200)),
    Case("invoices-retrieve-draft", "get", "/api/invoices/{draft_a}/", (401, 404, 404, 200)),
    Case("invoices-create", "post", "/api/invoices/", (401, 405, 405, 405), {"account": "{account_a}"}),
    Case("invoices-pdf", "get", "/api/invoices/{invoice_a}/pdf/", (401, 200, 404, 200)),
    Case("invoices-issue", "post", "/api/invoices/{draft_a}/issue/", (401, 403, 403, 200)),
    Case("invoices-amend", "post", "/api/invoices/{invoice_a}/amend/", (401, 403, 403, 201)),
    Case("billing-run", "post", "/api/billing/run/", (401, 403, 403, 200), {"date": "2024-04-01", "commit": True}),
    Case("payment-sources-list", "get", "/api/payment-sources/", (401, 200, 200, 200)),
    Case("payment-sources-retrieve", "get", "/api/payment-sources/{source_a}/", (401, 200, 404, 200)),
    Case("payment-sources-create", "post", "/api/payment-sources/", (401, 201, 400, 201), SOURCE_BODY),
    Case("payment-sources-update", "patch", "/api/payment-sources/{source_a}/", (401, 200, 404, 200), {"holder": "A"}),
    Case("payment-sources-delete", "delete", "/api/payment-sources/{source_a}/", (401, 405, 405, 405)),
    Case("transactions-list", "get", "/api/transactions/", (401, 403, 403, 200)),
    Case("transactions-retrieve", "get", "/api/transactions/{debit_waiting}/", (401, 403, 403, 200)),
    Case("transactions-execute", "post", "/api/transactions/{debit_processed}/execute/", (401, 403, 403, 200)),
    Case("transactions-secure", "post", "/api/transactions/{debit_executed}/secure/", (401, 403, 403, 200)),
    Case("transactions-reject", "post", "/api/transactions/{debit_executed}/reject/", (401, 403, 403, 200)),
    Case("billing-debits", "post", "/api/billing/debits/", (401, 403, 403, 201), {"due_on": "2024-04-01"}),
    Case(
        "billing-sepa-batches",
        "post",
        "/api/billing/sepa-batches/",
        (401, 403, 403, 200),
        {"transactions": ["{debit_waiting}"]},
    ),
]


@dataclass
class World:
    clients: dict[str, APIClient]
    ids: dict[str, int]
    account_a: Account
    account_b: Account


@pytest.fixture
def world(dns_servers: tuple[Server, Server], mail_server: Server, web_server: Server) -> World:
    account_a, account_b = make_account("alice"), make_account("bob")
    users = {"customer_a": make_customer(account_a), "customer_b": make_customer(account_b), "staff": make_staff()}
    ContactFactory(account=account_b)
    contact_a = ContactFactory(account=account_a)  # not the emergency contact, so it may be deleted
    token_a, _ = token_create(user=users["customer_a"], name="a's script", actor=None)
    primary = dns_servers[0]
    zone_create(account=account_b, name="bob.example", actor=None)
    zone_a, change_set_a = zone_create(account=account_a, name="alice.example", actor=None)
    record_a, _ = record_create(zone=zone_a, name="www", type="A", value="192.0.2.1", actor=None)
    # The change set under test holds only A's objects: B's zone goes to one of its own.
    ChangeSetItem.objects.filter(change_set=change_set_a).exclude(account_ref=account_a.pk).delete()
    clients = {name: token_client(user) for name, user in users.items()}
    clients["anon"] = APIClient()
    mail_domain_a, _ = mail_services.mail_domain_create(account=account_a, name="alicemail.example", actor=None)
    mailbox_a, _ = mail_services.mailbox_create(
        account=account_a, name="alicebox", password="a long password", actor=None
    )
    address_a, _ = mail_services.address_create(
        domain=mail_domain_a, local_part="info", mailboxes=[mailbox_a], actor=None
    )
    system_user_a, _ = systemuser_services.system_user_create(
        account=account_a, name="alice-dev", keys=[public_key()], actor=None
    )
    systemuser_services.system_user_create(account=account_b, name="bob-dev", keys=[public_key()], actor=None)
    website_a, _ = website_create(account=account_a, name="shop", domains=["shop.alice.example"], actor=None)
    website_certificate_set(  # the site serves HTTP: nothing goes to the server
        website=website_a,
        certificate=SHOP_CERTIFICATE.certificate_pem,
        key=SHOP_CERTIFICATE.key_pem(),
        actor=None,
    )
    website_create(account=account_b, name="shop", domains=["shop.bob-elsewhere.org"], actor=None)
    order_a, invoice_a, draft_a = _billing_world(account_a, users["staff"])
    # Proven just now: checking it again asks no name server (tests never leave 127.0.0.1).
    name_proof_a = NameProof.objects.create(
        account=account_a, name="ext.alice-elsewhere.org", proven_at=timezone.now(), proven_by="dns"
    )
    NameProof.objects.create(account=account_b, name="ext.bob-elsewhere.org")
    ids = {
        **_payments_world(account_a, users["staff"]),
        "order_a": order_a.pk,
        "invoice_a": invoice_a.pk,
        "draft_a": draft_a.pk,
        "account_a": account_a.pk,
        "contact_a": contact_a.pk,
        "token_a": token_a.pk,
        "zone_a": zone_a.pk,
        "record_a": record_a.pk,
        "change_set_a": change_set_a.pk,
        "server": primary.pk,
        "mail_domain_a": mail_domain_a.pk,
        "mailbox_a": mailbox_a.pk,
        "address_a": address_a.pk,
        "system_user_a": system_user_a.pk,
        "main_user_a": SystemUser.objects.get(account=account_a, is_main=True).pk,
        "ssh_key_a": system_user_a.keys.get().pk,
        "website_a": website_a.pk,
        "name_proof_a": name_proof_a.pk,
    }
    return World(clients, ids, account_a, account_b)


def _billing_world(account: Account, staff: User) -> tuple[Order, Invoice, Invoice]:
    """An order of A's account billed until April, an issued invoice with its PDF, and a draft."""
    contact_create(account=account, name="Billing", email="billing@alice-home.org", usages=["billing"], actor=None)
    service_create(description="Hosting", content_type="accounts.account", nominal_price="10.00", actor=staff)
    [order] = order_update_for(obj=account, actor=None, on=date(2024, 3, 1))
    invoices = []
    for _ in range(2):
        invoice = invoice_create(account=account, kind="fee", actor=staff)
        invoice_line_add(invoice=invoice, description="Setup", quantity="1", unit_price="5", actor=staff)
        invoices.append(invoice)
    issued = invoice_issue(invoice=invoices[0], actor=staff, on=date(2024, 3, 1))
    issued.pdf.save("C2024-00001.pdf", ContentFile(b"%PDF-1.4 stand-in"))  # rendering is tested in tests/billing
    return order, issued, invoices[1]


def _payments_world(account: Account, staff: User) -> dict[str, int]:
    """A's SEPA mandate and three more issued invoices, debited: one waiting, one processed, one executed."""
    source = payment_source_create(
        account=account, method="sepa_direct_debit", iban="DE89370400440532013000", actor=None
    )
    for _ in range(3):
        invoice = invoice_create(account=account, kind="fee", actor=staff)
        invoice_line_add(invoice=invoice, description="Extra", quantity="1", unit_price="3", actor=staff)
        invoice_issue(invoice=invoice, actor=staff, on=date(2024, 3, 2))
    debits = [debit for debit in debits_create(due_on=date(2024, 4, 30), actor=staff) if debit.invoice.number != 1]
    waiting, processed, executed = debits
    sepa_batch_export(transactions=[processed, executed], actor=staff)
    transaction_execute(transaction=executed, actor=staff)
    return {
        "source_a": source.pk,
        "debit_waiting": waiting.pk,
        "debit_processed": processed.pk,
        "debit_executed": executed.pk,
    }


def fingerprint() -> tuple[Any, ...]:
    """Everything the endpoints above could change."""
    return (
        list(
            Contact.objects.order_by("pk").values_list(
                "pk", "account_id", "name", "email", "is_emergency", "is_technical"
            )
        ),
        list(Account.objects.order_by("pk").values_list("pk", "handle", "name", "is_active", "deleted_at")),
        list(User.objects.order_by("pk").values_list("pk", "username", "is_active")),
        list(ApiToken.objects.order_by("pk").values_list("pk", "name", "revoked_at")),
        list(Zone.objects.order_by("pk").values_list("pk", "name", "ttl", "serial", "pending_delete")),
        list(Record.objects.order_by("pk").values_list("pk", "name", "value", "pending_delete")),
        list(ChangeSet.objects.order_by("pk").values_list("pk", "state")),
        list(Server.objects.order_by("pk").values_list("pk", "ssh_port")),
        list(MailDomain.objects.order_by("pk").values_list("pk", "name", "pending_delete")),
        list(Mailbox.objects.order_by("pk").values_list("pk", "name", "quota_mb", "password_hash", "pending_delete")),
        list(Address.objects.order_by("pk").values_list("pk", "local_part", "forwards", "pending_delete")),
        list(
            SystemUser.objects.order_by("pk").values_list(
                "pk", "name", "access", "scope", "password_hash", "is_active", "pending_delete"
            )
        ),
        list(SshKey.objects.order_by("pk").values_list("pk", "system_user_id", "fingerprint", "pending_delete")),
        list(Website.objects.order_by("pk").values_list("pk", "name", "php", "is_enabled", "pending_delete")),
        list(WebsiteDomain.objects.order_by("pk").values_list("pk", "website_id", "name")),
        list(Certificate.objects.order_by("pk").values_list("pk", "website_id", "fingerprint", "key_encrypted")),
        list(NameProof.objects.order_by("pk").values_list("pk", "name", "token", "proven_at", "checked_at")),
        list(Order.objects.order_by("pk").values_list("pk", "billed_until")),
        list(Invoice.objects.order_by("pk").values_list("pk", "state", "number")),
        list(PaymentSource.objects.order_by("pk").values_list("pk", "holder", "iban", "is_active")),
        list(Transaction.objects.order_by("pk").values_list("pk", "state", "batch")),
    )


def fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, list):
        return [fill(item, ids) for item in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


# Cells marked None need a real server (a staff plan runs Ansible); tests/provisioning covers them.
MATRIX = [
    (case, actor, expected)
    for case in CASES
    for actor, expected in zip(ACTORS, case.expect, strict=True)
    if expected is not None
]


@pytest.mark.parametrize(("case", "actor", "expected"), MATRIX, ids=[f"{c.name}-{a}" for c, a, _ in MATRIX])
def test_tenancy_matrix(world: World, case: Case, actor: str, expected: int) -> None:
    path = case.path.format(**world.ids)
    body = {key: fill(value, world.ids) for key, value in case.body.items()}
    before = fingerprint()

    response = getattr(world.clients[actor], case.method)(path, body, format="json")

    assert response.status_code == expected, (case.name, actor, getattr(response, "data", None))
    if expected >= 400:
        assert fingerprint() == before, f"{case.name} refused for {actor} but changed data"


@pytest.mark.parametrize("actor", ["customer_a", "customer_b"])
def test_customers_list_only_their_own_contacts(world: World, actor: str) -> None:
    own = world.account_a if actor == "customer_a" else world.account_b
    rows = world.clients[actor].get("/api/contacts/").data["results"]
    assert rows, "a customer sees at least its own contacts"
    assert {row["account"] for row in rows} == {own.pk}
    assert {row["id"] for row in rows} == set(own.contacts.values_list("pk", flat=True))


def test_staff_lists_every_contact(world: World) -> None:
    rows = world.clients["staff"].get("/api/contacts/?page_size=500").data["results"]
    assert {row["id"] for row in rows} == set(Contact.objects.values_list("pk", flat=True))


def test_customer_filtering_by_another_account_finds_nothing(world: World) -> None:
    response = world.clients["customer_a"].get(f"/api/contacts/?account={world.account_b.pk}")
    assert response.status_code == 200
    assert response.data["count"] == 0
    assert response.data["results"] == []


def _related_filters(staff: User) -> list[tuple[str, str, type[Model]]]:
    """(list URL, filter, related model) for every filter of every list endpoint that names a related object."""
    found = []
    for pattern in get_resolver().url_patterns:
        if not isinstance(pattern, URLResolver) or str(pattern.pattern) != "api/":
            continue
        for route in pattern.url_patterns:
            view = getattr(route.callback, "cls", None)
            actions = getattr(route.callback, "actions", {})
            if view is None or actions.get("get") != "list" or "(?P<format>" in str(route.pattern):
                continue
            instance = view(request=SimpleNamespace(user=staff, query_params={}), action="list")
            model = instance.get_queryset().model
            for name in getattr(view, "filterset_fields", []):
                field = model._meta.get_field(name)
                if field.is_relation:
                    found.append((reverse(route.name), name, field.related_model))
    return found


def test_related_filters_are_listed(staff: User) -> None:
    names = {(path, name) for path, name, _ in _related_filters(staff)}
    assert {("/api/zones/", "account"), ("/api/records/", "zone"), ("/api/changesets/", "server")} <= names
    assert {("/api/mail/addresses/", "domain"), ("/api/transactions/", "invoice"), ("/api/orders/", "service")} <= names


@pytest.mark.parametrize("actor", ["customer_a", "staff"])
def test_related_filters_answer_unknown_and_foreign_ids_alike(world: World, actor: str) -> None:
    """An id that names nothing the caller can see answers an empty page, exactly like an id that names nothing,
    so filters do not tell a customer which ids exist. Checked for every related filter of every list."""
    client = world.clients[actor]
    for path, name, related in _related_filters(User.objects.get(username="staff")):
        all_rows = client.get(f"{path}?page_size=500")
        if all_rows.status_code == 403:
            continue  # a staff-only list: the customer learns nothing from it at all
        unknown = client.get(f"{path}?{name}=987654321")
        assert (path, name, unknown.status_code) == (path, name, 200)
        assert unknown.data["count"] == 0
        visible = {row["id"] for row in all_rows.data["results"]}
        for pk in related._default_manager.values_list("pk", flat=True):
            filtered = client.get(f"{path}?{name}={pk}&page_size=500")
            assert (path, name, pk, filtered.status_code) == (path, name, pk, 200)
            assert {row["id"] for row in filtered.data["results"]} <= visible
    assert client.get("/api/zones/?account=0").status_code == 400  # not an id at all: a 400 naming the filter
    assert client.get("/api/zones/?account=abc").data["fields"] == {"account": ["Enter a whole number."]}
