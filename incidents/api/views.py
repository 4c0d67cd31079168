"""REST API of incidents under /api/v1/incidents/ (registered through complaints.extensions):
GET/POST the list, GET one with tickets/ and updates/, and the actions link/, unlink/, updates/
(POST a public update) and resolve/. Thin: each call one service or selector; domain errors
become 4xx JSON in the core's exception handler."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from complaints import policy
from complaints import selectors as core_selectors
from complaints.api.schema import LIST_OF_OBJECTS
from complaints.errors import NotFound
from complaints.models import Category, RootCause, Team, Ticket

from .. import selectors, services
from ..models import Incident


class Page(PageNumberPagination):
    page_size = 25
    max_page_size = 100
    page_size_query_param = "page_size"


class WorksTickets(BasePermission):
    """Agents and supervisors; integrations and customers do not see incidents."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return policy.is_staff_agent(request.user)


class IncidentSerializer(serializers.Serializer):
    def to_representation(self, instance: Incident) -> dict[str, Any]:
        return selectors.incident_json(instance)


class CreateIncidentSerializer(serializers.Serializer):
    title_zh = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    title_en = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    notice_zh = serializers.CharField(required=False, allow_blank=True, default="")
    notice_en = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True
    )
    affected_area = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    region_tags = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, default=list
    )
    started_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    severity = serializers.ChoiceField(
        choices=Incident.Severity.choices, required=False, default=Incident.Severity.MAJOR
    )
    owner_team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), required=False, allow_null=True
    )
    status = serializers.ChoiceField(
        choices=[Incident.Status.SUSPECTED, Incident.Status.CONFIRMED],
        required=False,
        default=Incident.Status.SUSPECTED,
    )


class TicketRefSerializer(serializers.Serializer):
    ticket = serializers.CharField(max_length=20)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class UpdateSerializer(serializers.Serializer):
    body_zh = serializers.CharField(required=False, allow_blank=True, default="")
    body_en = serializers.CharField(required=False, allow_blank=True, default="")
    idempotency_key = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class IncidentResolveSerializer(serializers.Serializer):
    root_cause = serializers.SlugRelatedField(
        slug_field="slug", queryset=RootCause.objects.filter(is_active=True)
    )
    steps_taken = serializers.CharField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


def update_json(update: Any) -> dict[str, Any]:
    return {
        "id": update.pk,
        "body_zh": update.body_zh,
        "body_en": update.body_en,
        "idempotency_key": update.idempotency_key,
        "total": update.total,
        "sent": getattr(update, "sent", None),
        "percent": getattr(update, "percent", None),
        "created_at": update.created_at.isoformat(),
    }


class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [WorksTickets]
    serializer_class = IncidentSerializer
    pagination_class = Page
    filterset_class = None

    def get_queryset(self):
        queryset = selectors.incidents()
        wanted = self.request.query_params.get("status")
        if wanted in Incident.Status.values:
            queryset = queryset.filter(status=wanted)
        return queryset.order_by("-started_at", "-pk")

    @extend_schema(summary="Open an incident", request=CreateIncidentSerializer, responses={201: dict})
    def create(self, request: Request) -> Response:
        data = CreateIncidentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incident = services.create_incident(actor=request.user, **data.validated_data)
        return Response(
            selectors.incident_json(selectors.incidents().get(pk=incident.pk)), status=status.HTTP_201_CREATED
        )

    @extend_schema(summary="The incident's linked tickets you can see", responses={200: dict})
    @action(detail=True, methods=["get"])
    def tickets(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        visible = core_selectors.tickets_visible_to(request.user).values("pk")
        links = selectors.linked_tickets(incident).filter(ticket_id__in=visible)
        page = self.paginate_queryset(links)
        rows = [
            {
                "reference": link.ticket.reference,
                "status": link.ticket.status,
                "subject": link.ticket.subject,
                "team": link.ticket.team.slug if link.ticket.team_id else None,
                "how": link.how,
                "remedy": link.remedy,
                "amount": str(link.amount),
                "linked_at": link.linked_at.isoformat(),
            }
            for link in page
        ]
        return self.get_paginated_response(rows)

    @extend_schema(
        methods=["GET"],
        summary="The incident's public updates, with each one's progress",
        responses={200: LIST_OF_OBJECTS},
    )
    @extend_schema(
        methods=["POST"],
        summary="Post a public update (sent once per linked ticket; the same idempotency key sends nothing)",
        request=UpdateSerializer,
        responses={200: dict, 201: dict},
    )
    @action(detail=True, methods=["get", "post"])
    def updates(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        if request.method == "GET":
            return Response([update_json(u) for u in selectors.updates_with_progress(incident)])
        data = UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = data.validated_data["idempotency_key"] or request.headers.get("Idempotency-Key", "")
        update, created = services.post_update(
            incident_id=incident.pk,
            actor=request.user,
            body_zh=data.validated_data["body_zh"],
            body_en=data.validated_data["body_en"],
            idempotency_key=key,
        )
        return Response(
            update_json(update), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def _ticket(self, reference: str) -> Ticket:
        # Any team's ticket is found here: the service answers 403 when linking it needs a permission.
        ticket = Ticket.objects.filter(reference=reference.strip().upper()).first()
        if ticket is None:
            raise NotFound(_("There is no ticket %(ref)s.") % {"ref": reference})
        return ticket

    @extend_schema(summary="Link a ticket", request=TicketRefSerializer, responses={201: dict})
    @action(detail=True, methods=["post"])
    def link(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = TicketRefSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = self._ticket(data.validated_data["ticket"])
        services.link_ticket(incident_id=incident.pk, ticket_id=ticket.pk, actor=request.user)
        return Response(
            {"incident": incident.pk, "ticket": ticket.reference, "linked": True},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(summary="Unlink a ticket", request=TicketRefSerializer, responses={200: dict})
    @action(detail=True, methods=["post"])
    def unlink(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = TicketRefSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = self._ticket(data.validated_data["ticket"])
        services.unlink_ticket(
            incident_id=incident.pk,
            ticket_id=ticket.pk,
            actor=request.user,
            reason=data.validated_data["reason"],
        )
        return Response({"incident": incident.pk, "ticket": ticket.reference, "linked": False})

    @extend_schema(
        summary="Resolve the incident and all its open linked tickets",
        request=IncidentResolveSerializer,
        responses={202: dict},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        data = IncidentResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incident = services.resolve_incident(
            incident_id=incident.pk, actor=request.user, **data.validated_data
        )
        return Response(
            selectors.incident_json(selectors.incidents().get(pk=incident.pk)),
            status=status.HTTP_202_ACCEPTED,
        )
