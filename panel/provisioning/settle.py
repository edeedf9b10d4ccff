"""Settling panel objects after a run, the same way for every service.

An object becomes `applied` once no other open change set still covers it (e.g. the DNS secondary's), and
an object marked for deletion is deleted then; a failed run marks every object `failed` with the error.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.utils import timezone

from panel.provisioning.choices import ApplyState
from panel.provisioning.models import OPEN_STATES, ChangeSetItem


def _still_open(content_type: ContentType, object_id: str, finished: set[int]) -> bool:
    return (
        ChangeSetItem.objects.filter(content_type=content_type, object_id=object_id, change_set__state__in=OPEN_STATES)
        .exclude(change_set_id__in=finished)
        .exists()
    )


def settle_objects(models: Sequence[type[Model]], items: Sequence[ChangeSetItem], success: bool, error: str) -> None:
    """`models` in deletion order: objects that reference others first (records before their zone)."""
    now = timezone.now()
    finished = {item.change_set_id for item in items}
    for model in models:
        content_type = ContentType.objects.get_for_model(model)
        ids = [item.object_id for item in items if item.content_type_id == content_type.id]
        manager = model._default_manager
        for obj in manager.filter(pk__in=ids):
            if not success:
                manager.filter(pk=obj.pk).update(apply_state=ApplyState.FAILED, apply_error=error[:5000])
            elif not _still_open(content_type, str(obj.pk), finished):
                if getattr(obj, "pending_delete", False):
                    obj.delete()
                else:
                    manager.filter(pk=obj.pk).update(apply_state=ApplyState.APPLIED, apply_error="", applied_at=now)
