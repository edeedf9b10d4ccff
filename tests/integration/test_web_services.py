"""Websites and the engine (Ansible faked at the runner boundary): the users service runs before the web service
in the same turn (the pools run as the account's user), and a refused pool or vhost fails only the sites of its
account."""

from __future__ import annotations

import json

import pytest

from panel.accounts.models import Account
from panel.provisioning import engine
from panel.provisioning.models import ChangeSet
from panel.servers.models import Server
from panel.systemusers.models import SystemUser, UnixId
from panel.web.models import Website
from panel.web.services import website_create
from tests.factories import make_account
from tests.integration.fakes import fake_runner

pytestmark = pytest.mark.django_db


def test_the_users_change_runs_first_in_the_same_turn(
    monkeypatch: pytest.MonkeyPatch, account_a: Account, web_server: Server
) -> None:
    runs = fake_runner(monkeypatch)
    website_create(account=account_a, name="shop", domains=["shop.example"], actor=None)
    assert engine.process(web_server.pk, "web")
    assert [run.service for run in runs] == ["users", "web"]
    assert set(ChangeSet.objects.values_list("service", "state")) == {("users", "applied"), ("web", "applied")}


def test_a_refused_pool_fails_only_its_accounts_sites(
    monkeypatch: pytest.MonkeyPatch, account_a: Account, web_server: Server
) -> None:
    other = make_account("carol")
    website_create(account=account_a, name="shop", domains=["shop.example"], actor=None)
    website_create(account=account_a, name="blog", domains=["blog.example"], actor=None)
    website_create(account=other, name="www", domains=["carol.example"], actor=None)
    fake_runner(monkeypatch, rejected=[{"unit": "pool:alice", "label": "pool alice", "msg": "cannot get uid"}])
    assert engine.process(web_server.pk, "web")
    states = dict(Website.objects.values_list("name", "apply_state"))
    assert states == {"shop": "failed", "blog": "failed", "www": "applied"}
    assert "cannot get uid" in Website.objects.get(name="shop").apply_error
    assert "carol" not in Website.objects.get(name="shop").apply_error


def test_a_new_site_of_an_account_whose_user_is_on_the_server_needs_no_users_run(
    monkeypatch: pytest.MonkeyPatch, account_a: Account, web_server: Server
) -> None:
    runs = fake_runner(monkeypatch)
    website_create(account=account_a, name="shop", domains=["shop.example"], actor=None)
    assert engine.process(web_server.pk, "web")
    website_create(account=account_a, name="blog", domains=["blog.example"], actor=None)
    assert engine.process(web_server.pk, "web")
    assert [run.service for run in runs] == ["users", "web", "web"], "the web run makes the new site's directory"
    [blog] = [
        site
        for site in json.loads(runs[-1].host_vars)["apache__host_sites"]
        if site["dir"] == {"__ansible_unsafe": "blog"}
    ]
    assert blog["uid"] == UnixId.objects.get(account=account_a).uid
    # While the account's user is not applied yet (e.g. its run failed), a new site asks for the users run again.
    SystemUser.objects.filter(account=account_a, is_main=True).update(apply_state="failed")
    website_create(account=account_a, name="wiki", domains=["wiki.example"], actor=None)
    assert engine.process(web_server.pk, "web")
    assert [run.service for run in runs][3:] == ["users", "web"]
