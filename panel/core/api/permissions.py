"""Permission classes. Row-level tenancy is enforced by scoping querysets (see TenantQuerySet); these
classes add the coarse rules on top: who may call an endpoint at all."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from panel.core.models import is_staff_user


class IsStaff(BasePermission):
    message = "Only staff may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_staff_user(request.user)


class IsTenantMember(BasePermission):
    """Staff, or a customer user attached to an account. Users with neither role see nothing."""

    message = "Your user is not attached to an account."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user: Any = request.user
        if not (user and user.is_authenticated):
            return False
        return is_staff_user(user) or getattr(user, "account_id", None) is not None
