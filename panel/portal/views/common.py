"""What every portal page needs: the customer's account, service errors shown next to their fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django import forms
from django.contrib import messages
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from panel.accounts.models import User
from panel.core.errors import NON_FIELD, ApplicationError

T = TypeVar("T")
M = TypeVar("M", bound=Model)


def show_errors(form: forms.Form, error: ApplicationError) -> None:
    """The API's error shape on a form: each message next to the field it names, the others above the form."""
    for field, texts in error.fields.items():
        name = field.split(".", 1)[0]
        for text in texts:
            form.add_error(name if name in form.fields and name != NON_FIELD else None, text)


def attempt(request: HttpRequest, form: forms.Form | None, write: Callable[[], T], done: str) -> T | None:
    """Run a service call: its result and a message on success; when the service refuses, None and its errors
    on the form (or as a message, for a page without one)."""
    try:
        result = write()
    except ApplicationError as error:
        if form is None:
            messages.error(request, error.message)
        else:
            show_errors(form, error)
        return None
    messages.success(request, done)
    return result


def is_read_only(request: HttpRequest) -> bool:
    """A disabled account's customers see their services but change nothing (the services refuse it too)."""
    account: Any = getattr(request.user, "account", None)
    return account is not None and not account.is_active


def actor(request: HttpRequest) -> User:
    """The logged-in user (every portal view that writes is behind login_required)."""
    return cast(User, request.user)


def visible(queryset: QuerySet[M], pk: int) -> M:
    """The object `pk` among those a selector lets the user see: another account's is not found (404)."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def customer_account(request: HttpRequest) -> Any:
    """The account a customer adds objects to; staff have none here (they work in the staff panel)."""
    account = getattr(request.user, "account", None)
    if account is None:
        raise Http404
    return account


def page(request: HttpRequest, template: str, section: str, **context: Any) -> HttpResponse:
    return render(request, template, {"section": section, "read_only": is_read_only(request), **context})


def confirm_delete(
    request: HttpRequest, *, section: str, what: str, consequence: str, back: str, delete: Callable[[], Any],
    done: str, then: str,
) -> HttpResponse:  # fmt: skip
    """A delete's confirmation page (GET) and the delete itself (POST), then `then` whatever the service said (its
    refusal is a message there)."""
    if request.method == "POST":
        attempt(request, None, delete, done)
        return redirect(then)
    return page(request, "portal/confirm_delete.html", section, what=what, consequence=consequence, back=back)
