"""Writing the audit log. Every service function that changes data calls `record_change`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from panel.core.choices import ChangeAction
from panel.core.middleware import current_request_id
from panel.core.models import ObjectChange

if TYPE_CHECKING:
    from panel.accounts.models import User

# Field names never copied into the audit log, whatever the model: secrets stay out of it.
_SECRET_FIELDS = frozenset({"password", "key_hash", "password_hash"})


def snapshot(obj: models.Model) -> dict[str, Any]:
    """A JSON-ready copy of an object's concrete fields, without secrets."""
    excluded = _SECRET_FIELDS | set(getattr(obj, "audit_exclude", ()))
    data = {
        field.attname: getattr(obj, field.attname)
        for field in obj._meta.concrete_fields
        if field.name not in excluded and field.attname not in excluded
    }
    loaded: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return loaded


def _account_ref(obj: models.Model) -> int | None:
    """The id of the account owning `obj`, following the model's `tenant_path`."""
    path = getattr(obj, "tenant_path", None)
    if path is None:
        return None
    value: Any = obj
    for part in path.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    if isinstance(value, models.Model):
        value = value.pk
    return int(value)


def _change(
    *, actor: User | None, action: str, obj: models.Model, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> ObjectChange:
    return ObjectChange(
        actor=actor if actor is not None and actor.pk else None,
        actor_repr=str(actor) if actor is not None else "system",
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        account_ref=_account_ref(obj),
        before=before,
        after=after,
        request_id=current_request_id(),
    )


def record_change(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> ObjectChange:
    change = _change(actor=actor, action=action, obj=obj, before=before, after=after)
    change.save(force_insert=True)
    return change


def record_creations(*, actor: User | None, objects: Sequence[models.Model]) -> None:
    """One CREATE entry per object, as record_change writes them, in a few inserts: for services that create
    objects by the thousand (the billing run)."""
    changes = [
        _change(actor=actor, action=ChangeAction.CREATE, obj=obj, before=None, after=snapshot(obj)) for obj in objects
    ]
    ObjectChange.objects.bulk_create(changes, batch_size=500)
