"""REST endpoints of external cases: thin, each call one service or selector."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import policy, selectors
from complaints.api.schema import LIST_OF_OBJECTS
from complaints.errors import NotFound
from complaints.models import Ticket

from .. import selectors as case_selectors
from .. import services
from ..models import ExternalCase
from .serializers import ExternalSourceSerializer, RegisterCaseSerializer, ReportBackSerializer


class ExternalSourceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The sources cases can come from, with their deadline rule and report-back fields."""

    serializer_class = ExternalSourceSerializer
    pagination_class = None
    filterset_class = None

    def get_queryset(self):
        return case_selectors.active_sources()


def _ticket(request: Request, reference: str) -> Ticket:
    ticket = selectors.tickets_visible_to(request.user).filter(reference=reference.upper()).first()
    if ticket is None:
        raise policy.no_such_ticket(reference)
    return ticket


class TicketExternalCasesView(APIView):
    """GET the ticket's external cases; POST registers a forwarded case on it."""

    @extend_schema(summary="A ticket's external cases", responses={200: LIST_OF_OBJECTS})
    def get(self, request: Request, reference: str) -> Response:
        ticket = _ticket(request, reference)
        return Response([case_selectors.case_json(case) for case in case_selectors.cases_of_ticket(ticket)])

    @extend_schema(
        summary="Register a forwarded external case", request=RegisterCaseSerializer, responses={201: dict}
    )
    def post(self, request: Request, reference: str) -> Response:
        ticket = _ticket(request, reference)
        data = RegisterCaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.register_case(
            ticket_id=ticket.pk,
            actor=request.user,
            source=data.validated_data["source"],
            number=data.validated_data["number"],
            received_at=data.validated_data.get("received_at") or timezone.now(),
            regulator_contact=data.validated_data["regulator_contact"],
            notes=data.validated_data["notes"],
        )
        case = case_selectors.cases_of_ticket(ticket).get(pk=case.pk)
        return Response(case_selectors.case_json(case), status=status.HTTP_201_CREATED)


def register_with_new_ticket(*, ticket: Ticket, actor: Any, value: dict[str, Any]) -> None:
    """POST /api/v1/tickets/ with `external_case`: register it in the opening transaction."""
    services.register_case(
        ticket_id=ticket.pk,
        actor=actor,
        source=value["source"],
        number=value["number"],
        received_at=value.get("received_at") or timezone.now(),
        regulator_contact=value["regulator_contact"],
        notes=value["notes"],
    )


class ReportBackView(APIView):
    @extend_schema(
        summary="Record an external case's report-back", request=ReportBackSerializer, responses={201: dict}
    )
    def post(self, request: Request, reference: str, case_id: int, **kwargs: Any) -> Response:
        ticket = _ticket(request, reference)
        if not ExternalCase.objects.filter(pk=case_id, ticket=ticket).exists():
            raise NotFound(_("No such external case on this ticket."))
        data = ReportBackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.record_report_back(
            case_id=case_id,
            actor=request.user,
            values=data.validated_data["values"],
            outcome=data.validated_data["outcome"],
        )
        case = case_selectors.cases_of_ticket(ticket).get(pk=case_id)
        return Response(case_selectors.case_json(case), status=status.HTTP_201_CREATED)
