from django.db import models


class ApplyState(models.TextChoices):
    """Where a panel object stands with respect to its servers."""

    PENDING = "pending", "Pending"
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Failed"
    # Its name is outside every zone hosted here and its account has not proven control of it yet (panel.names):
    # nothing of it reaches a server, and runs leave it so until the proof releases it.
    UNPROVEN = "unproven", "Waiting for proof of its name"


class ChangeSetState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    RETRYING = "retrying", "Waiting to retry"
    APPLIED = "applied", "Applied"
    # Some objects' files were refused by their validators on the server (those objects failed, the previous
    # versions of their files stay live); everything else was applied.
    PARTIAL = "partial", "Partially failed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ItemOutcome(models.TextChoices):
    """What became of one object in one change set."""

    OPEN = "", "Not settled yet"
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Failed"


class RunKind(models.TextChoices):
    APPLY = "apply", "Apply"
    PLAN = "plan", "Plan (check mode + diff)"
    DRIFT = "drift", "Drift check"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCESSFUL = "successful", "Successful"
    PARTIAL = "partial", "Partially failed"  # the play succeeded, but validators refused some objects' files
    SKIPPED = "skipped", "Skipped (server busy)"  # a plan or drift check that found another run on the server
    FAILED = "failed", "Failed"
    UNREACHABLE = "unreachable", "Unreachable"
    TIMEOUT = "timeout", "Timed out"
    ERROR = "error", "Error"


class EventStatus(models.TextChoices):
    OK = "ok", "OK"
    CHANGED = "changed", "Changed"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    UNREACHABLE = "unreachable", "Unreachable"
