"""The catalogue refuses bad input with the field named, and orders follow billable objects through the
existing service functions of mail and DNS (creating orders, deleting cancels), by the signals in apps.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from panel.accounts.models import Account, User
from panel.core.errors import Conflict, ValidationFailed
from panel.dns.services import zone_create, zone_delete
from panel.mail import services as mail_services
from panel.mail.models import Mailbox
from panel.orders.models import Order, Service
from panel.orders.services import order_update_for, plan_create, rate_create, service_create, service_update
from panel.provisioning.models import ChangeSetItem
from panel.provisioning.settle import settle_objects
from panel.servers.models import Server
from tests.factories import make_account

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-staple"


def mailbox_service(staff: User, **fields: Any) -> Service:
    values: dict[str, Any] = {
        "description": "Mailbox storage",
        "metric": "mailbox_quota_gb",
        "tax_rate": "21",
        **fields,
    }
    return service_create(content_type="mail.mailbox", nominal_price="0.50", actor=staff, **values)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"nominal_price": "-1"}, "nominal_price"),
        ({"nominal_price": 1.5}, "nominal_price"),
        ({"tax_rate": "121"}, "tax_rate"),
        ({"metric": "bogus"}, "metric"),
        ({"match": [{"field": "quota_mb", "operator": "like", "value": 1}]}, "match.0.operator"),
        ({"match": [{"field": "password_hash", "operator": "eq", "value": "x"}]}, "match.0.field"),
        ({"match": [{"field": "quota_mb", "operator": "in", "value": 3}]}, "match.0.value"),
        ({"match": "quota_mb > 1"}, "match"),
        ({"fixed_day": 31}, "fixed_day"),
        ({"ignore_account_types": ["robots"]}, "ignore_account_types"),
    ],
)
def test_bad_services_are_refused_naming_the_field(staff: User, changes: dict[str, Any], field: str) -> None:
    values: dict[str, Any] = {"nominal_price": "1.00", **changes}
    with pytest.raises(ValidationFailed) as excinfo:
        service_create(description="x", content_type="mail.mailbox", actor=staff, **values)
    assert field in excinfo.value.fields, excinfo.value.fields
    assert not Service.objects.exists()


def test_a_metric_must_measure_the_service_objects(staff: User) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        service_create(
            description="Zones", content_type="dns.zone", nominal_price="1", metric="mailbox_quota_gb", actor=staff
        )
    assert "metric" in excinfo.value.fields
    with pytest.raises(ValidationFailed) as excinfo:
        service_create(description="Servers", content_type="servers.server", nominal_price="1", actor=staff)
    assert "content_type" in excinfo.value.fields


def test_overlapping_and_negative_rates_are_refused(staff: User) -> None:
    service = mailbox_service(staff)
    plan = plan_create(name="Pro", actor=staff)
    rate_create(plan=plan, service=service, quantity="0", price="1.00", actor=staff)
    with pytest.raises(Conflict) as conflict:
        rate_create(plan=plan, service=service, quantity="0.0", price="2.00", actor=staff)
    assert "quantity" in conflict.value.fields
    with pytest.raises(ValidationFailed) as negative:
        rate_create(plan=plan, service=service, quantity="5", price="-2", actor=staff)
    assert "price" in negative.value.fields
    with pytest.raises(ValidationFailed) as negative_quantity:
        rate_create(plan=plan, service=service, quantity="-1", price="2", actor=staff)
    assert "quantity" in negative_quantity.value.fields


def test_creating_a_mailbox_orders_it_and_quota_changes_are_recorded(
    staff: User, account_a: Account, customer_a: User, mail_server: Server
) -> None:
    service = mailbox_service(staff)
    mailbox, _ = mail_services.mailbox_create(
        account=account_a, name="info", password=PASSWORD, quota_mb=2048, actor=customer_a
    )
    order = Order.objects.get(service=service, object_id=mailbox.pk)
    assert (order.account, order.description, order.cancelled_on) == (account_a, "info", None)
    assert [m.value for m in order.metrics.all()] == [Decimal("2.0000")]
    mail_services.mailbox_update(mailbox=mailbox, quota_mb=5120, actor=customer_a)
    # Same day: the day's entry is replaced rather than a second one added.
    assert [m.value for m in order.metrics.all()] == [Decimal("5.0000")]
    # Seen again unchanged on a later day: the entry is confirmed, not repeated; a change starts a new one.
    mailbox = Mailbox.objects.get(pk=mailbox.pk)
    order_update_for(obj=mailbox, actor=None, on=date(2099, 1, 1))
    assert [(m.value, m.updated_on) for m in order.metrics.all()] == [(Decimal("5.0000"), date(2099, 1, 1))]
    mailbox.quota_mb = 10240
    order_update_for(obj=mailbox, actor=None, on=date(2099, 1, 2))
    assert [m.value for m in order.metrics.order_by("created_on")] == [Decimal("5.0000"), Decimal("10.0000")]


def test_deleting_a_mailbox_cancels_its_order_and_keeps_it(
    staff: User, account_a: Account, customer_a: User, mail_server: Server
) -> None:
    mailbox_service(staff)
    mailbox, _ = mail_services.mailbox_create(account=account_a, name="info", password=PASSWORD, actor=customer_a)
    change_set = mail_services.mailbox_delete(mailbox=mailbox, actor=customer_a)
    # The mail app marks it with queryset.update(): no signal until the servers have dropped it and the row goes.
    items = list(ChangeSetItem.objects.filter(change_set=change_set))
    change_set.state = "applied"
    change_set.save()
    settle_objects([Mailbox], items)
    assert not Mailbox.objects.filter(pk=mailbox.pk).exists()
    order = Order.objects.get(object_id=mailbox.pk)
    assert order.cancelled_on is not None and order.description == "info"


def test_zones_are_ordered_and_cancelled_when_deletion_is_asked(
    staff: User, account_a: Account, customer_a: User, dns_servers: tuple[Server, Server]
) -> None:
    service = service_create(description="DNS zone", content_type="dns.zone", nominal_price="3.00", actor=staff)
    zone, _ = zone_create(account=account_a, name="shop.example", actor=customer_a)
    order = Order.objects.get(service=service, object_id=zone.pk)
    assert order.cancelled_on is None
    zone_delete(zone=zone, actor=customer_a)
    order.refresh_from_db()
    assert order.cancelled_on is not None


def test_match_filter_and_ignored_account_types(staff: User, customer_a: User, mail_server: Server) -> None:
    big = mailbox_service(
        staff, metric="count", match=[{"field": "quota_mb", "operator": "gt", "value": 4096}], description="Big"
    )
    mailbox, _ = mail_services.mailbox_create(
        account=customer_a.account, name="small", password=PASSWORD, quota_mb=1024, actor=customer_a
    )
    assert not Order.objects.filter(service=big).exists()
    mail_services.mailbox_update(mailbox=mailbox, quota_mb=8192, actor=customer_a)
    assert Order.objects.get(service=big).cancelled_on is None
    mail_services.mailbox_update(mailbox=mailbox, quota_mb=1024, actor=customer_a)
    assert Order.objects.get(service=big).cancelled_on is not None  # no longer matches: cancelled
    internal = make_account("ops", type="staff")
    mail_services.mailbox_create(account=internal, name="ops", password=PASSWORD, quota_mb=8192, actor=None)
    assert not Order.objects.filter(account=internal).exists()


def test_accounts_are_billable_too(staff: User) -> None:
    service = service_create(
        description="Hosting account", content_type="accounts.account", nominal_price="5", actor=staff
    )
    account = make_account("carol")
    assert Order.objects.get(service=service).object_id == account.pk
    service_update(service=service, is_active=False, actor=staff)
    order_update_for(obj=account, actor=None)
    assert Order.objects.get(service=service).cancelled_on is not None
