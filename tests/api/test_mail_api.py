from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from panel.mail.models import Mailbox
from panel.mail.passwords import verify
from panel.servers.models import Server

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse 'battery' : staple"


def test_mailbox_password_is_write_only_and_changed_by_its_own_action(client_a: APIClient, mail_server: Server) -> None:
    created = client_a.post("/api/mail/mailboxes/", {"name": "info", "password": PASSWORD}, format="json")
    assert created.status_code == 201, created.data
    assert "password" not in created.data and "password_hash" not in created.data and created.data["change_set"]
    box_id = created.data["id"]
    assert "password" not in client_a.get(f"/api/mail/mailboxes/{box_id}/").data
    refused = client_a.patch(f"/api/mail/mailboxes/{box_id}/", {"password": "new-password-1"}, format="json")
    assert refused.status_code == 400 and "password" in refused.data["fields"]
    changed = client_a.post(
        f"/api/mail/mailboxes/{box_id}/set-password/", {"password": "new-pässwörd:2"}, format="json"
    )
    assert changed.status_code == 202 and changed.data["change_set"]
    assert verify("new-pässwörd:2", Mailbox.objects.get(pk=box_id).password_hash)


def test_addresses_through_the_api(client_a: APIClient, client_b: APIClient, mail_server: Server) -> None:
    domain = client_a.post("/api/mail/domains/", {"name": "shop.example"}, format="json").data
    box = client_a.post("/api/mail/mailboxes/", {"name": "info", "password": PASSWORD}, format="json").data
    address = client_a.post(
        "/api/mail/addresses/",
        {"domain": domain["id"], "local_part": "", "mailboxes": [box["id"]], "forwards": ["owner@elsewhere.org"]},
        format="json",
    )
    assert address.status_code == 201, address.data
    assert address.data["email"] == "@shop.example"
    theirs = client_b.post("/api/mail/mailboxes/", {"name": "bobs", "password": PASSWORD}, format="json").data
    wrong = client_a.post(
        "/api/mail/addresses/", {"domain": domain["id"], "local_part": "x", "mailboxes": [theirs["id"]]}, format="json"
    )
    assert wrong.status_code == 400 and "mailboxes" in wrong.data["fields"]
    bad = client_a.post(
        "/api/mail/addresses/", {"domain": domain["id"], "local_part": "a\nb", "mailboxes": [box["id"]]}, format="json"
    )
    assert bad.status_code == 400 and "local_part" in bad.data["fields"]
    reply = client_a.post(
        "/api/mail/autoresponses/", {"mailbox": box["id"], "subject": "Away", "body": "Later", "days": 3}, format="json"
    )
    assert reply.status_code == 201 and reply.data["change_set"]


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("mailboxes", {"name": "q1", "password": PASSWORD, "quota_mb": -5}, "quota_mb"),
        ("mailboxes", {"name": "q2", "password": PASSWORD, "quota_mb": 10**9}, "quota_mb"),
        ("mailboxes", {"name": "Bad:Name", "password": PASSWORD}, "name"),
        ("mailboxes", {"name": "ok", "password": "short"}, "password"),
        ("mailboxes", {"name": "ok", "password": PASSWORD, "spam": "sometimes"}, "spam"),
        ("domains", {"name": "not a domain"}, "name"),
        ("domains", {"name": "x.example\n$INCLUDE"}, "name"),
    ],
)
def test_bad_mail_input_is_400_naming_the_field(
    client_a: APIClient, mail_server: Server, path: str, payload: dict[str, object], field: str
) -> None:
    response = client_a.post(f"/api/mail/{path}/", payload, format="json")
    assert response.status_code == 400, response.data
    assert field in response.data["fields"], response.data
    assert not Mailbox.objects.exists()


def test_addresses_on_unknown_or_foreign_domains_and_malformed_forwards(
    client_a: APIClient, client_b: APIClient, mail_server: Server
) -> None:
    theirs = client_b.post("/api/mail/domains/", {"name": "bob.example"}, format="json").data
    ours = client_a.post("/api/mail/domains/", {"name": "alice.example"}, format="json").data
    for domain in (theirs["id"], 999999):
        response = client_a.post(
            "/api/mail/addresses/",
            {"domain": domain, "local_part": "x", "forwards": ["a@elsewhere.org"]},
            format="json",
        )
        assert response.status_code == 400 and "domain" in response.data["fields"], response.data
    for forward in ["a@b.org\nBcc: c@d.org", "a@b.org, c@d.org", "a@b.org:secret", "not-an-address"]:
        response = client_a.post(
            "/api/mail/addresses/", {"domain": ours["id"], "local_part": "x", "forwards": [forward]}, format="json"
        )
        assert response.status_code == 400 and "forwards" in response.data["fields"], (forward, response.data)


def test_a_sieve_script_that_does_not_parse_is_400_and_a_valid_one_is_taken(
    client_a: APIClient, mail_server: Server
) -> None:
    box = client_a.post("/api/mail/mailboxes/", {"name": "info", "password": PASSWORD}, format="json").data
    refused = client_a.patch(
        f"/api/mail/mailboxes/{box['id']}/", {"sieve_custom": "this is { not sieve"}, format="json"
    )
    assert refused.status_code == 400 and list(refused.data["fields"]) == ["sieve_custom"], refused.data
    assert refused.data["code"] == "invalid_sieve"
    script = 'require "fileinto";\nif header :contains "subject" "[list]" { fileinto "Lists"; }\n'
    taken = client_a.patch(f"/api/mail/mailboxes/{box['id']}/", {"sieve_custom": script}, format="json")
    assert taken.status_code == 200 and taken.data["sieve_custom"] == script, taken.data
