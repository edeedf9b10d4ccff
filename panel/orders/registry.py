"""What can be sold and how it is measured. Apps that bring new billable objects (websites, databases, ...)
register them here from their own AppConfig.ready(), so the catalogue never has to import them.

- `billable(...)` makes a model available as a catalogue service's content type, with the fields a service's
  match filter may test and how to find the owning account;
- `metric(...)` names a way of measuring one object (a service picks it by name; nothing is evaluated).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models

AccountOf = Callable[[Any], Any]
Measure = Callable[[Any], Decimal]


@dataclass(frozen=True)
class Billable:
    model: type[models.Model]
    account_of: AccountOf
    fields: frozenset[str]
    is_gone: Callable[[Any], bool]

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    measure: Measure
    models: frozenset[str] | None  # model labels it applies to; None: any billable model


_billables: dict[str, Billable] = {}
_metrics: dict[str, Metric] = {}


def _pending_delete(obj: Any) -> bool:
    return bool(getattr(obj, "pending_delete", False))


def register_billable(
    model: type[models.Model],
    *,
    account_of: AccountOf,
    fields: frozenset[str] | set[str],
    is_gone: Callable[[Any], bool] = _pending_delete,
) -> Billable:
    entry = Billable(model=model, account_of=account_of, fields=frozenset(fields), is_gone=is_gone)
    _billables[entry.label] = entry
    return entry


def register_metric(name: str, *, description: str, measure: Measure, models: set[str] | None = None) -> Metric:
    entry = Metric(name=name, description=description, measure=measure, models=frozenset(models) if models else None)
    _metrics[name] = entry
    return entry


def billable_for(model: type[models.Model]) -> Billable | None:
    return _billables.get(model._meta.label_lower)


def billable_by_label(label: str) -> Billable | None:
    return _billables.get(label)


def billables() -> list[Billable]:
    return sorted(_billables.values(), key=lambda entry: entry.label)


def metric(name: str) -> Metric | None:
    return _metrics.get(name)


def metric_names() -> list[str]:
    return sorted(_metrics)


def _count(obj: Any) -> Decimal:
    return Decimal(1)


def _mailbox_quota_gb(obj: Any) -> Decimal:
    # Four places keep common quotas exact (1536 MB is 1.5 GB) and odd ones reproducible: the stored metric,
    # not the quota, is what gets rated.
    return (Decimal(obj.quota_mb) / Decimal(1024)).quantize(Decimal("0.0001"))


register_metric("count", description="1 per object", measure=_count)
register_metric(
    "mailbox_quota_gb",
    description="Mailbox quota in GB (quota_mb / 1024)",
    measure=_mailbox_quota_gb,
    models={"mail.mailbox"},
)
