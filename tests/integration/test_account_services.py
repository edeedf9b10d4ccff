from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from panel.accounts.models import Account, Contact, User
from panel.accounts.registry import registry
from panel.accounts.services import (
    account_create,
    account_delete,
    account_disable,
    account_enable,
    account_update,
    contact_create,
    contact_delete,
    contact_update,
    user_create,
)
from panel.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from panel.core.models import ObjectChange
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

EMERGENCY = {"name": "E", "email": "e@elsewhere.org", "usages": ["emergency"]}


@pytest.fixture
def hook_calls() -> Iterator[list[tuple[str, str]]]:
    calls: list[tuple[str, str]] = []
    disable = lambda account, actor: calls.append(("disable", account.handle))  # noqa: E731
    enable = lambda account, actor: calls.append(("enable", account.handle))  # noqa: E731
    registry.disable_hooks.append(disable)
    registry.enable_hooks.append(enable)
    yield calls
    registry.disable_hooks.remove(disable)
    registry.enable_hooks.remove(enable)


def test_create_account_with_contacts_writes_audit(staff: User) -> None:
    account = account_create(handle="carol", name="Carol", contacts=[EMERGENCY], actor=staff)
    assert account.contacts.get().is_emergency
    change = ObjectChange.objects.get(action="create", object_id=str(account.pk), content_type__model="account")
    assert change.actor == staff
    assert change.after is not None and change.after["handle"] == "carol"
    assert change.account_ref == account.pk


def test_account_needs_a_reachable_emergency_contact(staff: User) -> None:
    technical_only = {"name": "T", "email": "t@elsewhere.org", "usages": ["technical"]}
    with pytest.raises(ValidationFailed) as excinfo:
        account_create(handle="carol", name="Carol", contacts=[technical_only], actor=staff)
    assert "contacts" in excinfo.value.fields
    assert not Account.objects.filter(handle="carol").exists()


@override_settings(BATON_OWN_MAIL_DOMAINS=["hosting.example.net"])
def test_emergency_contact_on_our_own_mail_domain_does_not_count(staff: User) -> None:
    ours = {"name": "E", "email": "boss@shop.hosting.example.net", "usages": ["emergency"]}
    with pytest.raises(ValidationFailed):
        account_create(handle="carol", name="Carol", contacts=[ours], actor=staff)
    account_create(handle="carol", name="Carol", contacts=[ours, EMERGENCY], actor=staff)


def test_mail_domain_sources_from_other_apps_count(staff: User) -> None:
    source = lambda domain: domain == "hosted-here.org"  # noqa: E731
    registry.mail_domain_sources.append(source)
    try:
        with pytest.raises(ValidationFailed):
            account_create(
                handle="carol",
                name="Carol",
                actor=staff,
                contacts=[{"name": "E", "email": "e@hosted-here.org", "usages": ["emergency"]}],
            )
    finally:
        registry.mail_domain_sources.remove(source)


def test_invalid_nested_contact_names_its_position(staff: User) -> None:
    bad = {"name": "X", "email": "not-an-email", "usages": ["emergency"]}
    with pytest.raises(ValidationFailed) as excinfo:
        account_create(handle="carol", name="Carol", contacts=[EMERGENCY, bad], actor=staff)
    assert "contacts.1.email" in excinfo.value.fields
    assert not Account.objects.filter(handle="carol").exists()


def test_duplicate_handle_is_refused(staff: User, account_a: Account) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        account_create(handle=account_a.handle, name="Again", contacts=[EMERGENCY], actor=staff)
    assert "handle" in excinfo.value.fields


def test_handle_cannot_change(staff: User, account_a: Account) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        account_update(account=account_a, handle="renamed", actor=staff)
    assert excinfo.value.fields == {"handle": [excinfo.value.message]}
    account_update(account=account_a, handle=account_a.handle, name="New name", actor=staff)
    account_a.refresh_from_db()
    assert (account_a.handle, account_a.name) == ("alice", "New name")


def test_customers_cannot_use_staff_services(customer_a: User, account_a: Account) -> None:
    with pytest.raises(Forbidden):
        account_update(account=account_a, name="Mine now", actor=customer_a)
    with pytest.raises(Forbidden):
        account_disable(account=account_a, actor=customer_a)
    with pytest.raises(Forbidden):
        user_create(username="x", password="long-enough-pass-1", is_staff=True, actor=customer_a)


def test_disable_and_enable_cascade_through_the_registry(
    staff: User, account_a: Account, hook_calls: list[tuple[str, str]]
) -> None:
    account_disable(account=account_a, actor=staff)
    account_disable(account=account_a, actor=staff)  # already disabled: no second cascade
    account_a.refresh_from_db()
    assert not account_a.is_active
    account_enable(account=account_a, actor=staff)
    account_a.refresh_from_db()
    assert account_a.is_active
    assert hook_calls == [("disable", "alice"), ("enable", "alice")]
    assert list(
        ObjectChange.objects.filter(object_id=str(account_a.pk), content_type__model="account")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["create", "disable", "enable"]


def test_a_failing_hook_rolls_the_disable_back(staff: User, account_a: Account) -> None:
    def broken(account: Account, actor: User | None) -> None:
        raise Conflict("mail server said no")

    registry.disable_hooks.append(broken)
    try:
        with pytest.raises(Conflict):
            account_disable(account=account_a, actor=staff)
    finally:
        registry.disable_hooks.remove(broken)
    account_a.refresh_from_db()
    assert account_a.is_active


def test_delete_without_invoices_removes_everything(staff: User, account_a: Account, customer_a: User) -> None:
    assert account_delete(account=account_a, actor=staff)[0] == []
    assert not Account.objects.filter(handle="alice").exists()
    assert not User.objects.filter(pk=customer_a.pk).exists()
    change = ObjectChange.objects.get(action="delete", content_type__model="account")
    assert change.before is not None and change.before["handle"] == "alice"


def test_delete_with_invoices_soft_deletes(
    staff: User, account_a: Account, customer_a: User, hook_calls: list[tuple[str, str]]
) -> None:
    guard = lambda account: "2 invoices" if account.handle == "alice" else None  # noqa: E731
    registry.delete_guards.append(guard)
    try:
        assert account_delete(account=account_a, actor=staff)[0] == ["2 invoices"]
    finally:
        registry.delete_guards.remove(guard)
    account_a.refresh_from_db()
    customer_a.refresh_from_db()
    assert account_a.deleted_at is not None and not account_a.is_active
    assert not customer_a.is_active
    assert hook_calls == [("disable", "alice")]
    with pytest.raises(Conflict):
        account_enable(account=account_a, actor=staff)


def test_last_emergency_contact_cannot_be_deleted(account_a: Account, customer_a: User) -> None:
    contact = account_a.contacts.get()
    with pytest.raises(Conflict) as excinfo:
        contact_delete(contact=contact, actor=customer_a)
    assert excinfo.value.code == "last_emergency_contact"
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_last_emergency_contact_cannot_lose_its_usage_or_move_to_our_mail(account_a: Account, customer_a: User) -> None:
    contact = account_a.contacts.get()
    with pytest.raises(ValidationFailed) as excinfo:
        contact_update(contact=contact, usages=["billing"], actor=customer_a)
    assert "usages" in excinfo.value.fields
    with override_settings(BATON_OWN_MAIL_DOMAINS=["ours.org"]), pytest.raises(ValidationFailed) as excinfo:
        contact_update(contact=contact, email="me@ours.org", actor=customer_a)
    assert "email" in excinfo.value.fields
    contact.refresh_from_db()
    assert contact.is_emergency and contact.email == "emergency@alice-home.org"


def test_emergency_contact_can_go_once_another_exists(account_a: Account, customer_a: User) -> None:
    first = account_a.contacts.get()
    contact_create(
        account=account_a, name="Second", email="second@elsewhere.org", usages=["emergency"], actor=customer_a
    )
    contact_delete(contact=first, actor=customer_a)
    assert list(account_a.contacts.values_list("name", flat=True)) == ["Second"]


def test_customer_cannot_add_contacts_to_another_account(account_b: Account, customer_a: User) -> None:
    with pytest.raises(NotFound):
        contact_create(account=account_b, name="X", email="x@elsewhere.org", actor=customer_a)
    assert account_b.contacts.count() == 1


def test_unknown_usage_is_refused(account_a: Account, customer_a: User) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        contact_create(account=account_a, name="X", email="x@elsewhere.org", usages=["sales"], actor=customer_a)
    assert "usages" in excinfo.value.fields


def test_user_is_staff_or_customer_never_both(staff: User, account_a: Account) -> None:
    with pytest.raises(ValidationFailed):
        user_create(username="both", password="long-enough-pass-1", is_staff=True, account=account_a, actor=staff)
    with pytest.raises(ValidationFailed):
        user_create(username="neither", password="long-enough-pass-1", actor=staff)
    with pytest.raises(ValidationFailed) as excinfo:
        user_create(username="weak", password="123", account=account_a, actor=staff)
    assert "password" in excinfo.value.fields


def test_audit_log_never_holds_password_hashes(account_a: Account) -> None:
    user = make_customer(account_a, "audited")
    change = ObjectChange.objects.get(content_type__model="user", object_id=str(user.pk))
    assert change.after is not None
    assert "password" not in change.after
    assert user.password not in str(change.after)
