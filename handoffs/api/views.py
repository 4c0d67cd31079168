"""REST endpoints of hand-offs under a ticket: thin, each call one service or selector. The ticket is
looked up among those the caller may see (404 otherwise), as everywhere in the ticket API."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import policy, selectors
from complaints.models import Ticket

from .. import selectors as handoff_selectors
from .. import services
from .serializers import HandoffCloseSerializer, HandoffOpenSerializer, HandoffSerializer


def _ticket(request: Request, reference: str) -> Ticket:
    ticket = selectors.tickets_visible_to(request.user).filter(reference=reference.upper()).first()
    if ticket is None:
        raise policy.no_such_ticket(reference)
    if not policy.is_staff_agent(request.user):
        raise policy.NotPermitted(_("Only agents and supervisors work hand-offs."))
    return ticket


def _answer(ticket: Ticket, handoff_id: int, code: int) -> Response:
    handoff = handoff_selectors.handoffs_of_ticket(ticket).get(pk=handoff_id)
    return Response(handoff_selectors.handoff_json(handoff), status=code)


class TicketHandoffsView(APIView):
    """GET the ticket's hand-offs; POST opens one (its e-mail is sent once committed)."""

    @extend_schema(summary="A ticket's hand-offs", responses={200: HandoffSerializer(many=True)})
    def get(self, request: Request, reference: str) -> Response:
        ticket = _ticket(request, reference)
        return Response(
            [handoff_selectors.handoff_json(h) for h in handoff_selectors.handoffs_of_ticket(ticket)]
        )

    @extend_schema(
        summary="Open a hand-off to a partner",
        request=HandoffOpenSerializer,
        responses={201: HandoffSerializer},
    )
    def post(self, request: Request, reference: str) -> Response:
        ticket = _ticket(request, reference)
        data = HandoffOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handoff = services.open_handoff(actor=request.user, ticket_id=ticket.pk, **data.validated_data)
        return _answer(ticket, handoff.pk, status.HTTP_201_CREATED)


class HandoffCloseView(APIView):
    @extend_schema(
        summary="Close a hand-off", request=HandoffCloseSerializer, responses={200: HandoffSerializer}
    )
    def post(self, request: Request, reference: str, handoff_id: int, **kwargs: Any) -> Response:
        ticket = _ticket(request, reference)
        data = HandoffCloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.close_handoff(
            handoff_id=handoff_id, actor=request.user, ticket_id=ticket.pk, note=data.validated_data["note"]
        )
        return _answer(ticket, handoff_id, status.HTTP_200_OK)
