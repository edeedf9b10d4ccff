"""Failure isolation from the customers' side, end to end: two accounts on one real mail server, the API, a real
Huey worker. Account A saves a sieve script the panel can parse but the server's sievec refuses (it requires a
capability this server lacks); account B's new address in the same run still goes live and takes mail over
SMTP, B never reads anything of A, and A sees its own mailbox failed with sievec's reason, then fixes it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests import hosts
from tests.e2e.conftest import Api, Worker, customer_api, eventually, register_server, staff_api
from tests.e2e.test_mail_e2e import can_login, send, subjects

pytestmark = pytest.mark.e2e
PASSWORD = "isolation mailbox password"
REFUSED_BY_SIEVEC = 'require ["vnd.baton.nonexistent"];\nkeep;\n'


@pytest.fixture(scope="module")
def mail_host() -> Iterator[hosts.TestHost]:
    name = "baton-e2e-isolation"
    try:
        yield hosts.start(name, ports=[25, 143])
    finally:
        hosts.stop(name)


def wait(api: Api, change_set: int) -> dict[str, Any]:
    return api.wait_applied(change_set, timeout=120)


def test_one_accounts_refused_script_fails_alone_and_never_reaches_the_other_account(
    live_server: Any, start_worker: Callable[[], Worker], mail_host: hosts.TestHost
) -> None:
    start_worker()
    staff = staff_api(live_server, "isolation-staff")
    server = register_server(staff, mail_host, ["mail"])
    staff.ok("POST", "/api/placements/", {"role": "mail", "server": server["id"]})
    alpha, beta = customer_api(live_server, staff, "alpha"), customer_api(live_server, staff, "beta")
    alpha.ok("POST", "/api/mail/domains/", {"name": "alpha-iso.example"})
    beta_domain = beta.ok("POST", "/api/mail/domains/", {"name": "beta-iso.example"})
    alice = alpha.ok("POST", "/api/mail/mailboxes/", {"name": "alice-iso", "password": PASSWORD})
    bob = beta.ok("POST", "/api/mail/mailboxes/", {"name": "bob-iso", "password": PASSWORD})
    assert wait(beta, bob["change_set"])["state"] == "applied"

    broken = alpha.ok("PATCH", f"/api/mail/mailboxes/{alice['id']}/", {"sieve_custom": REFUSED_BY_SIEVEC})
    address = beta.ok(
        "POST", "/api/mail/addresses/", {"domain": beta_domain["id"], "local_part": "new", "mailboxes": [bob["id"]]}
    )
    seen_by_beta = wait(beta, address["change_set"])
    assert seen_by_beta["state"] in {"applied", "partial"}
    assert {item["outcome"] for item in seen_by_beta["items"]} == {"applied"}
    wait(alpha, broken["change_set"])

    send(mail_host, "someone@outside.example", "new@beta-iso.example", "to the new address")
    eventually(lambda: subjects(mail_host, "bob-iso", PASSWORD), ["to the new address"], 30)

    everything_beta_reads = str(
        [beta.ok("GET", path) for path in ("/api/mail/addresses/", "/api/mail/mailboxes/", "/api/changesets/")]
    )
    assert "alice" not in everything_beta_reads and "nonexistent" not in everything_beta_reads
    assert "alpha" not in everything_beta_reads

    mailbox = alpha.ok("GET", f"/api/mail/mailboxes/{alice['id']}/")
    assert mailbox["apply_state"] == "failed" and "sieve script of alice-iso" in mailbox["apply_error"], mailbox
    assert "bob" not in mailbox["apply_error"] and "beta" not in mailbox["apply_error"]
    assert can_login(mail_host, "alice-iso", PASSWORD)  # the mailbox itself still works with its old rules

    fixed = alpha.ok("PATCH", f"/api/mail/mailboxes/{alice['id']}/", {"sieve_custom": "keep;\n"})
    assert wait(alpha, fixed["change_set"])["state"] == "applied"
    assert alpha.ok("GET", f"/api/mail/mailboxes/{alice['id']}/")["apply_state"] == "applied"
