"""Contract test: the API does what its OpenAPI schema says, checked by schemathesis against a live panel.

A real HTTP server (pytest-django's `live_server`: the whole Django stack, middleware and error handlers
included) answers generated requests, valid and invalid, as a customer and as staff. The schema is generated
when this module is collected, by the same generator that serves /api/schema/ (a test checks the served one is
the same), so that each operation is a test of its own. Every response must be a documented status, with a
documented content type and a body that matches the documented schema; a 5xx fails outright.

Bounded and deterministic: a fixed seed, at most MAX_EXAMPLES generated requests per operation, no example
database, no deadline (a shared 2-core machine is slow now and then, which is not a contract violation).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from django.core.files.base import ContentFile
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from billing.payments import debits_create, payment_source_create
from billing.services import invoice_create, invoice_issue, invoice_line_add
from panel.accounts.services import contact_create, token_create
from panel.dns.services import record_create, zone_create
from panel.mail import services as mail_services
from panel.names.models import NameProof
from panel.orders.services import order_update_for, service_create
from panel.servers.models import Placement
from panel.systemusers import services as systemuser_services
from panel.web.services import website_create
from tests.factories import ContactFactory, make_account, make_customer, make_staff

# Per operation and actor; BATON_CONTRACT_EXAMPLES=200 for a deeper run by hand.
MAX_EXAMPLES = int(os.environ.get("BATON_CONTRACT_EXAMPLES", "25"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Left out of the fuzz run, because they run Ansible or reach other machines; their own tests fake those parts:
NOT_FUZZED = [
    ("POST", "/api/changesets/"),  # converge: a full Ansible run on a server
    ("POST", "/api/changesets/{id}/plan/"),  # check mode + diff: runs Ansible against the server
    ("POST", "/api/changesets/{id}/retry/"),  # schedules another Ansible run of the change set
    ("POST", "/api/servers/"),  # registration reads the host key with ssh-keyscan from the given address
    ("POST", "/api/servers/{id}/rescan-host-key/"),  # ssh-keyscan again
]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261203,
        # Explicit examples (none) and generated cases: at most MAX_EXAMPLES per operation. The coverage phase
        # would generate every boundary case the schema defines, hundreds per operation: not "a few minutes".
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "generation": {"max-examples": MAX_EXAMPLES},
    }
)

SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    # One world per operation, shared by its examples (each example starting from a fresh database would
    # cost a flush and a rebuild per request); the fuzzed requests change it as clients would.
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture, hypothesis.HealthCheck.too_slow],
)


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    ids: dict[str, int]


def _build_world() -> World:
    """Customer A with one of every object, customer B with a zone, staff; billing with an issued invoice."""
    account_a, account_b = make_account("alice"), make_account("bob")
    customer, staff = make_customer(account_a), make_staff()
    contact = ContactFactory(account=account_a)
    contact_create(account=account_a, name="Billing", email="billing@alice-home.org", usages=["billing"], actor=None)
    token, _ = token_create(user=customer, name="script", actor=None)
    zone_create(account=account_b, name="bob.example", actor=None)
    zone, change_set = zone_create(account=account_a, name="alice.example", actor=None)
    record, _ = record_create(zone=zone, name="www", type="A", value="192.0.2.1", actor=None)
    domain, _ = mail_services.mail_domain_create(account=account_a, name="alicemail.example", actor=None)
    mailbox, _ = mail_services.mailbox_create(account=account_a, name="box", password="a long password", actor=None)
    address, _ = mail_services.address_create(domain=domain, local_part="info", mailboxes=[mailbox], actor=None)
    reply, _ = mail_services.autoresponse_set(mailbox=mailbox, subject="Away", body="Back soon.", actor=None)
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGd2e3cIbdBLNvXQCILqSVZDv0fWFZnBqV0tDpx9qmlm contract"
    system_user, _ = systemuser_services.system_user_create(account=account_a, name="alice-dev", keys=[key], actor=None)
    website, _ = website_create(account=account_a, name="shop", domains=["shop.alice.example"], actor=None)
    proof = NameProof.objects.create(
        account=account_a, name="ext.alice-elsewhere.org", proven_at=timezone.now(), proven_by="dns"
    )
    service_create(description="Hosting", content_type="accounts.account", nominal_price="10.00", actor=staff)
    [order] = order_update_for(obj=account_a, actor=None, on=date(2024, 3, 1))
    invoice = invoice_create(account=account_a, kind="fee", actor=staff)
    invoice_line_add(invoice=invoice, description="Setup", quantity="1", unit_price="5", actor=staff)
    invoice = invoice_issue(invoice=invoice, actor=staff, on=date(2024, 3, 1))
    invoice.pdf.save(f"{invoice.code}.pdf", ContentFile(b"%PDF-1.4 stand-in"))
    source = payment_source_create(
        account=account_a, method="sepa_direct_debit", iban="DE89370400440532013000", actor=None
    )
    [debit] = debits_create(due_on=date(2024, 12, 31), actor=staff)
    placement = Placement.objects.get(role="dns-primary", account=None)
    headers = {
        "customer": {"Authorization": f"Token {token_create(user=customer, name='contract', actor=None)[1]}"},
        "staff": {"Authorization": f"Token {token_create(user=staff, name='contract', actor=None)[1]}"},
    }
    ids = {
        "accounts": account_a.pk,
        "contacts": contact.pk,
        "tokens": token.pk,
        "zones": zone.pk,
        "records": record.pk,
        "changesets": change_set.pk,
        "runs": 1,
        "mail/domains": domain.pk,
        "mail/mailboxes": mailbox.pk,
        "mail/addresses": address.pk,
        "mail/autoresponses": reply.pk,
        "systemusers": system_user.pk,
        "systemusers/keys": system_user.keys.get().pk,
        "websites": website.pk,
        "names": proof.pk,
        "servers": placement.server_id,
        "placements": placement.pk,
        "orders": order.pk,
        "invoices": invoice.pk,
        "payment-sources": source.pk,
        "transactions": debit.pk,
    }
    return World(headers=headers, ids=ids)


@pytest.fixture
def world(
    live_server: Any, dns_servers: object, mail_server: object, web_server: object, monkeypatch: pytest.MonkeyPatch
) -> World:
    # Writes ask for provisioning runs once they commit (and the live server commits): those would run Ansible
    # against the fixtures' unreachable servers. The engine has its own tests; here only the API is under test.
    monkeypatch.setattr("panel.provisioning.tasks.schedule_processing", lambda *args, **kwargs: None)
    # Rendering invoice PDFs (weasyprint) would cost most of each operation's time; tests/billing renders them.
    monkeypatch.setattr("billing.tasks.render_invoice_pdf", lambda *args, **kwargs: None)
    return _build_world()


def _generated_schema() -> dict[str, Any]:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))  # type: ignore[no-any-return]


RAW_SCHEMA = _generated_schema()
schema = schemathesis.openapi.from_dict(RAW_SCHEMA, config=CONFIG)
for _method, _path in NOT_FUZZED:
    schema = schema.exclude(method=_method, path=_path)
# Staff-only endpoints answer a customer 403 before reading anything; fuzzing them as one would spend a third of
# the run on that. tests/api/test_tenancy_matrix.py checks each of them refuses customers.
STAFF_ONLY = r"^/api/(accounts|servers|placements|runs|transactions|billing)/"
customer_schema = schema.exclude(path_regex=STAFF_ONLY)


def _aim_at_the_world(case: Any, world: World) -> None:
    """Point `{id}` at the world's object of that kind: random ids would nearly always be 404s, and the bugs
    live in what the services do with an object that exists."""
    if "id" not in (case.path_parameters or {}):
        return
    resource = case.operation.path.removeprefix("/api/").split("/{id}")[0]
    if resource in world.ids:
        case.path_parameters["id"] = world.ids[resource]


def _check(case: Any, world: World, actor: str, live_server: Any) -> None:
    _aim_at_the_world(case, world)
    case.call_and_validate(base_url=live_server.url, headers=world.headers[actor], checks=CHECKS)


@pytest.mark.django_db(transaction=True)
@customer_schema.parametrize()
@SETTINGS
def test_contract_as_customer(case: Any, world: World, live_server: Any) -> None:
    _check(case, world, "customer", live_server)


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@SETTINGS
def test_contract_as_staff(case: Any, world: World, live_server: Any) -> None:
    _check(case, world, "staff", live_server)


def test_every_left_out_operation_exists() -> None:
    """A renamed endpoint must not silently leave the fuzz run's exclusions pointing at nothing."""
    for method, path in NOT_FUZZED:
        assert method.lower() in RAW_SCHEMA["paths"].get(path, {}), (method, path)


@pytest.mark.django_db(transaction=True)
def test_the_fuzzed_schema_is_the_served_one(live_server: Any) -> None:
    served = requests.get(f"{live_server.url}/api/schema/?format=json", timeout=30)
    assert served.status_code == 200
    assert served.json() == RAW_SCHEMA
