from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from panel.provisioning import registry
from panel.provisioning.models import ChangeSet, ChangeSetItem, Run, RunEvent
from panel.servers.models import Server


class ChangeSetItemSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """One object of a change set with its outcome there; its error speaks only of that object."""

    type = serializers.CharField(source="content_type.model", read_only=True)

    class Meta:
        model = ChangeSetItem
        fields: ClassVar[list[str]] = ["type", "object_id", "object_repr", "scope", "outcome", "error"]


class ChangeSetSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """What a customer may see: state and its own items. The error text stays with staff, since a coalesced
    run may fail on another account's object."""

    server = serializers.SlugRelatedField(slug_field="name", read_only=True)  # type: ignore[var-annotated]
    items = ChangeSetItemSerializer(many=True, read_only=True)

    class Meta:
        model = ChangeSet
        fields: ClassVar[list[str]] = [
            "id",
            "server",
            "service",
            "state",
            "attempts",
            "next_attempt_at",
            "created_at",
            "started_at",
            "finished_at",
            "items",
        ]


class StaffChangeSetSerializer(ChangeSetSerializer):
    runs = serializers.PrimaryKeyRelatedField(many=True, read_only=True)  # type: ignore[var-annotated]

    class Meta(ChangeSetSerializer.Meta):
        fields: ClassVar[list[str]] = [*ChangeSetSerializer.Meta.fields, "error", "runs"]


class ConvergeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Staff: bring a server's service to the panel's desired state with a full run."""

    server = serializers.SlugRelatedField(slug_field="name", queryset=Server.objects.filter(is_active=True))
    service = serializers.ChoiceField(choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = registry.names()  # type: ignore[attr-defined]


class RunEventSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = RunEvent
        fields: ClassVar[list[str]] = [
            "seq",
            "task",
            "host",
            "item",
            "status",
            "message",
            "stdout",
            "stderr",
            "diff",
            "duration",
        ]


class RunSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    server = serializers.SlugRelatedField(slug_field="name", read_only=True)  # type: ignore[var-annotated]
    events = RunEventSerializer(many=True, read_only=True)

    class Meta:
        model = Run
        fields: ClassVar[list[str]] = [
            "id",
            "change_set",
            "server",
            "service",
            "kind",
            "status",
            "playbook",
            "tags",
            "only",
            "started_at",
            "finished_at",
            "duration",
            "stats",
            "vars_hash",
            "vars_diff",
            "drift",
            "error",
            "rejected",
            "events",
        ]


class RunSummarySerializer(RunSerializer):
    """Runs in lists: without events and diffs."""

    class Meta(RunSerializer.Meta):
        fields: ClassVar[list[str]] = [
            name for name in RunSerializer.Meta.fields if name not in {"events", "vars_diff"}
        ]
