"""After an invoice is issued its PDF is rendered from the snapshot and mailed to the billing contacts; the
monthly run bills every account once, however often it runs."""

from __future__ import annotations

import gc
import subprocess
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import weasyprint
from django.core import mail

from billing import pdf, tasks
from billing.models import Invoice
from billing.services import Bill, billing_run, invoice_create, invoice_issue, invoice_line_add
from panel.accounts.models import Account, User
from panel.accounts.services import contact_create
from panel.orders.models import Order
from panel.orders.services import order_update_for, service_create

pytestmark = pytest.mark.django_db
Capture = Callable[..., object]


@pytest.fixture
def billed_account(account_a: Account) -> Account:
    contact_create(
        account=account_a,
        name="Accounts Dept",
        email="accounts@alice-home.org",
        usages=["billing"],
        address="1 Main Street",
        city="Lleida",
        actor=None,
    )
    return account_a


def pdf_text(path: str, tmp_path: Path) -> str:
    out = tmp_path / "invoice.txt"
    subprocess.run(["pdftotext", "-layout", path, str(out)], check=True)
    return out.read_text()


def test_issuing_renders_the_pdf_and_mails_it(
    staff: User, billed_account: Account, tmp_path: Path, django_capture_on_commit_callbacks: Capture
) -> None:
    invoice = invoice_create(account=billed_account, kind="invoice", actor=staff)
    invoice_line_add(
        invoice=invoice, description="Web hosting", quantity="1", unit_price="10.00", tax_rate="21", actor=staff
    )
    invoice_line_add(
        invoice=invoice, description="Extra mailbox", quantity="3", unit_price="2.50", tax_rate="21", actor=staff
    )
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        invoice_issue(invoice=invoice, actor=staff, on=date(2024, 5, 2))

    invoice.refresh_from_db()
    assert invoice.pdf and invoice.mailed_at is not None
    text = pdf_text(invoice.pdf.path, tmp_path)
    # 10.00 + 7.50 = 17.50; 21% = 3.675 -> 3.68; total 21.18
    for expected in ["F2024-00001", "Alice Ltd", "Accounts Dept", "Web hosting", "Extra mailbox", "17.50", "3.68"]:
        assert expected in text, expected
    assert "21.18" in text and "01 Jun 2024" in text and "bank transfer" in text

    [message] = mail.outbox
    assert message.to == ["accounts@alice-home.org"] and "F2024-00001" in message.subject
    [(name, content, mimetype)] = message.attachments  # type: ignore[misc]
    assert (name, mimetype) == ("F2024-00001.pdf", "application/pdf")
    assert content == Path(invoice.pdf.path).read_bytes()

    tasks.render_invoice_pdf.call_local(invoice.pk)  # a retried task renders and mails nothing more
    assert len(mail.outbox) == 1


def test_the_pdf_shows_the_snapshot_not_todays_data(
    staff: User, billed_account: Account, tmp_path: Path, settings: object
) -> None:
    invoice = invoice_create(account=billed_account, kind="fee", actor=staff)
    invoice_line_add(invoice=invoice, description="Setup", quantity="1", unit_price="12.50", actor=staff)
    invoice = invoice_issue(invoice=invoice, actor=staff, on=date(2024, 5, 2))
    Account.objects.filter(pk=billed_account.pk).update(name="Renamed Since")
    settings.BATON_BILLING_PAYMENT_INSTRUCTIONS = "Changed since"  # type: ignore[attr-defined]
    tasks.render_invoice_pdf.call_local(invoice.pk)
    invoice.refresh_from_db()
    text = pdf_text(invoice.pdf.path, tmp_path)
    assert "Alice Ltd" in text and "Renamed Since" not in text
    assert "bank transfer" in text and "Changed since" not in text


def test_billed_lines_show_their_periods(staff: User, billed_account: Account, tmp_path: Path) -> None:
    service_create(
        description="Hosting",
        content_type="accounts.account",
        nominal_price="10.00",
        billing_point="fixed_day",
        actor=staff,
    )
    order_update_for(obj=billed_account, actor=None, on=date(2024, 3, 10))
    bills: list[Bill] = []
    summary = billing_run(on=date(2024, 3, 10), actor=staff, commit=True, each=bills.append)
    [bill] = bills
    assert bill.invoice is not None and (summary.accounts, summary.invoices) == (1, 1)
    invoice = invoice_issue(invoice=bill.invoice, actor=staff, on=date(2024, 3, 11))
    tasks.render_invoice_pdf.call_local(invoice.pk)
    invoice.refresh_from_db()
    text = pdf_text(invoice.pdf.path, tmp_path)
    # 10.00 x 22/31 (Mar 10 - Apr 1) = 7.10
    assert "10 Mar 2024 to 31 Mar 2024" in text and "7.10" in text


def test_monthly_run_bills_every_account_once(
    staff: User, billed_account: Account, account_b: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    service_create(
        description="Hosting",
        content_type="accounts.account",
        nominal_price="10.00",
        billing_point="fixed_day",
        actor=staff,
    )
    order_update_for(obj=billed_account, actor=None, on=date(2024, 3, 10))
    order_update_for(obj=account_b, actor=None, on=date(2024, 3, 10))  # no billing contact: skipped, not fatal
    monkeypatch.setattr("billing.services.today", lambda: date(2024, 4, 1))

    tasks.monthly_billing_run.call_local()
    [invoice] = Invoice.objects.all()
    assert invoice.account == billed_account and invoice.is_draft
    assert Order.objects.get(account=billed_account).billed_until == date(2024, 5, 1)
    assert Order.objects.get(account=account_b).billed_until is None

    tasks.monthly_billing_run.call_local()
    assert Invoice.objects.count() == 1
    assert Order.objects.get(account=billed_account).billed_until == date(2024, 5, 1)


def test_each_thread_parses_the_stylesheet_once() -> None:
    first, again = pdf._styles(), pdf._styles()
    assert first is again  # the stylesheet and fonts of the previous invoice, not parsed anew
    elsewhere: list[object] = []
    thread = threading.Thread(target=lambda: elsewhere.append(pdf._styles()))
    thread.start()
    thread.join()
    # Pango's fonts are not safe to share between threads rendering at once.
    assert elsewhere[0] is not first and elsewhere[0][1] is not first[1]  # type: ignore[index]


def test_the_collector_threshold_is_raised_only_while_rendering(
    staff: User, billed_account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoice = invoice_create(account=billed_account, kind="fee", actor=staff)
    invoice_line_add(invoice=invoice, description="Setup", quantity="1", unit_price="12.50", actor=staff)
    invoice = invoice_issue(invoice=invoice, actor=staff, on=date(2024, 5, 2))
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    render = weasyprint.HTML.write_pdf

    def watched(self: weasyprint.HTML, *args: object, **kwargs: object) -> bytes:
        seen.append(gc.get_threshold())
        if len(seen) == 2:
            raise RuntimeError("the renderer failed")
        return render(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", watched)
    assert pdf.invoice_pdf(invoice).startswith(b"%PDF")
    with pytest.raises(RuntimeError):
        pdf.invoice_pdf(invoice)
    assert [threshold[0] for threshold in seen] == [20_000, 20_000]
    assert gc.get_threshold() == before


def test_the_threshold_is_restored_after_the_last_of_overlapping_renders() -> None:
    before = gc.get_threshold()
    collections = pdf._FewerCollections()
    collections.__enter__()  # two threads rendering at once
    collections.__enter__()
    collections.__exit__(None, None, None)
    assert gc.get_threshold()[0] == 20_000  # the other is still rendering
    collections.__exit__(None, None, None)
    assert gc.get_threshold() == before
