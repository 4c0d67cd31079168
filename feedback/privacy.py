"""What the satisfaction follow-up forgets when the complaint core erases a customer or anonymises tickets."""

from collections.abc import Sequence
from typing import Any

from complaints.models import Customer

from .models import Survey, SurveyAnswer


def forget_tickets(*, ticket_ids: list[int]) -> int:
    """Empty the free-text survey comments about these tickets; ratings stay for the CSAT figures."""
    return (
        SurveyAnswer.objects.filter(survey__ticket_id__in=ticket_ids).exclude(comment="").update(comment="")
    )


def surveys_export(customer: Customer) -> tuple[list[str], Sequence[Sequence[Any]]]:
    """The customer's surveys and answers, for the customer export."""
    surveys = Survey.objects.filter(customer=customer).select_related("ticket", "answer").order_by("pk")
    rows = []
    for survey in surveys:
        answer = getattr(survey, "answer", None)
        rows.append(
            [
                survey.ticket.reference,
                survey.state,
                survey.sent_at,
                survey.answered_at,
                answer.rating if answer else None,
                answer.solved if answer else None,
                answer.comment if answer else "",
            ]
        )
    return ["ticket", "state", "sent_at", "answered_at", "rating", "solved", "comment"], rows
