"""The apply-state element of every object in the portal, rendered in Python: a page lists hundreds of objects,
and an included template per row cost the mail page (300 objects) most of its time."""

from __future__ import annotations

from functools import cache
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


def apply_state_html(request: Any, obj: Any, kind: str) -> SafeString:
    """While pending, htmx asks for this element again every second and swaps it in; a final state carries no
    trigger, so the polling stops. role=status: screen readers hear the change."""
    state = obj.apply_state
    element_id = f"state-{kind}-{obj.pk}"
    if state == "pending":
        url = reverse("portal:state", args=[kind, obj.pk])  # pending objects are few
        doing = "Deleting…" if obj.pending_delete else "Applying…"
        return format_html(
            '<div id="{}" class="state state-pending" role="status" aria-live="polite" data-state hx-get="{}" '
            'hx-trigger="every 1s" hx-swap="outerHTML"><span class="spinner" aria-hidden="true"></span> {}</div>',
            element_id, url, doing,
        )  # fmt: skip
    if state == "failed":
        retry = reverse("portal:retry", args=[kind, obj.pk])
        reason = truncatechars(obj.apply_error or "the server refused the change", 300)
        return format_html(
            '<div id="{id}" class="state state-failed" role="status" aria-live="polite" data-state>'
            "<strong>Failed:</strong> {reason} "
            '<form method="post" action="{retry}" class="inline" hx-post="{retry}" hx-target="#{id}" '
            'hx-swap="outerHTML"><input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
            '<input type="hidden" name="next" value="{back}"><button type="submit">Try again</button></form></div>',
            id=element_id, reason=reason, retry=retry, token=get_token(request), back=request.get_full_path(),
        )  # fmt: skip
    if state == "unproven":
        label = "Waiting for the name's proof"
    elif obj.suspended:
        label = "Suspended (the account is disabled)"
    else:
        label = "Applied"
    return format_html(
        '<div id="{}" class="state state-{}" role="status" aria-live="polite" data-state>{}</div>',
        element_id, state, label,
    )  # fmt: skip


@register.simple_tag(takes_context=True)
def apply_state(context: Any, obj: Any, kind: str) -> SafeString:
    return apply_state_html(context["request"], obj, kind)


_MARK = 987654321


@cache
def _path_template(name: str) -> str:
    return reverse(name, args=[_MARK]).replace(str(_MARK), "{}")


@register.simple_tag
def path(name: str, pk: int) -> str:
    """`{% url name pk %}` for the rows of long lists: the URL's shape is reversed once per name, not per row
    (hundreds of reverse() calls were a third of the mail page's time)."""
    return _path_template(name).format(int(pk))
