"""Change sets, runs and their per-task events: the record of every change that went to a server."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from panel.core.models import TenantQuerySet, tenant_owner
from panel.provisioning.choices import ApplyState, ChangeSetState, EventStatus, ItemOutcome, RunKind, RunStatus

OPEN_STATES = (ChangeSetState.PENDING, ChangeSetState.RUNNING, ChangeSetState.RETRYING)

# The lifecycle of a change set. set_state() refuses every transition not listed here.
TRANSITIONS: dict[str, frozenset[str]] = {
    ChangeSetState.PENDING: frozenset({ChangeSetState.RUNNING, ChangeSetState.CANCELLED}),
    ChangeSetState.RUNNING: frozenset(
        {ChangeSetState.APPLIED, ChangeSetState.PARTIAL, ChangeSetState.FAILED, ChangeSetState.RETRYING}
    ),
    ChangeSetState.RETRYING: frozenset({ChangeSetState.RUNNING, ChangeSetState.CANCELLED, ChangeSetState.FAILED}),
    ChangeSetState.FAILED: frozenset(),  # a staff retry requests its objects again in a new change set
    ChangeSetState.PARTIAL: frozenset(),  # likewise, its failed objects
    ChangeSetState.APPLIED: frozenset(),
    ChangeSetState.CANCELLED: frozenset(),
}


class Provisioned(models.Model):
    """Mixin for panel objects that live on servers: their apply state, shown everywhere.

    Deleting such an object marks it `pending_delete`; renderers emit it as `state: absent` until the run
    that removes it from the servers succeeds, and only then is the row deleted.
    """

    apply_state = models.CharField(max_length=8, choices=ApplyState.choices, default=ApplyState.PENDING)
    apply_error = models.TextField(blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    pending_delete = models.BooleanField(default=False)

    class Meta:
        abstract = True

    @property
    def suspended(self) -> bool:
        """Whether the object's account is disabled, so its servers do not serve it (derived, never stored:
        the service's loader renders it suspended; see panel.accounts.registry). Follows the model's
        `tenant_path` to the account: select it with the object when listing."""
        return not tenant_owner(self).is_active


class ChangeSet(models.Model):
    """What has to reach one server for one service. At most one is pending per (server, service): new
    requests join it, so a burst of changes becomes one run."""

    server = models.ForeignKey("servers.Server", on_delete=models.CASCADE, related_name="change_sets")
    service = models.CharField(max_length=16)
    state = models.CharField(max_length=10, choices=ChangeSetState.choices, default=ChangeSetState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A running change set whose lease expired was abandoned by its worker and is picked up again.",
    )
    error = models.TextField(blank=True)
    full_run = models.BooleanField(default=False, help_text="A converge was asked for: run every tag, every object.")

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-pk"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["server", "service"], condition=Q(state="pending"), name="provisioning_one_pending_changeset"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["state", "next_attempt_at"]),
            # the burst check looks at the latest change sets of one server and service
            models.Index(fields=["server", "service", "created_at"]),
            # the API's newest-first list of 100,000s of change sets: a page without sorting them all
            models.Index(fields=["-created_at", "-id"], name="provisioning_cs_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.service}@{self.server_id} {self.state}"

    def can_become(self, state: str) -> bool:
        return state in TRANSITIONS[self.state]


class ChangeSetItem(models.Model):
    """One panel object a change set covers (kept by type and id so it outlives the object)."""

    change_set = models.ForeignKey(ChangeSet, on_delete=models.CASCADE, related_name="items")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    scope = models.CharField(
        max_length=253,
        blank=True,
        help_text="The unit a targeted run touches and a validator refuses as a whole, e.g. a zone.",
    )
    account_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Every change set a request of the object joins (one per server) gets the same time; the object's state
    # comes from the items of its latest request only, so an older change set finishing late cannot undo it.
    requested_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=ItemOutcome.choices, default=ItemOutcome.OPEN, blank=True)
    error = models.TextField(blank=True, help_text="Why this object failed here; speaks only of this object.")

    tenant_path: ClassVar[str] = "account_ref"
    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["change_set", "content_type", "object_id"], name="provisioning_item_once_per_changeset"
            ),
        ]
        # A customer's change sets and their items on a page: both looked up by account, then change set
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["account_ref", "change_set"], name="provisioning_item_account_idx")
        ]

    def __str__(self) -> str:
        return self.object_repr


class Run(models.Model):
    """One ansible-runner execution for a change set (or a plan or drift check of a server and service)."""

    change_set = models.ForeignKey(ChangeSet, null=True, blank=True, on_delete=models.CASCADE, related_name="runs")
    server = models.ForeignKey("servers.Server", on_delete=models.CASCADE, related_name="runs")
    service = models.CharField(max_length=16)
    kind = models.CharField(max_length=8, choices=RunKind.choices, default=RunKind.APPLY)
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.RUNNING)
    ident = models.CharField(max_length=64, unique=True)
    playbook = models.CharField(max_length=100)
    tags = models.CharField(max_length=200, blank=True)
    only = models.JSONField(default=list, blank=True, help_text="The objects a targeted run was limited to.")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    vars_hash = models.CharField(max_length=64, blank=True)
    vars_diff = models.TextField(blank=True, help_text="Diff of the rendered vars against the last applied ones.")
    drift = models.BooleanField(null=True, help_text="Drift and plan runs: whether the server differs.")
    error = models.TextField(blank=True)
    rejected = models.JSONField(
        default=list, blank=True, help_text="Files the server's validators refused: unit, label, message, task."
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-started_at", "-pk"]
        # the API's newest-first list of 100,000s of runs: a page without sorting them all
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["-started_at", "-id"], name="provisioning_run_recent_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.service}@{self.server_id} {self.status}"


class RunEvent(models.Model):
    """The result of one task on one host during a run."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    task = models.CharField(max_length=300)
    host = models.CharField(max_length=100, blank=True)
    item = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=EventStatus.choices)
    message = models.TextField(blank=True)
    stdout = models.TextField(blank=True)
    stderr = models.TextField(blank=True)
    diff = models.TextField(blank=True)
    duration = models.FloatField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["run", "seq"]

    def __str__(self) -> str:
        return f"{self.task} [{self.status}]"

    def summary(self) -> dict[str, Any]:
        return {"task": self.task, "host": self.host, "status": self.status, "message": self.message}


class ServerLease(models.Model):
    """Who may run on a server right now, until when. See provisioning.locks."""

    server = models.OneToOneField("servers.Server", on_delete=models.CASCADE, primary_key=True, related_name="+")
    holder = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.server_id}: {self.holder or 'free'}"
