"""What the API reads and writes. Serializers validate and shape; the services decide.

Input serializers mirror a service's keyword arguments; output serializers show a
ticket as its viewer may see it (customer contact data masked).
"""

import copy
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints import extensions, policy
from complaints.models import Category, Message, Resolution, RootCause, Team, Ticket, TicketEvent
from complaints.models.tickets import MAX_ESCALATION_LEVEL, Channel, Complexity, Kind, Priority, SlaState
from complaints.states import Status

MAX_TEXT = 20_000
MAX_REASON = 2_000
MAX_VERSION = 2**31 - 1
OLDEST_OCCURRENCE_YEAR = 2000


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, building its fields from the model once per class.

    DRF introspects the model again for every serializer instance, and a ticket's representation
    makes several (its category, team, SLA summary, resolution): that was a tenth of the CPU of
    opening a ticket through the API. The fields depend only on the class, so each instance gets
    a copy of the ones built first, as DRF itself copies declared fields.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built
        return copy.deepcopy(built)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Stable machine-readable code, e.g. invalid, stale_version, not_found."
    )
    message = serializers.CharField(help_text="What went wrong, in words a person can act on.")
    fields = serializers.DictField(
        required=False, help_text="Per-field messages for invalid input: {field: [message, ...]}."
    )
    detail = serializers.DictField(
        required=False, help_text="Extra facts, e.g. current_version for a stale update."
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


# --- reference data ----------------------------------------------------------------------


class CategorySerializer(ModelSerializer):
    children = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = ["slug", "name", "name_zh", "name_en", "children"]

    @extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/Category"}})
    def get_children(self, category: Category) -> list[dict[str, Any]]:
        children = [c for c in category.children.all() if c.is_active]
        return CategorySerializer(children, many=True, context=self.context).data


class TeamSerializer(ModelSerializer):
    class Meta:
        model = Team
        fields = ["slug", "name", "name_zh", "name_en", "function"]


class RootCauseSerializer(ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = RootCause
        fields = ["slug", "group", "name", "name_zh", "name_en"]


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


# --- tickets: output ---------------------------------------------------------------------


class CategoryRefSerializer(ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Category
        fields = ["slug", "name", "name_zh", "name_en", "parent"]


class TeamRefSerializer(ModelSerializer):
    class Meta:
        model = Team
        fields = ["slug", "name"]


class MaskedCustomerSerializer(serializers.Serializer):
    name = serializers.CharField(source="masked_name", read_only=True)
    email = serializers.CharField(source="masked_email", read_only=True)
    phone = serializers.CharField(source="masked_phone", read_only=True)


class SlaSummarySerializer(serializers.Serializer):
    """The ticket's SLA summary; the sla app's registered field adds its clocks' due times."""

    state = serializers.ChoiceField(choices=SlaState.choices, source="sla_state")
    due_at = serializers.DateTimeField(source="sla_due_at", allow_null=True)


class ResolutionSerializer(ModelSerializer):
    root_cause = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Resolution
        fields = [
            "root_cause",
            "steps_taken",
            "remedy",
            "amount",
            "currency",
            "resolved_by",
            "customer_response",
            "created_at",
        ]


class TicketSerializer(ModelSerializer):
    """A ticket as the API shows it.

    `sla` holds the ticket's SLA summary merged with the value the sla app registers
    under the name "sla" (complaints.extensions.TICKET_FIELDS); every other registered
    field appears as a key of its own name.
    """

    category = CategoryRefSerializer(read_only=True, allow_null=True)
    team = TeamRefSerializer(read_only=True, allow_null=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    customer = MaskedCustomerSerializer(
        read_only=True, allow_null=True, help_text="Masked contact data; null for integration accounts."
    )
    sla = serializers.SerializerMethodField()
    repeat_of = serializers.SlugRelatedField(
        source="related_to", slug_field="reference", read_only=True, allow_null=True
    )
    merged_into = serializers.SlugRelatedField(
        source="duplicate_of", slug_field="reference", read_only=True, allow_null=True
    )
    resolution = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(
        view_name="api:ticket-detail", lookup_field="reference", read_only=True
    )

    class Meta:
        model = Ticket
        fields = [
            "reference",
            "url",
            "version",
            "status",
            "kind",
            "priority",
            "complexity",
            "channel",
            "category",
            "team",
            "assignee",
            "escalation_level",
            "subject",
            "description",
            "order_number",
            "occurred_at",
            "location",
            "desired_outcome",
            "language",
            "customer",
            "sla",
            "repeat_of",
            "merged_into",
            "resolution",
            "created_at",
            "updated_at",
            "acknowledged_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SlaSummarySerializer)
    def get_sla(self, ticket: Ticket) -> dict[str, Any]:
        summary = dict(SlaSummarySerializer(ticket).data)
        field = extensions.TICKET_FIELDS.get("sla")
        extra = field(ticket) if field is not None else None
        if isinstance(extra, dict):
            summary.update(extra)
        return summary

    @extend_schema_field(ResolutionSerializer(allow_null=True))
    def get_resolution(self, ticket: Ticket) -> dict[str, Any] | None:
        """The latest resolution (resolutions are prefetched newest first)."""
        resolutions = list(ticket.resolutions.all())
        return ResolutionSerializer(resolutions[0]).data if resolutions else None

    def to_representation(self, ticket: Ticket) -> dict[str, Any]:
        data = super().to_representation(ticket)
        for name, field in extensions.TICKET_FIELDS.items():
            if name != "sla" and name not in data:
                data[name] = field(ticket)
        request = self.context.get("request")
        viewer = getattr(request, "user", None)
        if viewer is not None and not policy.is_staff_agent(viewer):
            # An integration claimed the contact details it sent; what we hold about that customer,
            # and their other tickets, are not its to see (complaints.policy).
            data["customer"] = None
            for name, source in (("repeat_of", "related_to"), ("merged_into", "duplicate_of")):
                linked = getattr(ticket, source)
                if linked is not None and not policy.may_be_told_about(viewer, linked):
                    data[name] = None
        return data


class TicketCreatedSerializer(TicketSerializer):
    is_repeat = serializers.BooleanField(
        read_only=True,
        help_text="True when the complaint repeated this customer's open ticket and was added to it "
        "as a message (answered with 200 and that ticket) rather than opened anew (201).",
    )

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "is_repeat"]
        read_only_fields = fields


class AttachmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="original_name", read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)


class MessageSerializer(ModelSerializer):
    visibility = serializers.SerializerMethodField()
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    attachments = AttachmentRefSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "kind", "visibility", "author", "channel", "body", "created_at", "attachments"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["public", "internal"]))
    def get_visibility(self, message: Message) -> str:
        return "public" if message.is_public else "internal"


class EventSerializer(ModelSerializer):
    label = serializers.CharField(source="get_kind_display", read_only=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    detail = serializers.JSONField(read_only=True)

    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "label", "actor", "from_value", "to_value", "reason", "detail", "created_at"]
        read_only_fields = fields


# --- tickets: input ----------------------------------------------------------------------


class CustomerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    phone = serializers.RegexField(
        r"^\+?[0-9][0-9 ()\-]{4,31}$",
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text="Digits, spaces, brackets and dashes, optionally starting with +.",
    )
    customer_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("email") and not attrs.get("phone"):
            raise serializers.ValidationError(
                {"email": [_("Give an e-mail address or a phone number so we can answer the customer.")]}
            )
        return attrs


class TicketCreateSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    customer = CustomerInputSerializer()
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=MAX_TEXT)
    category = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Category.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="A category slug from GET /api/v1/categories/; left out, the routing rules decide.",
    )
    order_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    desired_outcome = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=Kind.choices, required=False, allow_null=True, default=None)
    priority = serializers.ChoiceField(
        choices=Priority.choices, required=False, allow_null=True, default=None
    )
    complexity = serializers.ChoiceField(
        choices=Complexity.choices, required=False, allow_null=True, default=None
    )
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES, required=False, allow_blank=True, default=""
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # Other apps' fields (e.g. external_case), registered in ready(): validated here, applied
        # by extensions.apply_create_fields in the opening transaction.
        for name, extra in extensions.TICKET_CREATE_FIELDS.items():
            fields.setdefault(name, extra.field())
        return fields

    def validate_occurred_at(self, value: datetime | None) -> datetime | None:
        if value is None:
            return value
        if value > timezone.now() + timedelta(minutes=5):
            raise serializers.ValidationError(_("This lies in the future."))
        # Before 1970 the zone database gives local mean time offsets (+08:05:43) no client parses.
        if value.year < OLDEST_OCCURRENCE_YEAR:
            raise serializers.ValidationError(
                _("Give a time after %(year)s.") % {"year": OLDEST_OCCURRENCE_YEAR}
            )
        return value


class VersionedSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_VERSION,
        help_text="The ticket version you saw; or send it as the If-Match header. Required for changes.",
    )


class MessageCreateSerializer(VersionedSerializer):
    body = serializers.CharField(max_length=MAX_TEXT)
    visibility = serializers.ChoiceField(
        choices=[("public", _("public")), ("internal", _("internal"))],
        default="public",
        help_text="public: a reply to the customer (from an integration: the customer's own message); "
        "internal: a note the customer never sees.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].help_text = "Optional: when given, a stale version is refused."


class AssignSerializer(VersionedSerializer):
    assignee = serializers.CharField(
        max_length=150,
        allow_null=True,
        help_text="The agent's username; null sends it back to the team queue.",
    )

    def validate_assignee(self, value: str | None) -> Any:
        if value is None:
            return None
        user = get_user_model().objects.filter(username=value, is_active=True).first()
        if user is None:
            raise serializers.ValidationError(_("There is no active user %(name)s.") % {"name": value})
        return user


class TransitionSerializer(VersionedSerializer):
    to = serializers.ChoiceField(choices=[s for s in Status.choices if s[0] != Status.RESOLVED])
    reason = serializers.CharField(max_length=MAX_REASON, required=False, allow_blank=True, default="")


class EscalateSerializer(VersionedSerializer):
    reason = serializers.CharField(max_length=MAX_REASON)
    level = serializers.ChoiceField(
        choices=list(range(1, MAX_ESCALATION_LEVEL + 1)),
        required=False,
        allow_null=True,
        default=None,
        help_text="Left out: one level up.",
    )


class ResolveSerializer(VersionedSerializer):
    root_cause = serializers.SlugRelatedField(
        slug_field="slug", queryset=RootCause.objects.filter(is_active=True)
    )
    steps_taken = serializers.CharField(max_length=MAX_TEXT)
    remedy = serializers.ChoiceField(choices=Resolution.Remedy.choices, default=Resolution.Remedy.NONE)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, default=0)


class ReopenSerializer(VersionedSerializer):
    reason = serializers.CharField(max_length=MAX_REASON)


# --- statistics ----------------------------------------------------------------------------


class StatsSerializer(serializers.Serializer):
    """Volumes from complaints.reports plus one key per section sla/feedback register (e.g. sla, csat)."""

    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    volumes = serializers.DictField()
