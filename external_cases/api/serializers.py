"""The API's shapes of external sources, cases and report-backs."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from ..models import ExternalSource, ReportBack


class ExternalSourceSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    calendar = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    name = serializers.CharField(read_only=True)

    class Meta:
        model = ExternalSource
        fields = [
            "slug",
            "kind",
            "name",
            "name_zh",
            "name_en",
            "deadline_amount",
            "deadline_unit",
            "calendar",
            "warning_thresholds",
            "report_fields",
            "team",
            "priority",
        ]


class SourceField(serializers.SlugRelatedField):
    """A source by its slug; an unknown or retired one is a 400 naming the slugs to use."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="slug", queryset=ExternalSource.objects.filter(is_active=True), **kwargs)

    def to_internal_value(self, data: Any) -> ExternalSource:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            known = ", ".join(self.get_queryset().values_list("slug", flat=True))
            raise serializers.ValidationError(
                _("Unknown source %(source)s; use one of: %(known)s.") % {"source": data, "known": known}
            ) from None


class RegisterCaseSerializer(serializers.Serializer):
    """A forwarded case: POST .../external-cases/, and `external_case` of POST /api/v1/tickets/."""

    source = SourceField()
    number = serializers.CharField(max_length=64)
    received_at = serializers.DateTimeField(required=False)
    regulator_contact = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ReportBackSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ReportBack.Outcome.choices)
    values = serializers.DictField(child=serializers.CharField(allow_blank=True), default=dict)


def ticket_create_field() -> serializers.Field:
    """`external_case` of POST /api/v1/tickets/: the case is registered on the new ticket."""
    return RegisterCaseSerializer(
        required=False,
        allow_null=True,
        help_text="A case forwarded by a regulator or platform, registered with the ticket (all or nothing).",
    )
