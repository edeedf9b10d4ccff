"""Cross-cutting models: the audit log and the tenant-scoped queryset every customer-owned model uses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from panel.core.choices import ChangeAction

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from panel.accounts.models import User

_M = TypeVar("_M", bound=models.Model)


def is_staff_user(user: User | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def tenant_owner(obj: models.Model) -> Any:
    """The account an object belongs to, along its model's `tenant_path` (as `visible_to` filters it)."""
    owner: Any = obj
    for part in str(getattr(obj, "tenant_path", "account")).split("__"):
        owner = getattr(owner, part)
    return owner


class TenantQuerySet(models.QuerySet[_M]):
    """A queryset that knows how to narrow itself to what one user may see.

    The model names the path from itself to its owning account in `tenant_path` ("account" for direct
    ownership, "zone__account" for a record, "pk" for the account itself).
    """

    def visible_to(self, user: User | AnonymousUser | None) -> TenantQuerySet[_M]:
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_staff:
            return self
        account_id = getattr(user, "account_id", None)
        if account_id is None:
            return self.none()
        path: str = getattr(self.model, "tenant_path", "account")
        return self.filter(**{path: account_id})


class TimeStampedModel(models.Model):
    """Adds creation and last-change times."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ObjectChange(models.Model):
    """One audited write: who did what to which object, with the object's state before and after.

    Service functions write these; they are never edited. The account is kept as a plain id so the entry
    survives the account's deletion.
    """

    time = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_repr = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=32, choices=ChangeAction.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    account_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)

    tenant_path: ClassVar[str] = "account_ref"
    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["-time", "-pk"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["content_type", "object_id"], name="core_change_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.actor_repr} {self.action} {self.object_repr}"

    def diff(self) -> dict[str, Any]:
        """Fields whose value differs between before and after, as {field: [before, after]}."""
        before = self.before or {}
        after = self.after or {}
        keys = sorted(set(before) | set(after))
        return {key: [before.get(key), after.get(key)] for key in keys if before.get(key) != after.get(key)}
