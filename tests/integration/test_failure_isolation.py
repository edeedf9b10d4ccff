"""One object's refused file fails that object alone: the engine's side of the rule, with Ansible faked at the
runner boundary. The same rule against real servers: tests/provisioning/test_isolation_runs.py."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from panel.accounts.models import Account, User
from panel.dns.models import Record, Zone
from panel.dns.services import record_create, zone_create
from panel.provisioning import engine
from panel.provisioning.choices import RunStatus
from panel.provisioning.models import ChangeSet, Run
from panel.provisioning.services import change_set_retry, request
from panel.servers.models import Server
from tests.integration.fakes import fake_runner

pytestmark = pytest.mark.django_db

REFUSED_SHOP = {
    "unit": "shop.example",
    "label": "shop.example",
    "msg": "zone shop.example/IN: NS 'nsmissing' has no address",
}


@pytest.fixture
def zones(
    account_a: Account, account_b: Account, customer_a: User, customer_b: User, dns_servers: tuple[Server, Server]
) -> tuple[Zone, Zone]:
    shop, _ = zone_create(account=account_a, name="shop.example", actor=customer_a)
    blog, _ = zone_create(account=account_b, name="blog.example", actor=customer_b)
    return shop, blog


def settle_both(monkeypatch: pytest.MonkeyPatch, servers: tuple[Server, Server], rejected: list | None = None) -> None:
    fake_runner(monkeypatch, rejected=rejected)
    engine.process(servers[0].pk, "dns")
    fake_runner(monkeypatch)  # the secondary renders no zone files: nothing of it is refused
    engine.process(servers[1].pk, "dns")


def test_a_refused_zone_fails_alone_and_the_run_is_partial(
    monkeypatch: pytest.MonkeyPatch,
    zones: tuple[Zone, Zone],
    customer_a: User,
    customer_b: User,
    dns_servers: tuple[Server, Server],
) -> None:
    settle_both(monkeypatch, dns_servers)
    shop, blog = zones
    bad, _ = record_create(zone=shop, name="@", type="A", value="192.0.2.1", actor=customer_a)
    good, _ = record_create(zone=blog, name="www", type="A", value="192.0.2.2", actor=customer_b)
    settle_both(monkeypatch, dns_servers, rejected=[REFUSED_SHOP])

    primary_set = ChangeSet.objects.filter(server=dns_servers[0]).first()
    assert primary_set is not None and primary_set.state == "partial"
    run = Run.objects.filter(change_set=primary_set).get()
    assert run.status == RunStatus.PARTIAL and run.rejected[0]["unit"] == "shop.example"
    for obj in (Record.objects.get(pk=bad.pk), Zone.objects.get(pk=shop.pk)):
        assert obj.apply_state == "failed" and "nsmissing" in obj.apply_error
    # The secondary succeeded later: the zone stays failed, since its primary refused this request.
    assert Record.objects.get(pk=good.pk).apply_state == "applied"
    assert Zone.objects.get(pk=blog.pk).apply_state == "applied"
    assert "blog" not in Zone.objects.get(pk=shop.pk).apply_error


def test_fixing_the_object_converges_it_without_staff(
    monkeypatch: pytest.MonkeyPatch, zones: tuple[Zone, Zone], customer_a: User, dns_servers: tuple[Server, Server]
) -> None:
    settle_both(monkeypatch, dns_servers)
    shop, _ = zones
    bad, _ = record_create(zone=shop, name="@", type="A", value="192.0.2.1", actor=customer_a)
    settle_both(monkeypatch, dns_servers, rejected=[REFUSED_SHOP])
    assert Record.objects.get(pk=bad.pk).apply_state == "failed"
    fixed, _ = record_create(zone=shop, name="mail", type="A", value="192.0.2.3", actor=customer_a)
    settle_both(monkeypatch, dns_servers)
    assert Zone.objects.get(pk=shop.pk).apply_state == "applied"
    assert Record.objects.get(pk=fixed.pk).apply_state == "applied"
    # Nothing loops: no change set is left open or waiting for a retry.
    assert not ChangeSet.objects.filter(state__in=["pending", "running", "retrying"]).exists()


def test_a_refusal_of_another_unit_leaves_this_change_set_applied(
    monkeypatch: pytest.MonkeyPatch, zones: tuple[Zone, Zone], customer_b: User, dns_servers: tuple[Server, Server]
) -> None:
    """Every run renders the full state, so an object still wrong is refused again in other accounts' runs."""
    settle_both(monkeypatch, dns_servers)
    _, blog = zones
    good, change_set = record_create(zone=blog, name="www", type="A", value="192.0.2.2", actor=customer_b)
    settle_both(monkeypatch, dns_servers, rejected=[REFUSED_SHOP])
    change_set.refresh_from_db()
    assert change_set.state == "applied" and change_set.error == ""
    assert Record.objects.get(pk=good.pk).apply_state == "applied"
    assert Run.objects.filter(change_set=change_set).get().status == RunStatus.PARTIAL  # staff still see it


def test_the_customer_sees_only_its_own_objects_error(
    monkeypatch: pytest.MonkeyPatch,
    zones: tuple[Zone, Zone],
    customer_a: User,
    customer_b: User,
    client_a: APIClient,
    client_b: APIClient,
    dns_servers: tuple[Server, Server],
) -> None:
    settle_both(monkeypatch, dns_servers)
    shop, blog = zones
    record_create(zone=shop, name="@", type="A", value="192.0.2.1", actor=customer_a)
    _, change_set = record_create(zone=blog, name="www", type="A", value="192.0.2.2", actor=customer_b)
    settle_both(monkeypatch, dns_servers, rejected=[REFUSED_SHOP])
    seen_by_b = client_b.get(f"/api/changesets/{change_set.pk}/").json()
    assert seen_by_b["state"] == "partial"  # one coalesced change set for both accounts' objects
    assert "shop" not in str(seen_by_b) and "nsmissing" not in str(seen_by_b)
    assert {item["outcome"] for item in seen_by_b["items"]} == {"applied"}
    zones_of_b = client_b.get("/api/zones/").json()["results"]
    assert "nsmissing" not in str(zones_of_b) and zones_of_b[0]["apply_state"] == "applied"
    seen_by_a = client_a.get(f"/api/changesets/{change_set.pk}/").json()
    assert "blog" not in str(seen_by_a)
    assert {item["outcome"] for item in seen_by_a["items"]} == {"failed"}
    assert all("nsmissing" in item["error"] for item in seen_by_a["items"])


def test_a_whole_run_failure_never_quotes_the_run_to_customers(
    monkeypatch: pytest.MonkeyPatch, zones: tuple[Zone, Zone], customer_b: User, dns_servers: tuple[Server, Server]
) -> None:
    settle_both(monkeypatch, dns_servers)
    _, blog = zones
    record, _ = record_create(zone=blog, name="www", type="A", value="192.0.2.2", actor=customer_b)
    fake_runner(monkeypatch, status=RunStatus.FAILED, error="mailbox 'alice-of-account-a' is broken")
    engine.process(dns_servers[0].pk, "dns")
    record.refresh_from_db()
    assert record.apply_state == "failed" and "alice" not in record.apply_error
    assert "alice" in ChangeSet.objects.filter(server=dns_servers[0]).first().error  # type: ignore[union-attr]


def test_retrying_a_partial_change_set_requests_only_its_failed_objects(
    monkeypatch: pytest.MonkeyPatch,
    zones: tuple[Zone, Zone],
    customer_a: User,
    customer_b: User,
    staff: User,
    dns_servers: tuple[Server, Server],
) -> None:
    settle_both(monkeypatch, dns_servers)
    shop, blog = zones
    bad, _ = record_create(zone=shop, name="@", type="A", value="192.0.2.1", actor=customer_a)
    record_create(zone=blog, name="www", type="A", value="192.0.2.2", actor=customer_b)
    settle_both(monkeypatch, dns_servers, rejected=[REFUSED_SHOP])
    partial = ChangeSet.objects.get(server=dns_servers[0], state="partial")
    retry = change_set_retry(change_set=partial, actor=staff)
    assert {item.scope for item in retry.items.all()} == {"shop.example"}
    fake_runner(monkeypatch)
    engine.process(dns_servers[0].pk, "dns")
    assert Record.objects.get(pk=bad.pk).apply_state == "applied"


def test_a_converge_with_refused_files_is_partial(
    monkeypatch: pytest.MonkeyPatch, zones: tuple[Zone, Zone], dns_servers: tuple[Server, Server]
) -> None:
    settle_both(monkeypatch, dns_servers)
    converge = request(server=dns_servers[0], service="dns", objects=(), actor=None)
    fake_runner(monkeypatch, rejected=[REFUSED_SHOP])
    engine.process(dns_servers[0].pk, "dns")
    converge.refresh_from_db()
    assert converge.state == "partial" and "nsmissing" in converge.error


def test_staff_are_mailed_about_a_partial_change_set_with_the_refused_files_escaped(
    monkeypatch: pytest.MonkeyPatch,
    zones: tuple[Zone, Zone],
    staff: User,
    dns_servers: tuple[Server, Server],
    django_capture_on_commit_callbacks: object,
) -> None:
    from django.core import mail

    staff.email = "ops@provider.org"
    staff.save()
    settle_both(monkeypatch, dns_servers)
    request(server=dns_servers[0], service="dns", objects=(), actor=None)
    fake_runner(monkeypatch, rejected=[{**REFUSED_SHOP, "msg": "<b>bad</b> zone"}])
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        engine.process(dns_servers[0].pk, "dns")
    assert len(mail.outbox) == 1 and "partially failed" in mail.outbox[0].subject
    html = mail.outbox[0].alternatives[0][0]
    assert "&lt;b&gt;bad&lt;/b&gt; zone" in html and "<b>bad</b>" not in html
