"""Every complaint service, through its public function: what changes, which events, which version."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db.models import QuerySet
from django.utils import timezone

from complaints import pii, services
from complaints.errors import ComplaintError, IllegalTransition, StaleVersion
from complaints.events import EventKind
from complaints.models import (
    Category,
    Customer,
    Message,
    Resolution,
    RoutingRule,
    Team,
    TeamMembership,
    Ticket,
    TicketEvent,
)
from complaints.services import CustomerDetails
from complaints.states import Status
from tests.factories import AgentFactory, CategoryFactory, RootCauseFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db

_unique = itertools.count()


def core_events(ticket: Ticket) -> QuerySet[TicketEvent]:
    """The ticket's events without the SLA app's own (its receivers react to ours); these tests judge the core."""
    return ticket.events.exclude(kind__startswith="sla_")


def kinds(ticket: Ticket) -> list[str]:
    return list(core_events(ticket).order_by("pk").values_list("kind", flat=True))


def open_(
    category: Category | None = None, *, email: str | None = None, subject: str | None = None, **kwargs
) -> Ticket:
    """Open a ticket for a fresh customer with text unlike any other, so no repeat detection interferes."""
    n = next(_unique)
    return services.open_ticket(
        actor=None,
        channel=kwargs.pop("channel", Ticket.Channel.WEB),
        customer=CustomerDetails(name="张三", email=email or f"open{n}@example.com"),
        subject=subject or f"Subject {n} {'xyzw'[n % 4] * (n % 7 + 1)}",
        description=kwargs.pop("description", f"Description number {n} about order {n * 7919}"),
        category=category,
        **kwargs,
    ).ticket


@pytest.fixture
def category(team):
    return CategoryFactory(default_team=team)


@pytest.fixture
def cause(db):
    return RootCauseFactory()


def make(status: str = Status.NEW, **kwargs) -> Ticket:
    return TicketFactory(status=status, **kwargs)


# --- open_ticket -----------------------------------------------------------------------


def test_open_ticket_creates_customer_and_finds_them_again_by_blind_index(category):
    first = open_(category, email="Li.Lei@Example.com")
    second = open_(category, email=" li.lei@example.com ", subject="A completely different matter")
    assert Customer.objects.count() == 1
    assert first.customer_id == second.customer_id
    customer = Customer.objects.get()
    assert customer.email_index == pii.blind_index("email", "li.lei@example.com")


def test_open_ticket_finds_customer_by_phone_variant(category):
    services.open_ticket(
        actor=None,
        channel="phone",
        customer=CustomerDetails(phone="13800138000"),
        subject="电话投诉",
        description="快递丢失",
        category=category,
    )
    opened = services.open_ticket(
        actor=None,
        channel="phone",
        customer=CustomerDetails(phone="+86 138-0013-8000", email="late@example.com"),
        subject="Another thing entirely",
        description="Billing amount was wrong twice",
        category=category,
    )
    customer = Customer.objects.get()
    assert opened.ticket.customer == customer
    assert customer.email == ""  # a claimed detail is never added to a known customer (issue 15)


def test_open_ticket_without_contact_or_text_is_refused(category):
    with pytest.raises(ComplaintError):
        services.open_ticket(
            actor=None, channel="web", customer=CustomerDetails(), subject="s", description="d"
        )
    with pytest.raises(ComplaintError):
        open_(category, subject="   ")
    assert Ticket.objects.count() == 0


def test_open_ticket_routes_by_rule_and_records_the_rule(team, agent):
    other = TeamFactory(slug="billing")
    billing_agent = AgentFactory(team=other)
    rule = RoutingRule.objects.create(name="Billing words", match_keywords="invoice, 发票", set_team=other)
    ticket = open_(description="My invoice is wrong")
    assert ticket.team == other and ticket.routing_rule == rule
    assert ticket.status == Status.NEW
    assert kinds(ticket) == [EventKind.OPENED, EventKind.ROUTED, EventKind.ASSIGNED]
    routed = ticket.events.get(kind=EventKind.ROUTED)
    assert routed.detail["rule"] == "Billing words" and routed.detail["keyword"] == "invoice"
    assert routed.to_value == "billing"
    assert ticket.assignee == billing_agent
    assert ticket.version == 2  # created at 1, auto-assignment bumped it


def test_open_ticket_without_team_stays_unassigned():
    ticket = open_()
    assert ticket.team is None and ticket.assignee is None
    assert kinds(ticket) == [EventKind.OPENED]
    assert ticket.version == 1


def test_auto_assignment_round_robin_skips_away_agents(team, category):
    first, away, second = AgentFactory(team=team), AgentFactory(team=team), AgentFactory(team=team)
    TeamMembership.objects.filter(user=away).update(is_away=True)
    assignees = [open_(category).assignee for _ in range(4)]
    assert assignees == [first, second, first, second]


def test_auto_assignment_least_loaded_prefers_the_agent_with_fewest_open_tickets(team, category):
    team.assignment_strategy = Team.AssignmentStrategy.LEAST_LOADED
    team.save(update_fields=["assignment_strategy"])
    busy, idle = AgentFactory(team=team), AgentFactory(team=team)
    for _ in range(2):
        make(team=team, assignee=busy, status=Status.IN_PROGRESS)
    # Closed tickets do not count as load.
    for _ in range(3):
        make(team=team, assignee=idle, status=Status.CLOSED)
    TeamMembership.objects.filter(user=idle).update(last_assigned_at=timezone.now())
    ticket = open_(category)
    assert ticket.assignee == idle
    assert ticket.events.get(kind=EventKind.ASSIGNED).detail["strategy"] == "least_loaded"


def test_auto_assign_service(team, category):
    ticket = make(team=team)
    with pytest.raises(ComplaintError):  # nobody in the team yet
        services.auto_assign(ticket_id=ticket.pk, actor=None, version=1)
    agent = AgentFactory(team=team)
    AgentFactory(team=team, is_active=False)
    result = services.auto_assign(ticket_id=ticket.pk, actor=None, version=1)
    assert result.assignee == agent and result.version == 2
    assert kinds(result) == [EventKind.ASSIGNED]
    with pytest.raises(ComplaintError):
        services.auto_assign(ticket_id=make().pk, actor=None)  # no team


# --- messages --------------------------------------------------------------------------


def test_customer_message_puts_an_awaiting_ticket_back_in_progress(agent):
    ticket = make(Status.AWAITING_CUSTOMER)
    services.add_message(
        ticket_id=ticket.pk, actor=None, kind=Message.Kind.CUSTOMER, body="Here it is", version=1
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.version == 2
    assert kinds(ticket) == [EventKind.CUSTOMER_MESSAGE, EventKind.STATUS_CHANGED]


def test_first_public_reply_acknowledges_and_sets_first_response(agent):
    ticket = make()
    message = services.add_message(
        ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body="We are on it"
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.ACKNOWLEDGED
    assert ticket.first_response_at == message.created_at and ticket.acknowledged_at is not None
    assert message.is_public and message.author == agent
    assert kinds(ticket) == [EventKind.STATUS_CHANGED, EventKind.REPLIED]
    first = ticket.first_response_at
    services.add_message(ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body="Still on it")
    ticket.refresh_from_db()
    assert ticket.first_response_at == first and ticket.version == 3


def test_internal_note_is_not_public_and_changes_no_status(agent):
    ticket = make()
    note = services.add_message(
        ticket_id=ticket.pk, actor=agent, kind=Message.Kind.NOTE, body="Check the log"
    )
    ticket.refresh_from_db()
    assert not note.is_public
    assert ticket.status == Status.NEW and ticket.first_response_at is None
    assert kinds(ticket) == [EventKind.NOTE_ADDED]


def test_message_html_is_sanitised(agent):
    ticket = make()
    message = services.add_message(
        ticket_id=ticket.pk,
        actor=agent,
        kind=Message.Kind.NOTE,
        body='<script>alert(1)</script><b onclick="x()">bold</b><img src=x onerror=y>',
    )
    assert message.body == "<b>bold</b>"
    with pytest.raises(ComplaintError):
        services.add_message(
            ticket_id=ticket.pk, actor=agent, kind=Message.Kind.NOTE, body="<script>x</script>"
        )


def test_reply_on_a_closed_ticket_is_refused(agent):
    ticket = make(Status.CLOSED)
    with pytest.raises(IllegalTransition):
        services.add_message(ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body="hi")
    assert not ticket.messages.exists()


# --- status services -------------------------------------------------------------------


def test_acknowledge(agent):
    ticket = services.acknowledge(ticket_id=make().pk, actor=agent, version=1)
    assert ticket.status == Status.ACKNOWLEDGED and ticket.acknowledged_at and ticket.version == 2
    assert kinds(ticket) == [EventKind.ACKNOWLEDGED]
    with pytest.raises(IllegalTransition):
        services.acknowledge(ticket_id=ticket.pk, actor=agent, version=2)


def test_transition_and_await_customer(team, agent):
    ticket = services.transition(ticket_id=make(team=team).pk, actor=agent, to=Status.IN_PROGRESS, version=1)
    ticket = services.await_customer(ticket_id=ticket.pk, actor=agent, version=2, reason="Need the receipt")
    assert ticket.status == Status.AWAITING_CUSTOMER and ticket.version == 3
    assert kinds(ticket) == [EventKind.STATUS_CHANGED, EventKind.STATUS_CHANGED]
    assert core_events(ticket).last().reason == "Need the receipt"


def test_closing_an_open_ticket_needs_a_reason(supervisor):
    # Closing by hand is a supervisor's decision (complaints.policy).
    ticket = make()
    with pytest.raises(ComplaintError):
        services.transition(ticket_id=ticket.pk, actor=supervisor, to=Status.CLOSED, version=1)
    ticket = services.transition(
        ticket_id=ticket.pk, actor=supervisor, to=Status.CLOSED, version=1, reason="spam"
    )
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None


def test_stale_version_is_refused_with_the_current_version(team, agent):
    ticket = make(team=team)
    services.acknowledge(ticket_id=ticket.pk, actor=agent, version=1)
    with pytest.raises(StaleVersion) as caught:
        services.transition(ticket_id=ticket.pk, actor=agent, to=Status.IN_PROGRESS, version=1)
    assert caught.value.detail["current_version"] == 2
    assert caught.value.http_status == 409
    ticket.refresh_from_db()
    assert ticket.status == Status.ACKNOWLEDGED and ticket.version == 2


def test_assign_within_and_across_teams(team, agent, supervisor):
    ticket = make(team=team)
    ticket = services.assign(ticket_id=ticket.pk, actor=agent, assignee=agent, version=1)
    assert ticket.assignee == agent and ticket.version == 2
    other_team = TeamFactory(slug="technical")
    engineer = AgentFactory(team=other_team)
    # Moving a ticket to another team's agent is a supervisor's decision (complaints.policy).
    ticket = services.assign(ticket_id=ticket.pk, actor=supervisor, assignee=engineer, version=2)
    ticket.refresh_from_db()
    assert ticket.assignee == engineer and ticket.team == other_team and ticket.version == 3
    assigned = list(ticket.events.filter(kind=EventKind.ASSIGNED).order_by("pk"))
    assert [(e.from_value, e.to_value) for e in assigned] == [
        ("", agent.username),
        (agent.username, engineer.username),
    ]
    ticket = services.assign(ticket_id=ticket.pk, actor=supervisor, assignee=None, version=3)
    assert ticket.assignee is None


def test_assign_refuses_inactive_and_teamless_users(team, agent):
    ticket = make(team=team)
    gone = AgentFactory(team=team, is_active=False)
    with pytest.raises(ComplaintError):
        services.assign(ticket_id=ticket.pk, actor=agent, assignee=gone, version=1)
    with pytest.raises(ComplaintError):
        services.assign(ticket_id=ticket.pk, actor=agent, assignee=AgentFactory(), version=1)
    with pytest.raises(IllegalTransition):
        services.assign(ticket_id=make(Status.CLOSED, team=team).pk, actor=agent, assignee=agent, version=1)
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.version == 1 and not core_events(ticket).exists()


def test_escalate_one_two_three_then_refused(agent):
    ticket = make()
    with pytest.raises(ComplaintError):
        services.escalate(ticket_id=ticket.pk, actor=agent, version=1, reason="  ")
    for level in (1, 2, 3):
        ticket = services.escalate(ticket_id=ticket.pk, actor=agent, version=level, reason="Angry customer")
        assert ticket.escalation_level == level and ticket.version == level + 1
    with pytest.raises(ComplaintError):
        services.escalate(ticket_id=ticket.pk, actor=agent, version=4, reason="Even angrier")
    events = list(ticket.events.order_by("pk"))
    assert [e.kind for e in events] == [EventKind.ESCALATED] * 3
    assert [(e.from_value, e.to_value) for e in events] == [("0", "1"), ("1", "2"), ("2", "3")]


def test_reroute_moves_team_and_clears_assignee(team, agent):
    ticket = make(team=team, assignee=agent)
    legal = TeamFactory(slug="legal")
    with pytest.raises(ComplaintError):
        services.reroute(ticket_id=ticket.pk, actor=agent, team=legal, version=1, reason="")
    with pytest.raises(ComplaintError):
        services.reroute(ticket_id=ticket.pk, actor=agent, team=team, version=1, reason="same")
    ticket = services.reroute(ticket_id=ticket.pk, actor=agent, team=legal, version=1, reason="Lawyer letter")
    assert ticket.team == legal and ticket.assignee is None and ticket.version == 2
    event = core_events(ticket).get()
    assert (event.kind, event.from_value, event.to_value) == (EventKind.REROUTED, team.slug, "legal")


def test_reroute_assigns_within_the_new_team_by_its_strategy(team, agent):
    ticket = make(team=team, assignee=agent)
    legal = TeamFactory(slug="legal", assignment_strategy=Team.AssignmentStrategy.LEAST_LOADED)
    busy, idle = AgentFactory(team=legal), AgentFactory(team=legal)
    make(team=legal, assignee=busy, status=Status.IN_PROGRESS)
    TeamMembership.objects.filter(user=idle).update(last_assigned_at=timezone.now())
    ticket = services.reroute(ticket_id=ticket.pk, actor=agent, team=legal, version=1, reason="Lawyer letter")
    assert ticket.team == legal and ticket.assignee == idle and ticket.version == 2
    rerouted, assigned = core_events(ticket).order_by("pk")
    assert rerouted.kind == EventKind.REROUTED
    assert (assigned.kind, assigned.to_value, assigned.detail["strategy"]) == (
        EventKind.ASSIGNED,
        idle.username,
        "least_loaded",
    )


def test_each_team_assigns_by_its_own_strategy(category):
    round_robin = category.default_team
    least = TeamFactory(slug="least", assignment_strategy=Team.AssignmentStrategy.LEAST_LOADED)
    first, second = AgentFactory(team=round_robin), AgentFactory(team=round_robin)
    busy, idle = AgentFactory(team=least), AgentFactory(team=least)
    for _ in range(2):
        make(team=least, assignee=busy, status=Status.IN_PROGRESS)
    TeamMembership.objects.filter(user=idle).update(last_assigned_at=timezone.now())
    assert [open_(category).assignee for _ in range(3)] == [first, second, first]
    moved = [
        services.reroute(
            ticket_id=make(team=round_robin).pk, actor=None, team=least, version=None, reason="x"
        )
        for _ in range(2)
    ]
    # Least loaded: idle has none open, then one; busy still has two.
    assert [t.assignee for t in moved] == [idle, idle]


def test_reclassify_records_only_real_changes(agent):
    ticket = make()
    new_category = CategoryFactory()
    same = services.reclassify(ticket_id=ticket.pk, actor=agent, version=1, priority=ticket.priority)
    assert same.version == 1 and not core_events(same).exists()
    ticket = services.reclassify(
        ticket_id=ticket.pk, actor=agent, version=1, category=new_category, priority=1, reason="Urgent"
    )
    assert ticket.category == new_category and ticket.priority == 1 and ticket.version == 2
    event = core_events(ticket).get()
    assert event.kind == EventKind.RECLASSIFIED
    assert event.detail["changes"]["priority"] == ["3", "1"]


# --- resolution and after ---------------------------------------------------------------


def test_resolve_validates_the_remedy(agent, cause):
    ticket = make(Status.IN_PROGRESS)
    for remedy, amount in ((Resolution.Remedy.REFUND, 0), (Resolution.Remedy.COMPENSATION, "")):
        with pytest.raises(ComplaintError):
            services.resolve(
                ticket_id=ticket.pk,
                actor=agent,
                version=1,
                root_cause=cause,
                steps_taken="x",
                remedy=remedy,
                amount=amount,
            )
    with pytest.raises(ComplaintError):
        services.resolve(
            ticket_id=ticket.pk, actor=agent, version=1, root_cause=cause, steps_taken="x", amount=-5
        )
    with pytest.raises(ComplaintError):
        services.resolve(ticket_id=ticket.pk, actor=agent, version=1, root_cause=cause, steps_taken=" ")
    assert not Resolution.objects.exists()
    resolution = services.resolve(
        ticket_id=ticket.pk,
        actor=agent,
        version=1,
        root_cause=cause,
        steps_taken="Refunded the order",
        remedy=Resolution.Remedy.REFUND,
        amount="88.50",
    )
    ticket.refresh_from_db()
    assert resolution.amount == Decimal("88.50") and resolution.resolved_by == agent
    assert ticket.status == Status.RESOLVED and ticket.resolved_at and ticket.version == 2
    event = core_events(ticket).get()
    assert event.kind == EventKind.RESOLVED and event.detail["amount"] == "88.50"


def resolved(agent, cause) -> Ticket:
    ticket = make(Status.IN_PROGRESS)
    services.resolve(ticket_id=ticket.pk, actor=agent, version=1, root_cause=cause, steps_taken="Fixed")
    ticket.refresh_from_db()
    return ticket


def test_confirm_resolution_closes(agent, cause):
    ticket = resolved(agent, cause)
    ticket = services.confirm_resolution(ticket_id=ticket.pk)
    assert ticket.status == Status.CLOSED and ticket.closed_at and ticket.version == 3
    assert ticket.resolutions.get().customer_response == Resolution.CustomerResponse.CONFIRMED
    assert kinds(ticket) == [EventKind.RESOLVED, EventKind.CONFIRMED]
    with pytest.raises(IllegalTransition):
        services.confirm_resolution(ticket_id=ticket.pk)


def test_dispute_reopens_with_the_customers_message(agent, cause):
    ticket = resolved(agent, cause)
    with pytest.raises(ComplaintError):
        services.dispute(ticket_id=ticket.pk, reason=" ")
    ticket = services.dispute(ticket_id=ticket.pk, reason="The refund never arrived")
    assert ticket.status == Status.IN_PROGRESS and ticket.version == 3
    resolution = ticket.resolutions.get()
    assert resolution.customer_response == Resolution.CustomerResponse.DISPUTED
    message = ticket.messages.get()
    assert message.kind == Message.Kind.CUSTOMER and message.body == "The refund never arrived"
    assert kinds(ticket) == [EventKind.RESOLVED, EventKind.DISPUTED, EventKind.REOPENED]


def test_reopen(agent, cause):
    with pytest.raises(IllegalTransition):
        services.reopen(ticket_id=make(Status.IN_PROGRESS).pk, actor=agent, version=1, reason="x")
    ticket = make(Status.CLOSED, closed_at=timezone.now())
    with pytest.raises(ComplaintError):
        services.reopen(ticket_id=ticket.pk, actor=agent, version=1, reason="")
    ticket = services.reopen(ticket_id=ticket.pk, actor=agent, version=1, reason="Customer called back")
    assert ticket.status == Status.IN_PROGRESS and ticket.closed_at is None and ticket.version == 2
    assert kinds(ticket) == [EventKind.REOPENED]


def test_merge_closes_the_duplicate_and_feeds_the_target(team, agent):
    # The same customer's two tickets (different customers: tests/security/test_merge_customers.py).
    source = make(subject="Dup", description="Same parcel", team=team)
    target = make(Status.IN_PROGRESS, team=team, customer=source.customer)
    with pytest.raises(ComplaintError):
        services.merge(source_id=source.pk, target_id=source.pk, actor=agent)
    result = services.merge(source_id=source.pk, target_id=target.pk, actor=agent, reason="Same parcel")
    source.refresh_from_db()
    assert result == target
    assert source.status == Status.CLOSED and source.duplicate_of == target and source.version == 2
    target.refresh_from_db()
    assert target.version == 2
    body = target.messages.get().body
    assert source.reference in body and "Same parcel" in body
    assert kinds(source) == [EventKind.STATUS_CHANGED, EventKind.MERGED]
    assert kinds(target) == [EventKind.MERGE_RECEIVED]
    # The duplicate can be neither merged again nor reopened, and nothing merges into it.
    with pytest.raises(IllegalTransition):
        services.merge(source_id=source.pk, target_id=target.pk, actor=agent)
    with pytest.raises(IllegalTransition):
        services.merge(
            source_id=make(team=team, customer=source.customer).pk, target_id=source.pk, actor=agent
        )
    with pytest.raises(IllegalTransition):
        services.reopen(ticket_id=source.pk, actor=agent, version=2, reason="oops")


def test_close_stale_resolved_closes_only_old_undisputed_resolutions(agent, cause, settings):
    days = settings.COMPLAINTS["AUTO_CLOSE_RESOLVED_AFTER_DAYS"]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        old = resolved(agent, cause)
        disputed = resolved(agent, cause)
        services.dispute(ticket_id=disputed.pk, reason="Not fixed")
    with time_machine.travel(start + timedelta(days=days - 1), tick=False):
        recent = resolved(agent, cause)
        assert services.close_stale_resolved() == 0
    with time_machine.travel(start + timedelta(days=days, minutes=1), tick=False):
        assert services.close_stale_resolved() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    disputed.refresh_from_db()
    assert old.status == Status.CLOSED and old.version == 3
    assert kinds(old) == [EventKind.RESOLVED, EventKind.AUTO_CLOSED]
    assert recent.status == Status.RESOLVED and disputed.status == Status.IN_PROGRESS


# --- the rest of the public surface ------------------------------------------------------


def test_request_reroute_only_records_the_wish(team, agent):
    ticket = make(team=team, assignee=agent)
    with pytest.raises(ComplaintError):
        services.request_reroute(ticket_id=ticket.pk, reason="<script></script>")
    ticket = services.request_reroute(ticket_id=ticket.pk, reason="请转给技术部")
    ticket.refresh_from_db()
    assert ticket.team == team and ticket.assignee == agent and ticket.version == 2
    event = core_events(ticket).get()
    assert (event.kind, event.from_value, event.reason) == (
        EventKind.REROUTE_REQUESTED,
        team.slug,
        "请转给技术部",
    )
    assert event.is_public
    with pytest.raises(IllegalTransition):
        services.request_reroute(ticket_id=make(Status.CLOSED).pk, reason="too late")


def test_sla_bookkeeping_keeps_the_agents_version(team):
    ticket = make(team=team)
    due = timezone.now() + timedelta(hours=4)
    services.update_sla_summary(ticket_id=ticket.pk, state=Ticket.SlaState.AT_RISK, due_at=due)
    ticket.refresh_from_db()
    assert ticket.sla_state == Ticket.SlaState.AT_RISK and ticket.sla_due_at == due
    assert ticket.version == 1 and not ticket.events.exists()
    event = services.record_sla_alert(
        ticket_id=ticket.pk, kind=EventKind.SLA_BREACHED, target="first_response", due_at=due
    )
    assert event.kind == EventKind.SLA_BREACHED and event.to_value == "first_response"
    with pytest.raises(ValueError):
        services.record_sla_alert(ticket_id=ticket.pk, kind=EventKind.OPENED, target="x", due_at=due)


def test_sla_alerts_recorded_in_a_batch_read_like_single_ones_and_are_announced(team):
    from complaints.events import ticket_event

    first, second = make(team=team), make(team=team)
    due = timezone.now() + timedelta(hours=4)
    single = services.record_sla_alert(
        ticket_id=first.pk, kind=EventKind.SLA_WARNING, target="resolution", due_at=due, threshold=50
    )
    heard: list[tuple[int, str]] = []

    def receiver(sender, ticket, event, **kwargs) -> None:
        heard.append((ticket.pk, event.kind))

    ticket_event.connect(receiver, dispatch_uid="test-sla-alerts-receiver")
    try:
        events = services.record_sla_alerts(
            alerts=[
                {
                    "ticket_id": second.pk,
                    "kind": EventKind.SLA_WARNING,
                    "target": "resolution",
                    "due_at": due,
                    "threshold": 50,
                },
                {
                    "ticket_id": first.pk,
                    "kind": EventKind.SLA_BREACHED,
                    "target": "first_response",
                    "due_at": due,
                    "reason": "late",
                    "threshold": 100,
                },
            ]
        )
    finally:
        ticket_event.disconnect(dispatch_uid="test-sla-alerts-receiver")
    assert heard == [(second.pk, EventKind.SLA_WARNING), (first.pk, EventKind.SLA_BREACHED)]
    assert [(e.ticket_id, e.kind, e.to_value, e.reason) for e in events] == [
        (second.pk, EventKind.SLA_WARNING, "resolution", ""),
        (first.pk, EventKind.SLA_BREACHED, "first_response", "late"),
    ]
    stored = TicketEvent.objects.get(pk=events[0].pk)
    assert (stored.actor, stored.from_value, stored.detail) == (None, "", single.detail)
    assert Ticket.objects.get(pk=first.pk).version == 1  # bookkeeping: an agent's open form stays valid
    with pytest.raises(ValueError):
        services.record_sla_alerts(
            alerts=[{"ticket_id": first.pk, "kind": EventKind.OPENED, "target": "x", "due_at": due}]
        )
    assert services.record_sla_alerts(alerts=[]) == []


def test_events_name_the_actor_are_announced_and_staff_mail_waits_for_commit(
    team, agent, django_capture_on_commit_callbacks
):
    from complaints.events import ticket_event

    heard: list[tuple[int, str]] = []

    def receiver(sender, ticket, event, **kwargs) -> None:
        heard.append((ticket.pk, event.kind))

    ticket_event.connect(receiver, dispatch_uid="test-services-receiver")
    try:
        ticket = make(team=team)
        with django_capture_on_commit_callbacks() as callbacks:
            services.escalate(ticket_id=ticket.pk, actor=agent, version=1, reason="VIP")
        assert len(callbacks) == 1  # the staff notification, queued only once the change is committed
        with django_capture_on_commit_callbacks() as callbacks:
            services.acknowledge(ticket_id=ticket.pk, actor=agent, version=2)
        assert callbacks == []  # acknowledging tells no staff member
    finally:
        ticket_event.disconnect(dispatch_uid="test-services-receiver")
    assert heard == [(ticket.pk, EventKind.ESCALATED), (ticket.pk, EventKind.ACKNOWLEDGED)]
    assert set(ticket.events.values_list("actor", flat=True)) == {agent.pk}


def test_least_loaded_also_skips_away_agents(team, category):
    team.assignment_strategy = Team.AssignmentStrategy.LEAST_LOADED
    team.save(update_fields=["assignment_strategy"])
    away, present = AgentFactory(team=team), AgentFactory(team=team)
    TeamMembership.objects.filter(user=away).update(is_away=True)
    make(team=team, assignee=present, status=Status.IN_PROGRESS)
    assert open_(category).assignee == present


# --- escalations in bulk (the SLA sweep's) -----------------------------------------------------

EVENT_FIELDS = ("ticket_id", "actor_id", "kind", "from_value", "to_value", "reason", "detail")


def event_rows(ticket: Ticket) -> list[tuple]:
    return list(core_events(ticket).order_by("pk").values_list(*EVENT_FIELDS))


def test_escalations_in_bulk_write_what_escalate_writes_and_stop_at_the_top(
    team, monkeypatch, django_capture_on_commit_callbacks
):
    from complaints import tasks
    from complaints.events import ticket_event

    one_by_one, bulk = make(team=team), make(team=team)
    for _ in range(2):
        services.escalate(ticket_id=one_by_one.pk, actor=None, version=None, reason="SLA breached")
    top, closed = make(team=team, escalation_level=3), make(Status.CLOSED, team=team)
    heard: list[tuple[int, str]] = []

    def receiver(sender, ticket, event, **kwargs) -> None:
        heard.append((ticket.pk, event.kind))

    queued: list[list[int]] = []
    monkeypatch.setattr(tasks.notify_staff, "delay", lambda event_ids: queued.append(event_ids))
    ticket_event.connect(receiver, dispatch_uid="test-escalate-for-sla-receiver")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            events = services.escalate_for_sla(
                escalations=[
                    (bulk.pk, "SLA breached"),
                    (top.pk, "x"),
                    (closed.pk, "x"),
                    (bulk.pk, "SLA breached"),
                ]
            )
    finally:
        ticket_event.disconnect(dispatch_uid="test-escalate-for-sla-receiver")
    # Two steps, the same rows as two escalate calls (but the ticket), each announced, mailed in one task.
    expected = [(bulk.pk, *row[1:]) for row in event_rows(one_by_one)]
    assert event_rows(bulk) == expected and len(expected) == 2
    assert heard == [(bulk.pk, EventKind.ESCALATED)] * 2
    assert queued == [[event.pk for event in events]]
    bulk.refresh_from_db()
    one_by_one.refresh_from_db()
    assert (
        (bulk.escalation_level, bulk.version) == (one_by_one.escalation_level, one_by_one.version) == (2, 3)
    )
    assert bulk.updated_at > one_by_one.updated_at
    # Already at the top, or closed: left alone, no event.
    assert [
        (t.escalation_level, t.version)
        for t in Ticket.objects.filter(pk__in=[top.pk, closed.pk]).order_by("pk")
    ] == [(3, 1), (0, 1)]
    assert not core_events(top).exists() and not core_events(closed).exists()
    # Capped: a third and fourth step stop at level 3.
    services.escalate_for_sla(escalations=[(bulk.pk, "Still late")] * 2)
    assert Ticket.objects.get(pk=bulk.pk).escalation_level == 3
    assert list(core_events(bulk).order_by("pk").values_list("to_value", flat=True)) == ["1", "2", "3"]
    with pytest.raises(ComplaintError):
        services.escalate_for_sla(escalations=[(bulk.pk, "  ")])
    assert services.escalate_for_sla(escalations=[]) == []


def test_escalations_in_bulk_cost_the_same_queries_for_one_ticket_or_many(team, django_assert_num_queries):
    few, many = [make(team=team)], [make(team=team) for _ in range(5)]
    # Savepoint, lock, one UPDATE, the events' insert, release.
    with django_assert_num_queries(5):
        services.escalate_for_sla(escalations=[(t.pk, "late") for t in few])
    with django_assert_num_queries(5):
        services.escalate_for_sla(escalations=[(t.pk, "late") for t in many])
    # Tickets raised by different numbers of steps: one UPDATE per number of steps.
    with django_assert_num_queries(6):
        services.escalate_for_sla(escalations=[(t.pk, "late") for t in many] + [(many[0].pk, "later")])
    assert sorted(
        Ticket.objects.filter(pk__in=[t.pk for t in many]).values_list("escalation_level", flat=True)
    ) == [2, 2, 2, 2, 3]


def test_staff_mails_queued_as_a_list_go_out_once_each_and_a_failure_retries_only_the_rest(team, monkeypatch):
    from complaints import notifications, tasks

    lead = AgentFactory(team=team, team__role="lead", email="lead@staff.example.com")
    tickets = [make(team=team) for _ in range(3)]
    events = services.escalate_for_sla(escalations=[(t.pk, "SLA breached") for t in tickets])
    from django.core import mail

    mail.outbox.clear()
    assert tasks.notify_staff([e.pk for e in events]) == 3
    assert [m.to for m in mail.outbox] == [[lead.email]] * 3
    assert tasks.notify_staff(events[0].pk) == 1  # a single id, as messages queued before carry

    real = notifications.notify_staff_of_event
    retried: list[list[int]] = []

    def flaky(*, event_id: int) -> int:
        if event_id == events[1].pk:
            raise OSError("SMTP down")
        return real(event_id=event_id)

    class Retry(Exception):
        pass

    def retry(*, args, **kwargs):
        retried.append(args[0])
        return Retry()

    monkeypatch.setattr(notifications, "notify_staff_of_event", flaky)
    monkeypatch.setattr(tasks.notify_staff, "retry", retry)
    mail.outbox.clear()
    with pytest.raises(Retry):
        tasks.notify_staff([e.pk for e in events])
    assert len(mail.outbox) == 1  # the first went out; the retry carries the failed one and the rest
    assert retried == [[events[1].pk, events[2].pk]]
