"""Keeps orders following billable objects, without the apps that own those objects knowing about orders.

Connected per billable model in OrdersConfig.ready(). A save runs `order_update_for` (which also cancels the
orders of an object marked pending_delete, the moment a customer asks to delete it); the final delete, once
the servers have dropped the object, runs `order_cancel_for`. Writes made with queryset.update() send no
signal: the mail app marks mailboxes for deletion that way, so their orders are cancelled when the row goes.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save

from panel.orders import registry


def _saved(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if raw:  # loading fixtures: the catalogue may not be there yet, and nothing was really created
        return
    from panel.orders.services import order_update_for

    order_update_for(obj=instance, actor=None)


def _deleted(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    from panel.orders.services import order_cancel_for

    order_cancel_for(obj=instance, actor=None)


def connect_all() -> None:
    for entry in registry.billables():
        post_save.connect(_saved, sender=entry.model, dispatch_uid=f"orders-save-{entry.label}")
        post_delete.connect(_deleted, sender=entry.model, dispatch_uid=f"orders-delete-{entry.label}")
