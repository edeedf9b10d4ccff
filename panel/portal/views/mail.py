"""Mail: domains, mailboxes (settings, password, autoresponder) and addresses."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from panel.mail.models import Address, Mailbox, MailDomain
from panel.mail.selectors import address_list, mail_domain_list, mailbox_list
from panel.mail.services import (
    address_create,
    address_delete,
    address_update,
    autoresponse_delete,
    autoresponse_set,
    mail_domain_create,
    mail_domain_delete,
    mailbox_create,
    mailbox_delete,
    mailbox_set_password,
    mailbox_update,
)
from panel.portal.forms import (
    AddressDestinationsForm,
    AddressForm,
    AutoresponseForm,
    MailboxForm,
    MailboxSettingsForm,
    MailDomainForm,
    PasswordForm,
)
from panel.portal.views.common import actor, attempt, confirm_delete, customer_account, page, visible


def _page(request: HttpRequest, template: str, **context: Any) -> HttpResponse:
    return page(request, template, "mail", **context)


def _choices(request: HttpRequest) -> dict[str, list[tuple[int, str]]]:
    domains = mail_domain_list(actor=actor(request)).filter(pending_delete=False).order_by("name")
    boxes = mailbox_list(actor=actor(request)).filter(pending_delete=False).order_by("name")
    return {"domains": [(d.pk, d.name) for d in domains], "mailboxes": [(b.pk, b.name) for b in boxes]}


def _overview(request: HttpRequest, **forms: Any) -> HttpResponse:
    user = actor(request)
    context = {
        "domains": mail_domain_list(actor=user).order_by("name")[:500],
        "mailboxes": mailbox_list(actor=user).order_by("name")[:500],
        "addresses": address_list(actor=user).order_by("domain__name", "local_part")[:500],
        "domain_form": forms.get("domain_form") or MailDomainForm(prefix="domain"),
        "mailbox_form": forms.get("mailbox_form") or MailboxForm(prefix="mailbox"),
    }
    return _page(request, "portal/mail/overview.html", **context)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    return _overview(request)


@login_required
@require_POST
def domain_new(request: HttpRequest) -> HttpResponse:
    form = MailDomainForm(request.POST, prefix="domain")
    if form.is_valid():
        name, account = form.cleaned_data["name"], customer_account(request)
        done = attempt(request, form, lambda: mail_domain_create(account=account, name=name, actor=actor(request)),
                       f"The mail domain {name} is being set up.")  # fmt: skip
        if done is not None:
            return redirect("portal:mail")
    return _overview(request, domain_form=form)


@login_required
@require_POST
def mailbox_new(request: HttpRequest) -> HttpResponse:
    form = MailboxForm(request.POST, prefix="mailbox")
    if form.is_valid():
        data, account = form.cleaned_data, customer_account(request)
        done = attempt(
            request, form,
            lambda: mailbox_create(account=account, name=data["name"], password=data["password"],
                                   quota_mb=data["quota_mb"], actor=actor(request)),
            f"The mailbox {data['name']} is being set up.",
        )  # fmt: skip
        if done is not None:
            return redirect("portal:mailbox", pk=done[0].pk)
    return _overview(request, mailbox_form=form)


def _forwards(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@login_required
def address_new(request: HttpRequest) -> HttpResponse:
    """Its own page: the choices of domains and mailboxes (hundreds of options) would slow the overview down."""
    form = AddressForm(request.POST or None, prefix="address", **_choices(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        domain = visible(mail_domain_list(actor=actor(request)), data["domain"])
        boxes = list(mailbox_list(actor=actor(request)).filter(pk__in=data["mailboxes"]))
        done = attempt(
            request, form,
            lambda: address_create(domain=domain, local_part=data["local_part"], mailboxes=boxes,
                                   forwards=_forwards(data["forwards"]), actor=actor(request)),
            "The address is being set up.",
        )  # fmt: skip
        if done is not None:
            return redirect("portal:mail")
    return _page(request, "portal/mail/address_new.html", form=form)


@login_required
def mailbox(request: HttpRequest, pk: int) -> HttpResponse:
    found: Mailbox = visible(mailbox_list(actor=actor(request)), pk)
    settings_form = MailboxSettingsForm(request.POST or None, initial=_settings(found))
    if request.method == "POST" and settings_form.is_valid():
        done = attempt(request, settings_form,
                       lambda: mailbox_update(mailbox=found, actor=actor(request), **settings_form.cleaned_data),
                       "The mailbox's settings are being changed.")  # fmt: skip
        if done is not None:
            return redirect("portal:mailbox", pk=pk)
    return _mailbox_page(request, found, settings_form=settings_form)


def _settings(found: Mailbox) -> dict[str, Any]:
    return {"quota_mb": found.quota_mb, "spam": found.spam, "spam_score": found.spam_score,
            "is_active": found.is_active}  # fmt: skip


def _mailbox_page(request: HttpRequest, found: Mailbox, **forms: Any) -> HttpResponse:
    reply = getattr(found, "autoresponse", None)
    initial = {"subject": reply.subject, "body": reply.body, "start": reply.start, "end": reply.end,
               "days": reply.days} if reply else None  # fmt: skip
    context = {
        "mailbox": found,
        "autoresponse": reply,
        "settings_form": forms.get("settings_form") or MailboxSettingsForm(initial=_settings(found)),
        "password_form": forms.get("password_form") or PasswordForm(),
        "reply_form": forms.get("reply_form") or AutoresponseForm(initial=initial),
    }
    return _page(request, "portal/mail/mailbox.html", **context)


@login_required
@require_POST
def mailbox_password(request: HttpRequest, pk: int) -> HttpResponse:
    found: Mailbox = visible(mailbox_list(actor=actor(request)), pk)
    form = PasswordForm(request.POST)
    if form.is_valid():
        password = form.cleaned_data["password"]
        done = attempt(request, form, lambda: mailbox_set_password(mailbox=found, password=password,
                                                                   actor=actor(request)),
                       "The new password is being set.")  # fmt: skip
        if done is not None:
            return redirect("portal:mailbox", pk=pk)
    return _mailbox_page(request, found, password_form=form)


@login_required
@require_POST
def mailbox_reply(request: HttpRequest, pk: int) -> HttpResponse:
    found: Mailbox = visible(mailbox_list(actor=actor(request)), pk)
    if "switch_off" in request.POST:
        attempt(request, None, lambda: autoresponse_delete(mailbox=found, actor=actor(request)),
                "The autoresponder is being switched off.")  # fmt: skip
        return redirect("portal:mailbox", pk=pk)
    form = AutoresponseForm(request.POST)
    if form.is_valid():
        done = attempt(request, form, lambda: autoresponse_set(mailbox=found, actor=actor(request),
                                                               **form.cleaned_data),
                       "The autoresponder is being set.")  # fmt: skip
        if done is not None:
            return redirect("portal:mailbox", pk=pk)
    return _mailbox_page(request, found, reply_form=form)


@login_required
def address_edit(request: HttpRequest, pk: int) -> HttpResponse:
    found: Address = visible(address_list(actor=actor(request)), pk)
    initial = {"mailboxes": [box.pk for box in found.mailboxes.all()], "forwards": "\n".join(found.forwards)}
    form = AddressDestinationsForm(request.POST or None, initial=initial, mailboxes=_choices(request)["mailboxes"])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        boxes = list(mailbox_list(actor=actor(request)).filter(pk__in=data["mailboxes"]))
        done = attempt(request, form, lambda: address_update(address=found, mailboxes=boxes,
                                                             forwards=_forwards(data["forwards"]),
                                                             actor=actor(request)),
                       "The address is being changed.")  # fmt: skip
        if done is not None:
            return redirect("portal:mail")
    return _page(request, "portal/mail/address_form.html", address=found, form=form)


def _confirm(request: HttpRequest, what: str, consequence: str, delete: Any, back: str, done: str) -> HttpResponse:
    return confirm_delete(request, section="mail", what=what, consequence=consequence, back=back, delete=delete,
                          done=done, then=reverse("portal:mail"))  # fmt: skip


@login_required
def domain_remove(request: HttpRequest, pk: int) -> HttpResponse:
    found: MailDomain = visible(mail_domain_list(actor=actor(request)), pk)
    return _confirm(request, f"the mail domain {found.name}", "Its addresses go with it; mail to it is refused.",
                    lambda: mail_domain_delete(domain=found, actor=actor(request)), reverse("portal:mail"),
                    f"The mail domain {found.name} is being deleted.")  # fmt: skip


@login_required
def mailbox_remove(request: HttpRequest, pk: int) -> HttpResponse:
    found: Mailbox = visible(mailbox_list(actor=actor(request)), pk)
    return _confirm(request, f"the mailbox {found.name}", "Its mail is kept on the server for a while, then removed.",
                    lambda: mailbox_delete(mailbox=found, actor=actor(request)),
                    reverse("portal:mailbox", args=[pk]), f"The mailbox {found.name} is being deleted.")  # fmt: skip


@login_required
def address_remove(request: HttpRequest, pk: int) -> HttpResponse:
    found: Address = visible(address_list(actor=actor(request)), pk)
    return _confirm(request, f"the address {found}", "Mail to it is refused from then on.",
                    lambda: address_delete(address=found, actor=actor(request)), reverse("portal:mail"),
                    f"The address {found} is being deleted.")  # fmt: skip
