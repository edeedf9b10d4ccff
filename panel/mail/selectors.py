"""Reads of mail objects, scoped to what the actor may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from panel.mail.models import Address, Autoresponse, Mailbox, MailDomain

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from panel.accounts.models import User


def mail_domain_list(*, actor: User | AnonymousUser) -> QuerySet[MailDomain]:
    return MailDomain.objects.visible_to(actor).select_related("account", "server")


def mailbox_list(*, actor: User | AnonymousUser) -> QuerySet[Mailbox]:
    return Mailbox.objects.visible_to(actor).select_related("account", "server", "autoresponse")


def address_list(*, actor: User | AnonymousUser) -> QuerySet[Address]:
    return Address.objects.visible_to(actor).select_related("domain__account").prefetch_related("mailboxes")


def autoresponse_list(*, actor: User | AnonymousUser) -> QuerySet[Autoresponse]:
    return Autoresponse.objects.visible_to(actor).select_related("mailbox__account").order_by("mailbox__name", "pk")
