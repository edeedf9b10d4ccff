"""Query-string filters of list endpoints.

A filter naming a related object (`?account=`, `?zone=`, `?server=`...) takes its id as a plain number and
narrows the caller's own rows by it. An id that matches none of them answers an empty page, whether the object
does not exist or belongs to another tenant: django-filter's default checked the id against every row of the
related table, so an unknown id was a 400 and another tenant's a 200, and a customer could tell which ids exist.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django_filters import Filter
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.rest_framework import FilterSet as DrfFilterSet
from django_filters.rest_framework.filterset import FILTER_FOR_DBFIELD_DEFAULTS

from panel.core.api.fields import ID_MAX


class IdFilter(Filter):
    """The id of a related object: a whole number from 1 to bigint's maximum (anything else is a 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)


_RELATED = {"filter_class": IdFilter}


class FilterSet(DrfFilterSet):
    FILTER_DEFAULTS = {
        **FILTER_FOR_DBFIELD_DEFAULTS,
        models.ForeignKey: _RELATED,
        models.OneToOneField: _RELATED,
    }


class FilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend whose generated filter sets use the FilterSet above."""

    filterset_base = FilterSet
