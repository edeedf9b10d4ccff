"""The account itself: its contacts, and the logged-in user's API tokens (a new key shown once)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from panel.accounts.models import Contact
from panel.accounts.selectors import contact_list, token_list
from panel.accounts.services import contact_create, contact_delete, contact_update, token_create, token_revoke
from panel.portal.forms import ContactForm, TokenForm
from panel.portal.views.common import actor, attempt, confirm_delete, customer_account, is_read_only, visible


def _contact(request: HttpRequest, pk: int) -> Contact:
    return visible(contact_list(actor=actor(request)), pk)


def _page(request: HttpRequest, **context: Any) -> HttpResponse:
    context = {
        "section": "account",
        "read_only": is_read_only(request),
        "contacts": contact_list(actor=actor(request)).order_by("name", "pk"),
        "tokens": token_list(actor=actor(request)).order_by("-created_at"),
        "contact_form": context.pop("contact_form", None) or ContactForm(prefix="contact"),
        "token_form": context.pop("token_form", None) or TokenForm(prefix="token"),
        **context,
    }
    return render(request, "portal/account.html", context)


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _usages(contact: Contact) -> list[str]:
    flags = {"billing": contact.is_billing, "technical": contact.is_technical, "emergency": contact.is_emergency}
    return [usage for usage, on in flags.items() if on]


@login_required
@require_POST
def contact_new(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST, prefix="contact")
    account = customer_account(request)
    if form.is_valid():
        data = form.cleaned_data
        done = attempt(request, form, lambda: contact_create(account=account, actor=actor(request), **data),
                       "The contact is added.")  # fmt: skip
        if done is not None:
            return redirect("portal:account")
    return _page(request, contact_form=form)


@login_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    found = _contact(request, pk)
    initial = {"name": found.name, "email": found.email, "phone": found.phone, "usages": _usages(found)}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = attempt(request, form, lambda: contact_update(contact=found, actor=actor(request), **form.cleaned_data),
                       "The contact is changed.")  # fmt: skip
        if done is not None:
            return redirect("portal:account")
    context = {"section": "account", "read_only": is_read_only(request), "contact": found, "form": form}
    return render(request, "portal/contact_form.html", context)


@login_required
def contact_remove(request: HttpRequest, pk: int) -> HttpResponse:
    found = _contact(request, pk)
    back = reverse("portal:account")
    return confirm_delete(
        request, section="account", what=f"the contact {found.name}", consequence="We no longer write to it.",
        back=back, delete=lambda: contact_delete(contact=found, actor=actor(request)), done="The contact is removed.",
        then=back,
    )  # fmt: skip


@login_required
@require_POST
def token_new(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST, prefix="token")
    if form.is_valid():
        name = form.cleaned_data["name"]
        made = attempt(request, form, lambda: token_create(user=actor(request), name=name, actor=actor(request)),
                       f"The token {name} is made.")  # fmt: skip
        if made is not None:
            # Shown in this answer only: the key is not stored, and a reload does not show it again.
            return _page(request, new_key=made[1], new_token=made[0])
    return _page(request, token_form=form)


@login_required
@require_POST
def token_remove(request: HttpRequest, pk: int) -> HttpResponse:
    found = visible(token_list(actor=actor(request)), pk)
    attempt(
        request, None, lambda: token_revoke(token=found, actor=actor(request)), f"The token {found.name} is revoked."
    )
    return redirect("portal:account")
