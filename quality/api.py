"""REST API of quality: /api/v1/quality/reviews/, /api/v1/corrective-actions/, /api/v1/transparency/ (public).

Registered into the core's router through complaints.extensions.register_api_route. Lists are
limited in the selectors to what the user may see (quality.policy.reviews_visible_to).
"""

from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from complaints.naming import user_name

from . import policy, selectors, transparency
from .models import CorrectiveAction, Review, ReviewScore


class Page(PageNumberPagination):
    page_size = 25
    max_page_size = 100
    page_size_query_param = "page_size"


class ReviewScoreSerializer(serializers.ModelSerializer):
    criterion = serializers.CharField(source="criterion.name_en")
    criterion_zh = serializers.CharField(source="criterion.name_zh")
    critical = serializers.BooleanField(source="criterion.is_critical")
    max_points = serializers.IntegerField(source="criterion.max_points")

    class Meta:
        model = ReviewScore
        fields = ["criterion", "criterion_zh", "critical", "points", "max_points", "comment"]


class ReviewSerializer(serializers.ModelSerializer):
    ticket = serializers.CharField(source="ticket.reference")
    agent = serializers.SerializerMethodField()
    inspector = serializers.SerializerMethodField()
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    scores = ReviewScoreSerializer(many=True, read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "ticket",
            "week_start",
            "reason",
            "state",
            "agent",
            "inspector",
            "team",
            "score",
            "passed",
            "critical_failed",
            "comment",
            "scored_at",
            "appealed_at",
            "decision",
            "decided_at",
            "scores",
        ]

    def get_agent(self, review: Review) -> str:
        return user_name(review.agent)

    def get_inspector(self, review: Review) -> str:
        return user_name(review.inspector)


class CanSeeQuality(BasePermission):
    message = "Only staff see quality reviews."

    def has_permission(self, request: Request, view: object) -> bool:
        user = request.user
        return user.is_authenticated and (
            user.has_perm("complaints.change_ticket") or policy.is_inspector(user)
        )


class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reviews you may see: your own once scored, those you inspect, your team's as a lead, all as a supervisor."""

    serializer_class = ReviewSerializer
    pagination_class = Page
    permission_classes = [CanSeeQuality]
    filterset_fields = ["state", "reason", "passed", "week_start"]

    def get_queryset(self):
        reviews = policy.reviews_visible_to(self.request.user)
        return (
            selectors.review_list(reviews).prefetch_related("scores__criterion").order_by("-week_start", "pk")
        )


class CorrectiveActionSerializer(serializers.ModelSerializer):
    owner = serializers.SerializerMethodField()
    root_cause = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tickets = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)

    class Meta:
        model = CorrectiveAction
        fields = [
            "id",
            "title",
            "problem",
            "root_cause",
            "category",
            "tickets",
            "ticket_filter",
            "action",
            "owner",
            "due_date",
            "status",
            "is_public",
            "created_at",
            "completed_at",
            "rate_before",
            "rate_after",
            "effect_weeks",
        ]

    def get_owner(self, action: CorrectiveAction) -> str:
        return user_name(action.owner)


class CanSeeCorrectiveActions(BasePermission):
    message = "Your account may not see corrective actions."

    def has_permission(self, request: Request, view: object) -> bool:
        return request.user.is_authenticated and request.user.has_perm("quality.view_correctiveaction")


class CorrectiveActionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CorrectiveActionSerializer
    pagination_class = Page
    permission_classes = [CanSeeCorrectiveActions]
    filterset_fields = ["status", "is_public"]

    def get_queryset(self):
        return (
            CorrectiveAction.objects.select_related("owner", "root_cause", "category")
            .prefetch_related("tickets")
            .order_by("status", "due_date", "pk")
        )


class TransparencyViewSet(viewsets.ViewSet):
    """The public figures of /transparency/, from the newest snapshot (no ticket is read)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(summary="Public complaint-handling figures", responses={200: dict}, tags=["transparency"])
    def list(self, request: Request) -> Response:
        return Response(transparency.published(get_language() or "zh-hans") or {"sections": [], "months": []})
