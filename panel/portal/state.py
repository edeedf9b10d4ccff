"""The objects whose apply state the portal shows live, by the short kind its URLs use. Each is read through
its service's selector, scoped to the customer: another account's object is simply not found (404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from panel.dns.selectors import record_list, zone_list
from panel.mail.selectors import address_list, mail_domain_list, mailbox_list
from panel.systemusers.selectors import ssh_key_list, system_user_list
from panel.web.selectors import website_list

KINDS: dict[str, Callable[..., QuerySet[Any]]] = {
    "zone": zone_list,
    "record": record_list,
    "maildomain": mail_domain_list,
    "mailbox": mailbox_list,
    "address": address_list,
    "systemuser": system_user_list,
    "sshkey": ssh_key_list,
    "website": website_list,
}
