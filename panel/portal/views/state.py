"""An object's apply state as a fragment: polled by htmx while pending (the fragment stops the polling once the
state is final), and the customer's retry of a failed object."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from panel.core.errors import ApplicationError
from panel.portal.state import KINDS
from panel.portal.templatetags.portal import apply_state_html
from panel.portal.views.common import actor, visible
from panel.provisioning.services import object_retry


def _object(request: HttpRequest, kind: str, pk: int) -> object:
    selector = KINDS.get(kind)
    if selector is None:
        raise Http404
    return visible(selector(actor=request.user), pk)


@login_required
def state(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    return HttpResponse(apply_state_html(request, _object(request, kind, pk), kind))


@login_required
@require_POST
def retry(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    obj = _object(request, kind, pk)
    try:
        object_retry(obj=obj, actor=actor(request))  # type: ignore[arg-type]
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Trying again.")
    obj = _object(request, kind, pk)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse(apply_state_html(request, obj, kind))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "portal:home"
    return redirect(back)
