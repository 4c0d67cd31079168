"""The API's shapes of hand-offs (named for their app: OpenAPI component names are global)."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from .. import services
from ..models import Partner


class HandoffPartnerField(serializers.PrimaryKeyRelatedField):
    """A partner by id; an unknown or retired one is a 400 naming the ids to use."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=Partner.objects.filter(is_active=True), **kwargs)

    def to_internal_value(self, data: Any) -> Partner:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            known = ", ".join(
                f"{pk} ({name})"
                for pk, name in self.get_queryset().exclude(email="").values_list("pk", "name")
            )
            raise serializers.ValidationError(
                _("Unknown partner %(partner)s; use one of: %(known)s.")
                % {"partner": data, "known": known or "—"}
            ) from None


class HandoffOpenSerializer(serializers.Serializer):
    partner = HandoffPartnerField()
    subject = serializers.CharField(max_length=services.SUBJECT_MAX_CHARS)
    body = serializers.CharField(max_length=services.BODY_MAX_CHARS)
    pauses_resolution = serializers.BooleanField(default=False)
    include_customer_contact = serializers.BooleanField(default=False)
    response_hours = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=services.MAX_RESPONSE_HOURS
    )


class HandoffCloseSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=services.NOTE_MAX_CHARS
    )


class HandoffPartnerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


class HandoffSerializer(serializers.Serializer):
    """A hand-off as the API answers it (selectors.handoff_json)."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    partner = HandoffPartnerSerializer()
    subject = serializers.CharField()
    state = serializers.CharField()
    clock_state = serializers.CharField()
    pauses_resolution = serializers.BooleanField()
    shares_customer_contact = serializers.BooleanField()
    opened_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    first_reply_at = serializers.DateTimeField(allow_null=True)
    last_reply_at = serializers.DateTimeField(allow_null=True)
    reminders = serializers.IntegerField()
    escalated_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
