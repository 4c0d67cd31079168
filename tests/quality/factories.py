"""Factories for quality inspection: closed tickets as the sample sees them, survey answers, scorecards."""

from datetime import datetime, timedelta

from django.contrib.auth.models import Group
from django.utils import timezone

from complaints.models import Resolution, Ticket
from feedback.models import Survey, SurveyAnswer
from quality.models import Criterion, Scorecard
from tests.factories import AgentFactory, RootCauseFactory, TicketFactory


def inspector(username: str, **kwargs) -> object:
    user = AgentFactory(username=username, **kwargs)
    user.groups.add(Group.objects.get(name="Inspectors"))
    return user


def closed_ticket(*, closed_at: datetime, assignee=None, team=None, **kwargs) -> Ticket:
    return TicketFactory(
        status=Ticket.Status.CLOSED,
        closed_at=closed_at,
        resolved_at=closed_at - timedelta(days=1),
        assignee=assignee,
        team=team,
        **kwargs,
    )


def resolution(
    ticket: Ticket, *, by=None, response: str = Resolution.CustomerResponse.CONFIRMED
) -> Resolution:
    return Resolution.objects.create(
        ticket=ticket,
        root_cause=RootCauseFactory(slug="line-fault"),
        steps_taken="Replaced the line card.",
        resolved_by=by,
        customer_response=response,
    )


def rated(ticket: Ticket, rating: int) -> SurveyAnswer:
    now = timezone.now()
    survey = Survey.objects.create(
        resolution=resolution(ticket),
        ticket=ticket,
        customer=ticket.customer,
        state=Survey.State.ANSWERED,
        send_after=now,
        sent_at=now,
        answered_at=now,
    )
    return SurveyAnswer.objects.create(
        survey=survey, rating=rating, answered_at=now, updated_at=now, edit_until=now + timedelta(days=7)
    )


def scorecard(*, pass_mark: int = 80) -> Scorecard:
    """Only this scorecard is active: courtesy (0-5, weight 1), resolution (0-5, weight 3), privacy (yes/no, critical)."""
    Scorecard.objects.update(is_active=False)
    card = Scorecard.objects.create(name_zh="测试评分表", name_en="Test scorecard", pass_mark=pass_mark)
    Criterion.objects.create(
        scorecard=card, position=1, name_zh="礼貌", name_en="Courtesy", weight=1, max_points=5
    )
    Criterion.objects.create(
        scorecard=card, position=2, name_zh="解决质量", name_en="Resolution quality", weight=3, max_points=5
    )
    Criterion.objects.create(
        scorecard=card,
        position=3,
        name_zh="保护隐私",
        name_en="Privacy respected",
        weight=1,
        scale=Criterion.Scale.YES_NO,
        max_points=1,
        is_critical=True,
    )
    return card
