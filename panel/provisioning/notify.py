"""Telling staff about failed change sets. The HTML body is built with format_html/format_html_join, so
nothing from a server or a customer (task names, validator output, object names) is ever unescaped."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils.html import format_html, format_html_join

from panel.provisioning.choices import ChangeSetState
from panel.provisioning.models import ChangeSet, Run


def failure_html(change_set: ChangeSet, run: Run) -> str:
    items = format_html_join("", "<li>{}</li>", ((item.object_repr,) for item in change_set.items.all()))
    failed = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td><pre>{}</pre></td></tr>",
        (
            (event.task, event.item, "\n".join(p for p in (event.message, event.stdout, event.stderr) if p))
            for event in run.events.filter(status__in=["failed", "unreachable"])
        ),
    )
    refused = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td><pre>{}</pre></td></tr>",
        ((entry.get("task", ""), entry.get("label", ""), entry.get("msg", "")) for entry in run.rejected or []),
    )
    return format_html(
        "<p>Change set #{} ({} on {}) ended {} after {} attempt(s).</p><p>Objects:</p><ul>{}</ul>"
        "<table><tr><th>Task</th><th>Item</th><th>Output</th></tr>{}{}</table><pre>{}</pre>",
        change_set.pk,
        change_set.service,
        change_set.server.name,
        change_set.get_state_display().lower(),
        change_set.attempts,
        items,
        failed,
        refused,
        change_set.error,
    )


def staff_of_failure(change_set: ChangeSet, run: Run) -> None:
    recipients = list(
        get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="").values_list("email", flat=True)
    )
    if not recipients:
        return
    outcome = "partially failed" if change_set.state == ChangeSetState.PARTIAL else "failed"
    subject = f"[Baton] change set #{change_set.pk} {outcome}: {change_set.service} on {change_set.server.name}"
    send_mail(
        subject,
        f"{subject}\n\n{change_set.error}",
        settings.DEFAULT_FROM_EMAIL,
        recipients,
        html_message=failure_html(change_set, run),
        fail_silently=True,
    )
