"""REST API v1 views: thin edges that check who asks, validate input and call the complaints services."""

import hashlib
import json
import re
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from complaints import extensions, reports, selectors, services
from complaints.models import Category, IdempotencyKey, Message, Resolution, RootCause, Team, Ticket
from complaints.services import CustomerDetails

from . import serializers as s
from .filters import TicketFilter
from .pagination import TicketCursorPagination
from .permissions import CanOpenTickets, CanSeeStatistics, CanWorkTickets, can_work_tickets
from .throttles import LoginRateThrottle, TicketCreateThrottle

VERSION_RESPONSES = {
    409: OpenApiResponse(
        s.ErrorSerializer, description="Stale version: error.detail.current_version says the current one."
    ),
    428: OpenApiResponse(
        s.ErrorSerializer, description="Send the version you saw (If-Match header or version field)."
    ),
}
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The ticket version you saw, e.g. "3" (the ETag of GET); or send `version` in the body.',
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string up to 255 characters; a retry with the same key and body returns the "
    "ticket the first request opened instead of opening another.",
)
_IF_MATCH_RE = re.compile(r'^\s*(?:W/)?"?(\d{1,10})"?\s*$')


class PreconditionRequired(APIException):
    status_code = 428
    default_code = "version_required"
    default_detail = "Send the ticket version you saw, as the If-Match header or the version field."


class IdempotencyKeyReused(APIException):
    status_code = 422
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was used for a different request; use a new key for a new ticket."


# --- authentication -------------------------------------------------------------------------


class ObtainTokenView(APIView):
    """Exchange a username and password for the account's API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        request=s.TokenRequestSerializer,
        responses={200: s.TokenSerializer},
        auth=[],
        tags=["auth"],
        operation_id="auth_token_create",
    )
    def post(self, request: Request) -> Response:
        serializer = s.TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise ValidationError(
                {"non_field_errors": [_("Unable to log in with this username and password.")]},
                code="invalid_credentials",
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


# --- tickets ----------------------------------------------------------------------------------


def ticket_queryset(user: Any) -> QuerySet[Ticket]:
    """The tickets `user` may see, with everything the ticket representation shows prefetched."""
    # The linked tickets are prefetched (their references only), not joined: two more joins of the
    # ticket table cost PostgreSQL ~17 ms of planning per list at 10^6 tickets (bench/README.md).
    linked = Ticket.objects.only("pk", "reference", "created_by_id")
    return selectors.ticket_queue_for(user).prefetch_related(
        Prefetch("related_to", queryset=linked),
        Prefetch("duplicate_of", queryset=linked),
        Prefetch(
            "resolutions",
            queryset=Resolution.objects.select_related("root_cause", "resolved_by").order_by(
                "-created_at", "-pk"
            ),
        ),
        *extensions.TICKET_PREFETCHES,
    )


def _request_hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def action_schema(summary: str, request: type[serializers.Serializer]) -> Any:
    """The OpenAPI description of a ticket action: its input, the ticket it returns, version refusals."""
    return extend_schema(
        summary=summary,
        request=request,
        parameters=[IF_MATCH],
        responses={200: s.TicketSerializer, **VERSION_RESPONSES},
        tags=["ticket actions"],
    )


@extend_schema_view(
    list=extend_schema(summary="Tickets you may see, newest first (cursor-paginated)", tags=["tickets"]),
    retrieve=extend_schema(
        summary="One ticket by its reference",
        tags=["tickets"],
        responses={200: s.TicketSerializer},
    ),
)
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.TicketSerializer
    filterset_class = TicketFilter
    pagination_class = TicketCursorPagination
    lookup_field = "reference"
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[Ticket]:
        return ticket_queryset(self.request.user)

    def get_permissions(self) -> list[BasePermission]:
        if self.action == "create":
            return [IsAuthenticated(), CanOpenTickets()]
        if self.action in {"assign", "transition", "escalate", "resolve", "reopen"}:
            return [IsAuthenticated(), CanWorkTickets()]
        return [IsAuthenticated()]

    def get_throttles(self) -> list[BaseThrottle]:
        throttles = super().get_throttles()
        if self.action == "create":
            throttles.append(TicketCreateThrottle())
        return throttles

    def _respond(self, ticket: Ticket, *, code: int = status.HTTP_200_OK, **extra: Any) -> Response:
        """The ticket re-read as its viewer sees it, with its version as the ETag."""
        visible = self.get_queryset().filter(pk=ticket.pk).first()
        if visible is None:
            # The change took the ticket out of the caller's reach (e.g. a supervisor's rule moved it).
            return Response({"reference": ticket.reference, "visible": False}, status=code)
        ticket = visible
        serializer_class = s.TicketCreatedSerializer if "is_repeat" in extra else s.TicketSerializer
        for name, value in extra.items():
            setattr(ticket, name, value)
        data = serializer_class(ticket, context=self.get_serializer_context()).data
        headers = {"ETag": f'"{ticket.version}"'}
        if code == status.HTTP_201_CREATED:
            headers["Location"] = str(data["url"])  # a Hyperlink (str subclass) breaks strict WSGI servers
        return Response(data, status=code, headers=headers)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._respond(self.get_object())

    # --- opening -------------------------------------------------------------------------------

    @extend_schema(
        summary="Open a ticket",
        description=(
            "Opens a complaint through the same service as every other channel: the customer is found or "
            "created, the routing rules classify and route it, and a repeat of the customer's open ticket "
            "is added to it. A new ticket answers 201; a repeat answers 200 with the existing ticket and "
            "`is_repeat: true`. `repeat_of` names an earlier ticket a new one was linked to. An integration "
            "account's complaint is added only to a ticket that account opened: a repeat of any other "
            "ticket opens a new one (linked for the agents), and the answer shows nothing of the earlier "
            "ticket or of the customer on file."
        ),
        request=s.TicketCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: s.TicketCreatedSerializer,
            200: s.TicketCreatedSerializer,
            422: OpenApiResponse(s.ErrorSerializer, description="Idempotency-Key reused with another body."),
        },
        tags=["tickets"],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            ticket, code = self._open(self._validated(request))
            return self._respond(ticket, code=code, is_repeat=code == status.HTTP_200_OK)
        if len(key) > 255:
            raise ValidationError({"Idempotency-Key": [_("Use at most 255 characters.")]})
        body_hash = _request_hash(request.data)
        previous = IdempotencyKey.objects.filter(user=request.user, key=key).first()
        if previous is not None:
            return self._replay(previous, body_hash)
        serializer = self._validated(request)
        try:
            with transaction.atomic():
                # The key row is written first: a concurrent retry blocks on it, then finds it.
                record = IdempotencyKey.objects.create(user=request.user, key=key, request_hash=body_hash)
                record.ticket, record.status_code = self._open(serializer)
                record.save(update_fields=["ticket", "status_code"])
        except IntegrityError:
            previous = IdempotencyKey.objects.filter(user=request.user, key=key).first()
            if previous is None:
                raise
            return self._replay(previous, body_hash)
        return self._respond(
            record.ticket, code=record.status_code, is_repeat=record.status_code == status.HTTP_200_OK
        )

    def _validated(self, request: Request) -> s.TicketCreateSerializer:
        serializer = s.TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer

    def _replay(self, previous: IdempotencyKey, body_hash: str) -> Response:
        if previous.request_hash != body_hash:
            raise IdempotencyKeyReused()
        ticket = self.get_queryset().filter(pk=previous.ticket_id).first()
        if ticket is None:
            raise IdempotencyKeyReused()
        return self._respond(
            ticket, code=previous.status_code, is_repeat=previous.status_code == status.HTTP_200_OK
        )

    def _open(self, serializer: s.TicketCreateSerializer) -> tuple[Ticket, int]:
        """Open the ticket through the service: (ticket, 201) when new, (the open ticket, 200) for a repeat."""
        data = serializer.validated_data
        customer = data["customer"]
        with transaction.atomic():
            return self._open_with_extras(data, customer)

    def _open_with_extras(self, data: dict[str, Any], customer: dict[str, Any]) -> tuple[Ticket, int]:
        opened = services.open_ticket(
            actor=self.request.user,
            channel=data["channel"],
            customer=CustomerDetails(
                name=customer["name"],
                email=customer["email"],
                phone=customer["phone"],
                customer_number=customer["customer_number"],
                language=data["language"],
            ),
            subject=data["subject"],
            description=data["description"],
            kind=data["kind"],
            category=data["category"],
            priority=data["priority"],
            complexity=data["complexity"],
            order_number=data["order_number"],
            occurred_at=data["occurred_at"],
            location=data["location"],
            desired_outcome=data["desired_outcome"],
            language=data["language"],
        )
        extensions.apply_create_fields(ticket=opened.ticket, actor=self.request.user, values=data)
        return opened.ticket, status.HTTP_200_OK if opened.is_repeat else status.HTTP_201_CREATED

    # --- messages and events ------------------------------------------------------------------

    @extend_schema(
        methods=["GET"],
        summary="The ticket's messages, oldest first",
        description="Integration accounts never see internal notes.",
        responses={200: s.MessageSerializer(many=True)},
        tags=["tickets"],
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a message",
        description=(
            "Agents: `public` replies to the customer, `internal` adds a note. Integration accounts add the "
            "customer's own message (`public` only)."
        ),
        request=s.MessageCreateSerializer,
        parameters=[IF_MATCH],
        responses={201: s.MessageSerializer, 409: VERSION_RESPONSES[409]},
        tags=["tickets"],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def messages(self, request: Request, reference: str) -> Response:
        ticket = self.get_object()
        staff = can_work_tickets(request.user)
        if request.method == "GET":
            messages = ticket.messages.select_related("author").prefetch_related("attachments")
            if not staff:
                messages = messages.exclude(kind=Message.Kind.NOTE)
            return Response(s.MessageSerializer(messages, many=True).data)
        serializer = s.MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visibility = serializer.validated_data["visibility"]
        if staff:
            kind = Message.Kind.REPLY if visibility == "public" else Message.Kind.NOTE
        elif request.user.has_perm("complaints.add_message") and ticket.created_by_id == request.user.pk:
            if visibility != "public":
                raise PermissionDenied(_("Integration accounts may only add the customer's messages."))
            kind = Message.Kind.CUSTOMER
        else:
            raise PermissionDenied(_("Your account may not add messages to this ticket."))
        message = services.add_message(
            ticket_id=ticket.pk,
            actor=request.user,
            kind=kind,
            body=serializer.validated_data["body"],
            version=self._version(request, serializer, required=False),
        )
        message = Message.objects.select_related("author").prefetch_related("attachments").get(pk=message.pk)
        return Response(s.MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The ticket's timeline of events, oldest first",
        description="Integration accounts see only the events the customer could see.",
        responses={200: s.EventSerializer(many=True)},
        tags=["tickets"],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def events(self, request: Request, reference: str) -> Response:
        ticket = self.get_object()
        events = ticket.events.select_related("actor")
        if not can_work_tickets(request.user):
            events = [e for e in events if e.is_public]
        return Response(s.EventSerializer(events, many=True).data)

    # --- actions ---------------------------------------------------------------------------------

    def _version(
        self, request: Request, serializer: serializers.Serializer, *, required: bool = True
    ) -> int | None:
        """The version the client saw, from If-Match or the body; they must agree when both are sent."""
        header = request.headers.get("If-Match")
        from_header = None
        if header is not None:
            match = _IF_MATCH_RE.match(header)
            if match is None:
                raise ValidationError({"If-Match": [_('Send the version as a number, e.g. "3".')]})
            from_header = int(match.group(1))
        from_body = serializer.validated_data.get("version")
        if from_header is not None and from_body is not None and from_header != from_body:
            raise ValidationError({"version": [_("The If-Match header and the version field disagree.")]})
        version = from_body if from_body is not None else from_header
        if version is None and required:
            raise PreconditionRequired()
        return version

    def _act(self, request: Request, serializer_class: type[serializers.Serializer], call: Any) -> Response:
        ticket = self.get_object()
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = self._version(request, serializer)
        call(ticket, version, serializer.validated_data)
        return self._respond(ticket)

    @action_schema("Assign to an agent, or back to the team queue", s.AssignSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def assign(self, request: Request, reference: str) -> Response:
        return self._act(
            request,
            s.AssignSerializer,
            lambda t, v, d: services.assign(
                ticket_id=t.pk, actor=request.user, assignee=d["assignee"], version=v
            ),
        )

    @action_schema("Change the status (resolving has its own action)", s.TransitionSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def transition(self, request: Request, reference: str) -> Response:
        return self._act(
            request,
            s.TransitionSerializer,
            lambda t, v, d: services.transition(
                ticket_id=t.pk, actor=request.user, to=d["to"], version=v, reason=d["reason"]
            ),
        )

    @action_schema("Escalate one level (or to a given level)", s.EscalateSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def escalate(self, request: Request, reference: str) -> Response:
        return self._act(
            request,
            s.EscalateSerializer,
            lambda t, v, d: services.escalate(
                ticket_id=t.pk, actor=request.user, version=v, reason=d["reason"], level=d["level"]
            ),
        )

    @action_schema("Resolve with root cause, steps taken and remedy", s.ResolveSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def resolve(self, request: Request, reference: str) -> Response:
        return self._act(
            request,
            s.ResolveSerializer,
            lambda t, v, d: services.resolve(
                ticket_id=t.pk,
                actor=request.user,
                version=v,
                root_cause=d["root_cause"],
                steps_taken=d["steps_taken"],
                remedy=d["remedy"],
                amount=d["amount"],
            ),
        )

    @action_schema("Reopen a resolved or closed ticket", s.ReopenSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def reopen(self, request: Request, reference: str) -> Response:
        return self._act(
            request,
            s.ReopenSerializer,
            lambda t, v, d: services.reopen(
                ticket_id=t.pk, actor=request.user, version=v, reason=d["reason"]
            ),
        )


# --- reference data ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="The active category tree, with zh and en names", tags=["reference"])
)
class CategoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.CategorySerializer
    pagination_class = None
    filterset_class = None

    def get_queryset(self) -> QuerySet[Category]:
        active = Category.objects.filter(is_active=True).order_by("position", "slug")
        # The tree is two levels deep; the grandchildren prefetch keeps the empty `children` query-free.
        children = Prefetch(
            "children", queryset=active.prefetch_related(Prefetch("children", queryset=active))
        )
        return Category.objects.filter(parent__isnull=True, is_active=True).prefetch_related(children)


@extend_schema_view(list=extend_schema(summary="Active teams", tags=["reference"]))
class TeamViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.TeamSerializer
    pagination_class = None
    filterset_class = None
    queryset = Team.objects.filter(is_active=True)


@extend_schema_view(list=extend_schema(summary="The root-cause taxonomy", tags=["reference"]))
class RootCauseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.RootCauseSerializer
    pagination_class = None
    filterset_class = None
    queryset = RootCause.objects.filter(is_active=True)


# --- statistics ---------------------------------------------------------------------------------

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 1, 1)


def _period_bound(value: str | None, name: str, *, end: bool) -> datetime | None:
    """A date-time, or a date meaning the start of that day (for `end`: the end of it), local time."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        # A bare date first: parse_datetime would read "2026-11-30" as that day's midnight.
        day = parse_date(value)
        moment = None if day else parse_datetime(value)
    except ValueError:
        moment = day = None
    if moment is None and day is None:
        raise ValidationError({name: [_("Give a date (2026-01-31) or an ISO 8601 date-time.")]})
    if not EARLIEST <= (day or moment.date()) <= LATEST:
        raise ValidationError({name: [_("Give a date between 2000 and 2100.")]})
    if moment is None:
        moment = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class StatsView(APIView):
    """Volumes, repeat rate, remedies and the sections other apps register (SLA compliance, CSAT)."""

    permission_classes = [IsAuthenticated, CanSeeStatistics]

    @extend_schema(
        summary="Statistics for a period",
        description=(
            "Counts of the tickets you may see that were opened in [start, end): by status, channel, "
            "top-level category, team and day/week/month; the repeat-complaint rate; resolutions by remedy "
            "and root cause. Every section registered by other apps (sla, feedback) is a further key. "
            "Default period: the last 30 days; a date as `end` includes that day."
        ),
        parameters=[
            OpenApiParameter("start", OpenApiTypes.STR, description="Date or ISO 8601 date-time."),
            OpenApiParameter(
                "end", OpenApiTypes.STR, description="Date (inclusive) or date-time (exclusive)."
            ),
        ],
        responses={200: s.StatsSerializer},
        tags=["statistics"],
    )
    def get(self, request: Request) -> Response:
        end = _period_bound(request.query_params.get("end"), "end", end=True) or timezone.now()
        start = _period_bound(request.query_params.get("start"), "start", end=False) or end - timedelta(
            days=30
        )
        if start >= end:
            raise ValidationError({"start": [_("The start must come before the end.")]})
        tickets = selectors.tickets_visible_to(request.user)
        data: dict[str, Any] = {
            **extensions.stats(start, end, tickets),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "volumes": reports.volume_report(tickets=tickets, start=start, end=end),
        }
        return Response(data)
