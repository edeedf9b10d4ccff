"""Page-number pagination that stays fast deep in lists of 100,000s of rows (runs, change sets).

A page far down a list is an OFFSET: the database steps over every row before it, and reading a row of a
wide table (a run's stats and diffs) costs far more than stepping over an index entry. So past DEEP_OFFSET the
page's ids are read first (the ordering index alone covers them), then their rows with every join and
prefetch of the list, by id alone: one query more, and no wide row read that is not shown.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.db.models.sql.where import WhereNode
from rest_framework.pagination import PageNumberPagination

DEEP_OFFSET = 2000


class DeferredJoinPaginator(Paginator):  # type: ignore[type-arg]
    """`ids`, when given, is a cheaper query of the list's ids in the list's order (e.g. from an index of another
    table): it then gives the count and the ids of deep pages."""

    def __init__(self, *args: Any, ids: QuerySet[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ids = ids

    @cached_property
    def count(self) -> int:
        return self.ids.count() if self.ids is not None else super().count

    def page(self, number: Any) -> Page:  # type: ignore[type-arg]
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        queryset = self.object_list
        if bottom < DEEP_OFFSET or not isinstance(queryset, QuerySet):
            return super().page(number)
        top = min(bottom + self.per_page, self.count)
        if top + self.orphans >= self.count:
            top = self.count
        ids_of = self.ids if self.ids is not None else queryset.values_list("pk", flat=True)
        ids = list(ids_of[bottom:top])
        # The ids were read through the list's filters (the tenant's, the caller's); fetching their rows needs no
        # filter but the ids, and keeping the others would let the database scan the tenant's rows again.
        rows_of = queryset.order_by()
        rows_of.query.where = WhereNode()
        rows = {row.pk: row for row in rows_of.filter(pk__in=ids)}
        return Page([rows[pk] for pk in ids if pk in rows], number, self)


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    django_paginator_class = DeferredJoinPaginator
