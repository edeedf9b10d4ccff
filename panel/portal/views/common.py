"""What every portal page needs: the customer's account, service errors shown next to their fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from panel.accounts.models import User
from panel.core.errors import NON_FIELD, ApplicationError

T = TypeVar("T")


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
