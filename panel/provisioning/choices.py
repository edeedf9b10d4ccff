from django.db import models


class ApplyState(models.TextChoices):
    """Where a panel object stands with respect to its servers."""

    PENDING = "pending", "Pending"
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Failed"


class ChangeSetState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    RETRYING = "retrying", "Waiting to retry"
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class RunKind(models.TextChoices):
    APPLY = "apply", "Apply"
    PLAN = "plan", "Plan (check mode + diff)"
    DRIFT = "drift", "Drift check"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCESSFUL = "successful", "Successful"
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
