"""The mail renderer: deterministic, golden-file tested, customer strings tagged !unsafe, inactive and
absent mailboxes rendered so the roles refuse their logins and their mail."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from panel.provisioning import hostvars, registry
from panel.provisioning.hostvars.mail import AddressData, MailboxData, MailServerData, VacationData, render
from tests.provisioning.specs import role_spec_errors

GOLDEN = Path(__file__).parent / "golden" / "mail.json"
DATA = MailServerData(
    domains=(("shop.example", False), ("old.example", True)),
    mailboxes=(
        MailboxData(
            "info",
            "{SHA512-CRYPT}$6$salt$hash",
            2048,
            True,
            spam="junk",
            vacation=VacationData(
                "Away {{ x }}", "Back on Monday.\nRegards", "2026-12-20", "", 7, ("info@shop.example",)
            ),
        ),
        MailboxData("alice", "{SHA512-CRYPT}$6$salt2$hash2", 0, False, sieve_custom='require "fileinto";'),
        MailboxData("gone", "{SHA512-CRYPT}$6$x$y", 100, True, absent=True),
    ),
    addresses=(
        AddressData("info@shop.example", mailboxes=("info",)),
        AddressData("@shop.example", mailboxes=("alice", "info")),
        AddressData("sales@shop.example", forwards=("boss@elsewhere.org",)),
        AddressData("old@old.example", mailboxes=("gone",), absent=True),
    ),
)


def test_rendered_vars_match_the_golden_file() -> None:
    text = hostvars.dump(render(DATA))
    if os.environ.get("BATON_UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_customer_strings_and_hashes_are_unsafe() -> None:
    loaded = hostvars.load(hostvars.dump(render(DATA)))
    info = next(box for box in loaded["dovecot__host_mailboxes"] if box["name"] == "info")
    assert isinstance(info["password_hash"], hostvars.Unsafe)
    assert isinstance(info["vacation"]["subject"], hostvars.Unsafe) and info["vacation"]["subject"] == "Away {{ x }}"
    alias = next(a for a in loaded["postfix__host_aliases"] if a["address"] == "@shop.example")
    assert all(isinstance(m, hostvars.Unsafe) for m in alias["mailboxes"])


@pytest.mark.parametrize(("name", "state", "active"), [("alice", "present", False), ("gone", "absent", True)])
def test_inactive_and_absent_mailboxes(name: str, state: str, active: bool) -> None:
    rendered = render(DATA)
    for key in ("postfix__host_mailboxes", "dovecot__host_mailboxes"):
        box = next(b for b in rendered[key] if b["name"] == name)
        assert (box["state"], box["active"]) == (state, active)


def test_rendered_vars_satisfy_the_argument_specs_of_the_services_roles() -> None:
    roles = registry.get("mail").argument_specs
    assert roles == ("postfix", "dovecot")
    rendered = render(DATA)
    for role in roles:
        own = {name: value for name, value in rendered.items() if name.startswith(f"{role}__")}
        assert own, role
        assert role_spec_errors(role, own) == []


def test_suspended_addresses_keep_no_target_so_postfix_refuses_them() -> None:
    data = MailServerData(
        domains=(("shop.example", False),),
        mailboxes=(MailboxData("info", "{SHA512-CRYPT}$6$salt$hash", 0, False),),
        addresses=(
            AddressData("info@shop.example", mailboxes=("info",), suspended=True),
            AddressData("sales@shop.example", forwards=("boss@elsewhere.org",), suspended=True),
        ),
    )
    rendered = render(data)
    assert [(a["address"], a["mailboxes"], a["forwards"], a["state"]) for a in rendered["postfix__host_aliases"]] == [
        ("info@shop.example", [], [], "present"),
        ("sales@shop.example", [], [], "present"),
    ]
    assert role_spec_errors("postfix", {k: v for k, v in rendered.items() if k.startswith("postfix__")}) == []
