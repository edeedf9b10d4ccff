"""The portal's pages as a browser without JavaScript uses them (Django's test client): the dashboard, DNS zones
and records through forms, the live apply-state fragment and its retry, tenancy, CSRF, a disabled account, and
the queries each page costs. Writes go through the same services as the API (their errors shown by the fields)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from panel.accounts.models import Account, User
from panel.dns.models import Record, Zone
from panel.dns.services import record_create, zone_create
from panel.provisioning.models import ChangeSet
from panel.servers.models import Server
from tests.factories.bulk import fill_customer

pytestmark = pytest.mark.django_db


def browser(user: User, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


@pytest.fixture
def zone_a(account_a: Account, customer_a: User, dns_servers: tuple[Server, Server]) -> Zone:
    return zone_create(account=account_a, name="shop.example", actor=customer_a)[0]


def test_every_page_needs_a_login(zone_a: Zone) -> None:
    for url in ["/", "/dns/", "/dns/new/", f"/dns/{zone_a.pk}/", f"/state/zone/{zone_a.pk}/"]:
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_a_zone_and_a_record_through_the_forms_show_their_state_live(
    customer_a: User, dns_servers: tuple[Server, Server]
) -> None:
    client = browser(customer_a)
    response = client.post("/dns/new/", {"name": "Shop.Example"})
    zone = Zone.objects.get(name="shop.example")
    assert response.status_code == 302 and response["Location"] == f"/dns/{zone.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "is being set up" in page and 'hx-trigger="every 1s"' in page and "Applying" in page
    response = client.post(f"/dns/{zone.pk}/", {"name": "www", "type": "A", "value": "192.0.2.7", "ttl": ""})
    assert response.status_code == 302
    record = Record.objects.get(zone=zone, name="www")
    assert ChangeSet.objects.filter(items__object_id=str(record.pk)).exists(), "the API's service asked the run"
    # The fragment polled while pending: once the object is applied, it answers the final state without a trigger.
    fragment = client.get(f"/state/record/{record.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in fragment and 'role="status"' in fragment
    Record.objects.filter(pk=record.pk).update(apply_state="applied")
    fragment = client.get(f"/state/record/{record.pk}/").content.decode()
    assert "Applied" in fragment and "hx-trigger" not in fragment


def test_a_refused_record_shows_the_services_words_next_to_its_field(customer_a: User, zone_a: Zone) -> None:
    response = browser(customer_a).post(f"/dns/{zone_a.pk}/", {"name": "www", "type": "A", "value": "not-an-ip"})
    assert response.status_code == 200
    errors = re.search(r'id="id_value_errors"[^>]*>(.*?)</div>', response.content.decode(), re.S)
    assert errors and "IPv4" in errors.group(1), response.content.decode()[:3000]
    assert not Record.objects.filter(zone=zone_a, name="www").exists()


def test_edit_and_delete_a_record(customer_a: User, zone_a: Zone) -> None:
    record, _ = record_create(zone=zone_a, name="www", type="A", value="192.0.2.7", actor=customer_a)
    client = browser(customer_a)
    assert 'value="www"' in client.get(f"/dns/records/{record.pk}/edit/").content.decode()
    response = client.post(f"/dns/records/{record.pk}/edit/", {"name": "www", "type": "A", "value": "192.0.2.8"})
    assert response.status_code == 302 and Record.objects.get(pk=record.pk).value == "192.0.2.8"
    assert "Delete the record www A" in client.get(f"/dns/records/{record.pk}/delete/").content.decode()
    assert client.post(f"/dns/records/{record.pk}/delete/").status_code == 302
    assert Record.objects.get(pk=record.pk).pending_delete


def test_another_accounts_objects_are_not_found_on_any_portal_url(
    customer_b: User, customer_a: User, zone_a: Zone
) -> None:
    record, _ = record_create(zone=zone_a, name="www", type="A", value="192.0.2.7", actor=customer_a)
    Zone.objects.filter(pk=zone_a.pk).update(apply_state="failed", apply_error="x")
    other = browser(customer_b)
    urls = [
        f"/dns/{zone_a.pk}/",
        f"/dns/{zone_a.pk}/delete/",
        f"/dns/records/{record.pk}/edit/",
        f"/dns/records/{record.pk}/delete/",
        f"/state/zone/{zone_a.pk}/",
        f"/state/record/{record.pk}/",
    ]
    for url in urls:
        assert other.get(url).status_code == 404, url
    posts: list[tuple[str, dict[str, Any]]] = [
        (f"/dns/{zone_a.pk}/", {"name": "evil", "type": "A", "value": "192.0.2.66"}),
        (f"/dns/{zone_a.pk}/delete/", {}),
        (f"/dns/records/{record.pk}/edit/", {"name": "www", "type": "A", "value": "192.0.2.66"}),
        (f"/dns/records/{record.pk}/delete/", {}),
        (f"/state/zone/{zone_a.pk}/retry/", {}),
    ]
    for url, body in posts:
        assert other.post(url, body).status_code == 404, url
    assert Record.objects.get(pk=record.pk).value == "192.0.2.7" and not Record.objects.filter(name="evil").exists()
    assert not Zone.objects.get(pk=zone_a.pk).pending_delete
    assert "shop.example" not in other.get("/dns/").content.decode()
    assert other.get("/state/nothing/1/").status_code == 404


def test_every_form_needs_its_csrf_token(customer_a: User, zone_a: Zone) -> None:
    client = browser(customer_a, csrf=True)
    assert client.post("/dns/new/", {"name": "other.example"}).status_code == 403
    assert client.post(f"/dns/{zone_a.pk}/", {"name": "www", "type": "A", "value": "192.0.2.7"}).status_code == 403
    page = client.get(f"/dns/{zone_a.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    body = {"name": "www", "type": "A", "value": "192.0.2.7", "csrfmiddlewaretoken": token.group(1)}
    assert client.post(f"/dns/{zone_a.pk}/", body).status_code == 302


def test_a_failed_object_shows_its_reason_and_is_tried_again(customer_a: User, zone_a: Zone) -> None:
    Zone.objects.filter(pk=zone_a.pk).update(apply_state="failed", apply_error="shop.example: a record is invalid")
    ChangeSet.objects.filter(items__object_id=str(zone_a.pk)).update(state="failed")
    zone_a.refresh_from_db()
    from panel.provisioning.models import ChangeSetItem

    ChangeSetItem.objects.filter(object_id=str(zone_a.pk)).update(outcome="failed")
    client = browser(customer_a)
    page = client.get(f"/dns/{zone_a.pk}/").content.decode()
    assert "a record is invalid" in page and f"/state/zone/{zone_a.pk}/retry/" in page
    before = ChangeSet.objects.count()
    response = client.post(f"/state/zone/{zone_a.pk}/retry/", {"next": f"/dns/{zone_a.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/dns/{zone_a.pk}/"
    assert Zone.objects.get(pk=zone_a.pk).apply_state == "pending" and ChangeSet.objects.count() > before
    # htmx asks for the fragment only; a retry of an object that is not failed is refused with a message.
    fragment = client.post(f"/state/zone/{zone_a.pk}/retry/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith("<div") and "Applying" in fragment
    assert client.post(f"/state/zone/{zone_a.pk}/retry/", {"next": "https://evil.example/"})["Location"] == "/"


def test_a_disabled_account_sees_its_services_read_only(account_a: Account, customer_a: User, zone_a: Zone) -> None:
    Account.objects.filter(pk=account_a.pk).update(is_active=False)
    client = browser(customer_a)
    page = client.get(f"/dns/{zone_a.pk}/").content.decode()
    assert "This account is disabled" in page and "Add the record" not in page
    response = client.post(f"/dns/{zone_a.pk}/", {"name": "www", "type": "A", "value": "192.0.2.7"})
    assert response.status_code == 200 and "disabled" in response.content.decode()
    assert not Record.objects.filter(zone=zone_a, name="www").exists()


@pytest.mark.parametrize(
    ("url", "most"), [("/", 15), ("/dns/", 10), ("/mail/", 12), ("/websites/", 10), ("/invoices/", 8)]
)
def test_pages_cost_a_fixed_number_of_queries_with_100_services_and_their_invoices(
    account_a: Account, customer_a: User, dns_servers: tuple[Server, Server], mail_server: Server, url: str, most: int
) -> None:
    fill_customer(account_a, customer_a, count=100, dns_server=dns_servers[0], mail_server=mail_server)
    client = browser(customer_a)
    client.get(url)  # the session and content types are cached after the first request, as in production
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert len(queries) <= most, "\n".join(q["sql"][:200] for q in queries.captured_queries)


def test_htmx_is_served_from_the_npm_package_never_a_cdn(customer_a: User) -> None:
    from django.contrib.staticfiles import finders

    found = finders.find("htmx.min.js")
    assert found and "node_modules/htmx.org/dist" in str(found)
    page = browser(customer_a).get("/").content.decode()
    assert '<script src="/static/htmx.min.js" defer>' in page
    assert "unpkg" not in page and "jsdelivr" not in page and "cdn" not in page.lower()
