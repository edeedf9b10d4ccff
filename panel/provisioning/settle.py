"""Settling panel objects after a run, the same way for every service.

The engine first records each item's outcome in its change set (`applied`, or `failed` with an error that
speaks only of that object). An object's state then follows the items of its latest request, one per server
that serves it (a zone's primary and secondaries): `failed` as soon as one of them failed, `applied` once all
of them are settled (an object marked for deletion is deleted then), `pending` while one is still open.
Items of older requests no longer count, so a fix converges the object without staff action and a late
change set of an earlier request cannot undo the state of a newer one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.utils import timezone

from panel.provisioning.choices import ApplyState, ItemOutcome
from panel.provisioning.models import OPEN_STATES, ChangeSetItem

_EPOCH = datetime.min.replace(tzinfo=None)


def _generation(row: dict[str, Any]) -> datetime:
    value = row["requested_at"]
    return value.replace(tzinfo=None) if value is not None else _EPOCH


def object_states(content_type: ContentType, ids: list[str]) -> dict[str, tuple[str, str]]:
    """object id -> (apply state, error) from the items of its latest request; absent while one is open."""
    rows = ChangeSetItem.objects.filter(content_type=content_type, object_id__in=ids).values(
        "object_id", "requested_at", "outcome", "error", "change_set__state"
    )
    by_object: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_object[row["object_id"]].append(dict(row))
    states: dict[str, tuple[str, str]] = {}
    for object_id, object_rows in by_object.items():
        latest = max(_generation(row) for row in object_rows)
        current = [row for row in object_rows if _generation(row) == latest]
        failed = [row for row in current if row["outcome"] == ItemOutcome.FAILED]
        if failed:
            states[object_id] = (ApplyState.FAILED, failed[0]["error"])
        elif not any(row["change_set__state"] in OPEN_STATES for row in current):
            states[object_id] = (ApplyState.APPLIED, "")
    return states


def settle_objects(models: Sequence[type[Model]], items: Sequence[ChangeSetItem]) -> None:
    """`models` in deletion order: objects that reference others first (records before their zone)."""
    now = timezone.now()
    for model in models:
        content_type = ContentType.objects.get_for_model(model)
        ids = [item.object_id for item in items if item.content_type_id == content_type.id]
        if not ids:
            continue
        # An object waiting for its name's proof was not served by this run (its loader left it out).
        manager = model._default_manager.exclude(apply_state=ApplyState.UNPROVEN)
        applied, failed = [], defaultdict(list)
        for object_id, (state, error) in object_states(content_type, ids).items():
            if state == ApplyState.FAILED:
                failed[error].append(object_id)
            else:
                applied.append(object_id)
        for error, object_ids in failed.items():
            manager.filter(pk__in=object_ids).update(apply_state=ApplyState.FAILED, apply_error=error[:5000])
        if not applied:
            continue
        for obj in model._default_manager.filter(pk__in=applied, pending_delete=True):
            obj.delete()
        manager.filter(pk__in=applied, pending_delete=False).update(
            apply_state=ApplyState.APPLIED, apply_error="", applied_at=now
        )
