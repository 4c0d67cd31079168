"""REST endpoints of the assistant: thin, each call one selector. Bad text gives empty suggestions."""

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import policy, selectors
from complaints.models import Category, Team, Ticket

from .. import answers, urgency
from .. import selectors as assist_selectors
from ..models import AssistSuggestion

# What a text-only caller may send: longer text is cut by the analysis anyway.
MAX_FIELD = 20_000


def _field(data: Any, name: str) -> str:
    value = data.get(name, "") if hasattr(data, "get") else ""
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def _named(model: type, slug: object) -> dict | None:
    if slug is None:
        return None
    row = model.objects.filter(slug=slug).first()
    return {"slug": slug, "name": str(row) if row else str(slug)}


def _prediction_json(prediction: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "category": None,
        "team": None,
        "priority": None,
        "reasons": list(prediction.reasons),
    }
    for name, guess in prediction.guesses.items():
        if name == "priority":
            found[name] = {"value": guess.value, "confidence": round(guess.confidence, 3)}
        else:
            value = _named(Category if name == "category" else Team, guess.value)
            found[name] = value and {**value, "confidence": round(guess.confidence, 3)}
    return found


def _suggestion_json(suggestion: AssistSuggestion) -> dict[str, Any]:
    confidence = suggestion.confidence
    return {
        "category": suggestion.category
        and {
            "slug": suggestion.category.slug,
            "name": str(suggestion.category),
            "confidence": confidence.get("category"),
        },
        "team": suggestion.team
        and {
            "slug": suggestion.team.slug,
            "name": str(suggestion.team),
            "confidence": confidence.get("team"),
        },
        "priority": suggestion.priority
        and {"value": suggestion.priority, "confidence": confidence.get("priority")},
        "reasons": suggestion.reasons,
        "applied": suggestion.applied,
        "model": suggestion.model_id,
    }


def _articles(query: str, *, public_only: bool = False) -> list[dict[str, Any]]:
    return [
        {"slug": m.item.slug, "title": m.item.title, "public": m.item.is_public, "score": round(m.score, 3)}
        for m in answers.articles_for(query, public_only=public_only)
    ]


class TicketSuggestionsView(APIView):
    """The assistant's suggestion for a ticket, articles for its text and similar resolved tickets."""

    @extend_schema(summary="What the assistant suggests for a ticket", responses={200: dict})
    def get(self, request: Request, reference: str) -> Response:
        ticket = selectors.tickets_visible_to(request.user).filter(reference=reference.upper()).first()
        if ticket is None:
            raise policy.no_such_ticket(reference)
        stored = AssistSuggestion.objects.select_related("category", "team").filter(ticket=ticket).first()
        query = f"{ticket.subject}\n{ticket.description}"
        if stored is not None:
            body = _suggestion_json(stored)
        else:
            body = {**_prediction_json(assist_selectors.predict(query)[1]), "applied": False, "model": None}
        body["articles"] = _articles(query)
        body["urgency"] = urgency.signals(f"{query}\n{ticket.desired_outcome}")
        body["replies"] = [
            {"id": m.item.pk, "title": m.item.title, "score": round(m.score, 3)}
            for m in answers.replies_for(query, team_id=ticket.team_id)
        ]
        body["similar"] = [
            _similar_json(s)
            for s in answers.similar_resolved(ticket, category_id=stored.category_id if stored else None)
        ]
        return Response(body)


def _similar_json(similar: answers.SimilarTicket) -> dict[str, Any]:
    ticket: Ticket = similar.ticket
    resolution = similar.resolution
    return {
        "reference": ticket.reference,
        "subject": ticket.subject,
        "score": round(similar.score, 3),
        "root_cause": resolution.root_cause.slug if resolution else None,
        "remedy": resolution.remedy if resolution else None,
        "steps_taken": resolution.steps_taken if resolution else None,
    }


class ClassifyView(APIView):
    """Pre-classify a text (for integrations): empty suggestions for text that says nothing."""

    @extend_schema(
        summary="Classify a subject and description",
        request=inline_serializer(
            "AssistClassifyRequest",
            {
                "subject": serializers.CharField(required=False),
                "description": serializers.CharField(required=False),
            },
        ),
        responses={200: dict},
        examples=[
            OpenApiExample("broadband", value={"subject": "宽带断网", "description": "家里宽带断了三天"})
        ],
    )
    def post(self, request: Request) -> Response:
        query = f"{_field(request.data, 'subject')}\n{_field(request.data, 'description')}"
        model_row, prediction = assist_selectors.predict(query)
        return Response(
            {
                **_prediction_json(prediction),
                "model": model_row.pk if model_row else None,
                "articles": _articles(query),
            }
        )


class ModelView(APIView):
    """The model in use: version, when trained, on how many tickets, held-out accuracy."""

    @extend_schema(summary="The assistant's model in use", responses={200: dict})
    def get(self, request: Request) -> Response:
        row = assist_selectors.current_model_row()
        if row is None:
            return Response({"version": None, "trained_at": None, "size": 0, "accuracy": None, "scores": {}})
        return Response(
            {
                "version": row.pk,
                "trained_at": row.trained_at.isoformat(),
                "size": row.training_size,
                "accuracy": round(row.accuracy, 4),
                "scores": row.scores,
            }
        )
