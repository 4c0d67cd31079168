"""REST API of remedies under /api/v1/remedies/ (registered through complaints.extensions): GET the
list (filters state, type, due_before) and one remedy; POST approve/ (optionally a changed amount),
refuse/ and fulfil/ (the payment reference). Thin: each call one service or selector; domain errors
become 4xx JSON in the core's exception handler."""

from datetime import datetime, time
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from complaints import policy as core_policy

from .. import policy, selectors, services
from ..models import REMEDY_TYPES, ApprovalLevel, Fulfilment, Remedy


class RemedyPage(PageNumberPagination):
    page_size = 25
    max_page_size = 100
    page_size_query_param = "page_size"


class WorksRemedies(BasePermission):
    """Agents, supervisors and finance (also an integration holding remedies.change_fulfilment)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return core_policy.is_staff_agent(request.user) or policy.may_fulfil(request.user)


class RemedyFulfilmentOutputSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=Fulfilment.State.choices)
    due_at = serializers.DateTimeField()
    done_at = serializers.DateTimeField(allow_null=True)
    reference = serializers.CharField()
    failure_reason = serializers.CharField()


class RemedyOutputSerializer(serializers.Serializer):
    """A remedy as selectors.remedy_json writes it (the fields document the answer for the schema)."""

    id = serializers.IntegerField()
    ticket = serializers.CharField(allow_null=True, help_text="The ticket's reference.")
    type = serializers.ChoiceField(choices=REMEDY_TYPES)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    proposed_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    state = serializers.ChoiceField(choices=Remedy.State.choices)
    required_level = serializers.ChoiceField(choices=ApprovalLevel.choices)
    reason = serializers.CharField()
    proposed_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    fulfilment = RemedyFulfilmentOutputSerializer(allow_null=True)

    def to_representation(self, instance: Remedy) -> dict[str, Any]:
        return selectors.remedy_json(instance)


class RemedyApproveSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, default=None
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class RemedyRefuseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class RemedyFulfilSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=100)


FILTERS = [
    OpenApiParameter("state", OpenApiTypes.STR, enum=Remedy.State.values, description="The remedy's state."),
    OpenApiParameter(
        "type", OpenApiTypes.STR, enum=[v for v, _l in REMEDY_TYPES], description="The remedy type."
    ),
    OpenApiParameter(
        "due_before", OpenApiTypes.DATETIME, description="Fulfilment due before this time (or date)."
    ),
]


@extend_schema_view(
    list=extend_schema(summary="Remedies on the tickets you may see", parameters=FILTERS, tags=["remedies"]),
    retrieve=extend_schema(summary="One remedy with its fulfilment", tags=["remedies"]),
)
class RemedyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [WorksRemedies]
    serializer_class = RemedyOutputSerializer
    pagination_class = RemedyPage
    filterset_class = None
    queryset = Remedy.objects.none()

    def get_queryset(self):
        remedies = selectors.remedies_visible_to(self.request.user).order_by("-proposed_at", "-pk")
        if self.action != "list":
            return remedies
        params = self.request.query_params
        if state := params.get("state"):
            if state not in Remedy.State.values:
                raise ValidationError({"state": [_("Not a remedy state.")]})
            remedies = remedies.filter(state=state)
        if kind := params.get("type"):
            if kind not in dict(REMEDY_TYPES):
                raise ValidationError({"type": [_("Not a remedy type.")]})
            remedies = remedies.filter(remedy_type=kind)
        if due := params.get("due_before"):
            moment = _moment(due)
            remedies = remedies.filter(fulfilment__due_at__lt=moment)
        return remedies

    def _answer(self, remedy_id: int) -> Response:
        return Response(
            selectors.remedy_json(selectors.remedies_visible_to(self.request.user).get(pk=remedy_id))
        )

    @extend_schema(
        summary="Approve a remedy awaiting approval (a changed amount needs a reason); the held resolution is applied",
        request=RemedyApproveSerializer,
        responses={200: RemedyOutputSerializer},
        tags=["remedies"],
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        remedy = self.get_object()
        data = RemedyApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.approve(
            remedy_id=remedy.pk,
            actor=request.user,
            amount=data.validated_data["amount"],
            reason=data.validated_data["reason"],
        )
        return self._answer(remedy.pk)

    @extend_schema(
        summary="Refuse a remedy awaiting approval, with the reason",
        request=RemedyRefuseSerializer,
        responses={200: RemedyOutputSerializer},
        tags=["remedies"],
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: str) -> Response:
        remedy = self.get_object()
        data = RemedyRefuseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.refuse(remedy_id=remedy.pk, actor=request.user, reason=data.validated_data["reason"])
        return self._answer(remedy.pk)

    @extend_schema(
        summary="Record an approved remedy's fulfilment done, with the payment or transaction reference",
        request=RemedyFulfilSerializer,
        responses={200: RemedyOutputSerializer},
        tags=["remedies"],
    )
    @action(detail=True, methods=["post"])
    def fulfil(self, request: Request, pk: str) -> Response:
        remedy = self.get_object()
        data = RemedyFulfilSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policy.ensure_can_fulfil(request.user)
        services.fulfil(
            fulfilment_id=services.fulfilment_of(remedy.pk),
            actor=request.user,
            reference=data.validated_data["reference"],
        )
        return self._answer(remedy.pk)


def _moment(value: str) -> datetime:
    try:
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value)):
            moment = datetime.combine(day, time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise ValidationError({"due_before": [_("Give a date or a date and time (ISO 8601).")]})
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
