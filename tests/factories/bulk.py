"""Many objects of every kind a customer lists, and a long provisioning history for staff, written with bulk
inserts (no services, no audit, no runs): for the query-count tests and `bench/api_bench.py`.

Every object is valid as the API shows it (an applied state, a hash for a password, an issued invoice with its
frozen totals), so the list endpoints serialize them exactly as they would real ones.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from billing.choices import InvoiceState, PaymentMethod, TransactionState
from billing.models import Invoice, InvoiceLine, PaymentSource, Transaction
from panel.accounts.models import Account, ApiToken, Contact, User
from panel.dns.models import Record, Zone
from panel.mail.models import Address, Autoresponse, Mailbox, MailDomain
from panel.orders.models import Order, Service
from panel.provisioning.choices import ApplyState, ChangeSetState, ItemOutcome, RunStatus
from panel.provisioning.models import ChangeSet, ChangeSetItem, Run
from panel.servers.models import Server

BATCH = 2000
# A real one would be `dovecot_hash(...)`; hashing thousands of passwords would only slow the fill down.
FAKE_HASH = "{SHA512-CRYPT}$6$rounds=5000$bulkbulkbulkbulk$" + "x" * 86
APPLIED: dict[str, Any] = {"apply_state": ApplyState.APPLIED}
TOTALS = {
    "by_rate": [{"rate": "21.00", "base": "10.00", "tax": "2.10"}],
    "base": "10.00",
    "tax": "2.10",
    "total": "12.10",
}


def _insert(model: type[models.Model], objects: list[Any]) -> list[Any]:
    return model._default_manager.bulk_create(objects, batch_size=BATCH)


def fill_customer(
    account: Account, user: User, *, count: int, dns_server: Server, mail_server: Server, prefix: str = "bulk"
) -> None:
    """`count` contacts, zones, records, mail domains, mailboxes, addresses, autoresponses, orders, issued invoices
    (one line each, paid by a secured transfer), API tokens and (inactive) payment sources of `account`, the
    tokens `user`'s."""
    now = timezone.now()
    _insert(
        Contact,
        [Contact(account=account, name=f"{prefix} {i:06d}", email=f"c{i}@elsewhere.example") for i in range(count)],
    )
    zones = _insert(
        Zone,
        [
            Zone(
                name=f"{prefix}{i:06d}.example",
                account=account,
                primary=dns_server,
                serial=2026010101,
                soa_mname="ns1.baton.invalid.",
                soa_rname="hostmaster.baton.invalid.",
                **APPLIED,
            )
            for i in range(count)
        ],
    )
    _insert(Record, [Record(zone=zone, name="www", type="A", value="192.0.2.1", **APPLIED) for zone in zones])
    domains = _insert(
        MailDomain,
        [
            MailDomain(name=f"{prefix}{i:06d}.example", account=account, server=mail_server, **APPLIED)
            for i in range(count)
        ],
    )
    boxes = _insert(
        Mailbox,
        [
            Mailbox(name=f"{prefix}{i:06d}", account=account, server=mail_server, password_hash=FAKE_HASH, **APPLIED)
            for i in range(count)
        ],
    )
    addresses = _insert(Address, [Address(domain=domain, local_part="info", **APPLIED) for domain in domains])
    _insert(
        Address.mailboxes.through,
        [Address.mailboxes.through(address_id=a.pk, mailbox_id=b.pk) for a, b in zip(addresses, boxes, strict=True)],
    )
    _insert(Autoresponse, [Autoresponse(mailbox=box, subject="Away", body="Back soon.") for box in boxes])
    service = Service.objects.create(
        description=f"{prefix} mailboxes", content_type=ContentType.objects.get_for_model(Mailbox), nominal_price=1
    )
    box_type = ContentType.objects.get_for_model(Mailbox)
    _insert(
        Order,
        [
            Order(
                account=account,
                service=service,
                content_type=box_type,
                object_id=box.pk,
                description=box.name,
                registered_on=date(2026, 1, 1),
            )
            for box in boxes
        ],
    )
    year = now.year
    first = (
        Invoice.objects.filter(series=prefix[:10], year=year).aggregate(models.Max("number"))["number__max"] or 0
    ) + 1
    invoices = _insert(
        Invoice,
        [
            Invoice(
                account=account,
                series=prefix[:10],
                year=year,
                number=first + i,
                state=InvoiceState.ISSUED,
                issued_on=date(year, 1, 1),
                due_on=date(year, 1, 15),
                snapshot={"totals": TOTALS},
            )
            for i in range(count)
        ],
    )
    line = {"quantity": Decimal(1), "unit_price": Decimal(10), "subtotal": Decimal(10), "tax_rate": Decimal(21)}
    _insert(InvoiceLine, [InvoiceLine(invoice=invoice, description="Mailbox", **line) for invoice in invoices])
    _insert(
        ApiToken,
        [
            ApiToken(
                user=user,
                name=f"{prefix} {i}",
                prefix=f"{i:08d}",
                key_hash=hashlib.sha256(f"{prefix}{i}".encode()).hexdigest(),
            )
            for i in range(count)
        ],
    )
    sources = _insert(
        PaymentSource,
        [PaymentSource(account=account, method=PaymentMethod.BANK_TRANSFER, is_active=False) for _ in range(count)],
    )
    _insert(
        Transaction,
        [
            Transaction(invoice=invoice, source=source, amount=Decimal("12.10"), state=TransactionState.SECURED)
            for invoice, source in zip(invoices, sources, strict=True)
        ],
    )


def fill_history(*, server: Server, count: int, account: Account | None = None, every: int = 10) -> None:
    """`count` settled change sets of `server`, each with one item and one run (created in order, so the newest
    come first in the lists); every `every`-th
    one carries an object of `account` (a customer sees those), the others an object of nobody's."""
    started = timezone.now() - timedelta(seconds=count)
    zone_type = ContentType.objects.get_for_model(Zone)
    change_sets = _insert(
        ChangeSet,
        [
            ChangeSet(server=server, service="dns", state=ChangeSetState.APPLIED, attempts=1, finished_at=started)
            for _ in range(count)
        ],
    )
    owner = account.pk if account is not None else None
    _insert(
        ChangeSetItem,
        [
            ChangeSetItem(
                change_set=change_set,
                content_type=zone_type,
                object_id=str(i),
                object_repr=f"zone{i}.example",
                scope=f"zone{i}.example",
                account_ref=owner if i % every == 0 else None,
                requested_at=started,
                outcome=ItemOutcome.APPLIED,
            )
            for i, change_set in enumerate(change_sets)
        ],
    )
    ident = Run.objects.count()
    _insert(
        Run,
        [
            Run(
                change_set=change_set,
                server=server,
                service="dns",
                status=RunStatus.SUCCESSFUL,
                ident=f"bulk-{ident + i}",
                playbook="dns.yml",
                tags="bind9:zones",
                only=[f"zone{i}.example"],
                finished_at=started,
                duration=1.2,
                stats={"ok": 1},
                vars_hash="0" * 64,
            )
            for i, change_set in enumerate(change_sets)
        ],
    )
