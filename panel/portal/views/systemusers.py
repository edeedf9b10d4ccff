"""System users (SFTP and SSH logins of the account) and their SSH keys."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from panel.portal.forms import PasswordForm, SshKeyForm, SystemUserForm, SystemUserSettingsForm, lines
from panel.portal.views.common import actor, attempt, confirm_delete, customer_account, page, visible
from panel.systemusers.models import SshKey, SystemUser
from panel.systemusers.selectors import ssh_key_list, system_user_list
from panel.systemusers.services import (
    ssh_key_create,
    ssh_key_delete,
    system_user_create,
    system_user_delete,
    system_user_set_password,
    system_user_update,
)


def _user(request: HttpRequest, pk: int) -> SystemUser:
    return visible(system_user_list(actor=actor(request)), pk)


def _page(request: HttpRequest, template: str, **context: Any) -> HttpResponse:
    return page(request, template, "users", **context)


@login_required
def users(request: HttpRequest) -> HttpResponse:
    form = SystemUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account = customer_account(request)
        data = form.cleaned_data
        created = attempt(
            request, form,
            lambda: system_user_create(account=account, name=data["name"], access=data["access"],
                                       scope=data["scope"], password=data["password"] or None,
                                       keys=lines(data["keys"]), actor=actor(request)),
            f"The user {data['name']} is being set up.",
        )  # fmt: skip
        if created is not None:
            return redirect("portal:systemuser", pk=created[0].pk)
    found = system_user_list(actor=actor(request)).order_by("-is_main", "name")[:500]
    return _page(request, "portal/systemusers/users.html", users=found, form=form)


def _user_page(request: HttpRequest, user: SystemUser, **forms: Any) -> HttpResponse:
    keys = ssh_key_list(actor=actor(request)).filter(system_user=user).order_by("pk")
    return _page(
        request, "portal/systemusers/user.html", system_user=user, keys=keys,
        settings_form=forms.get("settings_form")
        or SystemUserSettingsForm(initial={"access": user.access, "is_active": user.is_active}),
        password_form=forms.get("password_form") or PasswordForm(),
        key_form=forms.get("key_form") or SshKeyForm(),
    )  # fmt: skip


@login_required
def user(request: HttpRequest, pk: int) -> HttpResponse:
    found = _user(request, pk)
    form = SystemUserSettingsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = attempt(request, form,
                       lambda: system_user_update(system_user=found, actor=actor(request), **form.cleaned_data),
                       "The user is being changed.")  # fmt: skip
        if done is not None:
            return redirect("portal:systemuser", pk=pk)
    return _user_page(request, found, settings_form=form)


@login_required
@require_POST
def user_password(request: HttpRequest, pk: int) -> HttpResponse:
    found = _user(request, pk)
    form = PasswordForm(request.POST)
    if form.is_valid():
        password = form.cleaned_data["password"]
        done = attempt(request, form,
                       lambda: system_user_set_password(system_user=found, password=password, actor=actor(request)),
                       "The new password is being set.")  # fmt: skip
        if done is not None:
            return redirect("portal:systemuser", pk=pk)
    return _user_page(request, found, password_form=form)


@login_required
@require_POST
def key_new(request: HttpRequest, pk: int) -> HttpResponse:
    found = _user(request, pk)
    form = SshKeyForm(request.POST)
    if form.is_valid():
        key = form.cleaned_data["key"].strip()
        done = attempt(request, form, lambda: ssh_key_create(system_user=found, key=key, actor=actor(request)),
                       "The key is being added.")  # fmt: skip
        if done is not None:
            return redirect("portal:systemuser", pk=pk)
    return _user_page(request, found, key_form=form)


@login_required
def key_remove(request: HttpRequest, pk: int) -> HttpResponse:
    found: SshKey = visible(ssh_key_list(actor=actor(request)), pk)
    back = reverse("portal:systemuser", args=[found.system_user_id])
    return confirm_delete(
        request, section="users", what=f"the key {found.fingerprint}", consequence="It no longer logs in.", back=back,
        delete=lambda: ssh_key_delete(key=found, actor=actor(request)), done="The key is being removed.", then=back,
    )  # fmt: skip


@login_required
def user_remove(request: HttpRequest, pk: int) -> HttpResponse:
    found = _user(request, pk)
    return confirm_delete(
        request, section="users", what=f"the user {found.name}", consequence="It no longer logs in; the files stay.",
        back=reverse("portal:systemuser", args=[pk]),
        delete=lambda: system_user_delete(system_user=found, actor=actor(request)),
        done=f"The user {found.name} is being deleted.", then=reverse("portal:systemusers"),
    )  # fmt: skip
