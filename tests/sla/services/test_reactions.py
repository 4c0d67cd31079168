"""sla.services.reactions: clocks moved by the real complaint services: open, reply, await the customer, resolve, reopen."""

from datetime import UTC, datetime

import time_machine

from complaints import services
from complaints.events import PUBLIC_EVENT_KINDS, EventKind
from complaints.models import Message, Ticket, TicketEvent
from complaints.timeline import event_reason
from sla.models import BusinessCalendar, SlaClock, SlaOutcome, SlaPolicy, SlaTarget
from tests.factories import CategoryFactory

from ..conftest import fresh, sh
from .conftest import State, clock


def test_a_complaint_through_its_whole_life(open_ticket, agent, root_cause):
    with time_machine.travel(sh(2026, 3, 2, 10), tick=False):  # Monday
        ticket = open_ticket()
        assert clock(ticket, SlaTarget.FIRST_RESPONSE).due_at == sh(2026, 3, 3, 10)  # 24 h around the clock
        assert clock(ticket, SlaTarget.RESOLUTION).due_at == sh(2026, 3, 5, 10)  # 3 working days
        ticket = fresh(ticket)
        assert (ticket.sla_state, ticket.sla_due_at) == (State.ON_TRACK, sh(2026, 3, 3, 10))

    with time_machine.travel(sh(2026, 3, 2, 11), tick=False):
        services.acknowledge(ticket_id=ticket.pk, actor=agent, version=None)
        first = clock(ticket, SlaTarget.FIRST_RESPONSE)
        assert (first.outcome, first.stopped_at) == (SlaOutcome.MET, sh(2026, 3, 2, 11))
        assert fresh(ticket).sla_due_at == sh(2026, 3, 5, 10)

    with time_machine.travel(sh(2026, 3, 2, 14), tick=False):
        services.transition(ticket_id=ticket.pk, actor=agent, to="in_progress", version=None)
        services.await_customer(ticket_id=ticket.pk, actor=agent, version=None)
        assert clock(ticket, SlaTarget.RESOLUTION).paused_at == sh(2026, 3, 2, 14)
        assert (fresh(ticket).sla_state, fresh(ticket).sla_due_at) == (State.PAUSED, None)

    with time_machine.travel(sh(2026, 3, 3, 14), tick=False):
        # Paused Mon 14:00 → Tue 14:00: 4 h + 3 h + 30 min of business time, added to the due time.
        services.add_message(ticket_id=ticket.pk, actor=None, kind=Message.Kind.CUSTOMER, body="Still down.")
        resolution = clock(ticket, SlaTarget.RESOLUTION)
        assert resolution.paused_at is None
        assert resolution.paused_seconds == 7.5 * 3600
        assert resolution.due_at == sh(2026, 3, 6, 10)
        assert fresh(ticket).status == "in_progress"
        assert (fresh(ticket).sla_state, fresh(ticket).sla_due_at) == (State.ON_TRACK, sh(2026, 3, 6, 10))

    with time_machine.travel(sh(2026, 3, 4, 16), tick=False):
        services.resolve(
            ticket_id=ticket.pk, actor=agent, version=None, root_cause=root_cause, steps_taken="Fixed."
        )
        resolution = clock(ticket, SlaTarget.RESOLUTION)
        assert resolution.outcome == SlaOutcome.MET
        # Mon 10–18 (6.5 h) + Tue (7.5 h) + Wed 9–16 (5.5 h), less 7.5 h paused = 12 h.
        assert resolution.elapsed_seconds == 12 * 3600
        assert fresh(ticket).sla_state == State.MET

    with time_machine.travel(sh(2026, 3, 5, 10), tick=False):
        services.reopen(ticket_id=ticket.pk, actor=agent, version=None, reason="Down again.")
        second = clock(ticket, SlaTarget.RESOLUTION)
        assert (second.cycle, second.started_at, second.due_at) == (
            2,
            sh(2026, 3, 5, 10),
            sh(2026, 3, 10, 10),
        )
        assert (fresh(ticket).sla_state, fresh(ticket).sla_due_at) == (State.ON_TRACK, sh(2026, 3, 10, 10))


def test_an_inquiry_first_response_stops_only_at_the_first_public_reply(open_ticket, agent):
    with time_machine.travel(sh(2026, 3, 2, 10), tick=False):
        ticket = open_ticket(kind=Ticket.Kind.INQUIRY)
        assert clock(ticket, SlaTarget.FIRST_RESPONSE).due_at == sh(2026, 3, 2, 10, 30)
        services.add_message(ticket_id=ticket.pk, actor=agent, kind=Message.Kind.NOTE, body="Checking.")
        assert clock(ticket, SlaTarget.FIRST_RESPONSE).is_running
    with time_machine.travel(sh(2026, 3, 2, 10, 40), tick=False):
        services.add_message(
            ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body="Try restarting."
        )
        first = clock(ticket, SlaTarget.FIRST_RESPONSE)
        assert first.outcome == SlaOutcome.MISSED  # 40 minutes for a 30-minute promise
        assert fresh(ticket).first_response_at == first.stopped_at


def test_next_response_clock_runs_from_each_unanswered_customer_message(open_ticket, agent):
    SlaPolicy.objects.filter(match_kind="inquiry", match_complexity="simple").update(next_response_minutes=20)
    with time_machine.travel(sh(2026, 3, 2, 10), tick=False):
        ticket = open_ticket(kind=Ticket.Kind.INQUIRY)
        services.add_message(ticket_id=ticket.pk, actor=None, kind=Message.Kind.CUSTOMER, body="Hello?")
        assert clock(ticket, SlaTarget.NEXT_RESPONSE) is None  # the first response is still owed
        services.add_message(ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body="Hi.")
    with time_machine.travel(sh(2026, 3, 2, 10, 5), tick=False):
        services.add_message(ticket_id=ticket.pk, actor=None, kind=Message.Kind.CUSTOMER, body="It fails.")
    with time_machine.travel(sh(2026, 3, 2, 10, 8), tick=False):
        services.add_message(ticket_id=ticket.pk, actor=None, kind=Message.Kind.CUSTOMER, body="Still.")
        nxt = clock(ticket, SlaTarget.NEXT_RESPONSE)
        assert (nxt.cycle, nxt.started_at, nxt.due_at) == (1, sh(2026, 3, 2, 10, 5), sh(2026, 3, 2, 10, 25))
    with time_machine.travel(sh(2026, 3, 2, 10, 15), tick=False):
        services.add_message(ticket_id=ticket.pk, actor=agent, kind=Message.Kind.REPLY, body="Fixed.")
        assert clock(ticket, SlaTarget.NEXT_RESPONSE).outcome == SlaOutcome.MET


def test_closing_an_unresolved_ticket_cancels_its_clocks(open_ticket, supervisor):
    ticket = open_ticket()
    # Closing by hand is a supervisor's decision (complaints.policy).
    services.transition(ticket_id=ticket.pk, actor=supervisor, to="closed", version=None, reason="Spam.")
    assert set(SlaClock.objects.filter(ticket=ticket).values_list("outcome", flat=True)) == {
        SlaOutcome.CANCELLED
    }
    assert fresh(ticket).sla_state == State.NONE


def test_a_suggestion_has_no_policy_and_no_clocks(open_ticket):
    ticket = open_ticket(kind=Ticket.Kind.SUGGESTION)
    assert not SlaClock.objects.filter(ticket=ticket).exists()
    assert fresh(ticket).sla_state == State.NONE


def test_reclassifying_re_applies_the_policy_keeping_the_start(open_ticket, agent):
    with time_machine.travel(sh(2026, 3, 2, 10), tick=False):
        ticket = open_ticket(kind=Ticket.Kind.INQUIRY, complexity=Ticket.Complexity.SIMPLE)
    with time_machine.travel(sh(2026, 3, 2, 10, 10), tick=False):
        services.reclassify(
            ticket_id=ticket.pk, actor=agent, version=None, complexity=Ticket.Complexity.COMPLEX
        )
        first = clock(ticket, SlaTarget.FIRST_RESPONSE)
        assert (first.started_at, first.due_at, first.target_minutes) == (
            sh(2026, 3, 2, 10),
            sh(2026, 3, 2, 12),
            120,
        )
        assert clock(ticket, SlaTarget.RESOLUTION).due_at == sh(2026, 3, 3, 10)
        assert fresh(ticket).sla_due_at == sh(2026, 3, 2, 12)
    with time_machine.travel(sh(2026, 3, 2, 10, 20), tick=False):
        services.reclassify(ticket_id=ticket.pk, actor=agent, version=None, kind=Ticket.Kind.SUGGESTION)
        assert not SlaClock.objects.filter(ticket=ticket, outcome=SlaOutcome.RUNNING).exists()
        assert fresh(ticket).sla_state == State.NONE


def test_reopening_can_keep_only_what_was_left(open_ticket, agent, root_cause):
    SlaPolicy.objects.filter(match_kind="complaint").update(restart_resolution_on_reopen=False)
    with time_machine.travel(sh(2026, 3, 2, 10), tick=False):
        ticket = open_ticket()
    with time_machine.travel(sh(2026, 3, 3, 10), tick=False):  # one working day used, two left
        services.resolve(
            ticket_id=ticket.pk, actor=agent, version=None, root_cause=root_cause, steps_taken="Done."
        )
    with time_machine.travel(sh(2026, 3, 9, 9), tick=False):
        services.reopen(ticket_id=ticket.pk, actor=agent, version=None, reason="Not done.")
        second = clock(ticket, SlaTarget.RESOLUTION)
        assert second.target_minutes == 2 * 450
        assert second.due_at == sh(2026, 3, 10, 18)


def test_reclassifying_puts_old_and_new_due_on_the_timeline(open_ticket, agent, category):
    around_the_clock = BusinessCalendar.objects.create(
        slug="retarget-24x7", name="24x7", always_open=True, holiday_country=""
    )
    SlaPolicy.objects.create(
        name="Urgent complaints",
        match_kind=Ticket.Kind.COMPLAINT,
        match_priority=Ticket.Priority.P1,
        calendar=around_the_clock,
        first_response_minutes=60,
        resolution_minutes=240,
    )
    outage = CategoryFactory(slug="outage", default_team=category.default_team)
    SlaPolicy.objects.create(
        name="Urgent outages",
        match_kind=Ticket.Kind.COMPLAINT,
        match_priority=Ticket.Priority.P1,
        match_category=outage,
        calendar=around_the_clock,
        first_response_minutes=30,
        resolution_minutes=120,
    )
    with time_machine.travel(sh(2026, 3, 2, 10), tick=False):
        ticket = open_ticket()  # the default complaint policy: acknowledge in 24 h, resolve in 3 working days
    first_before = clock(ticket, SlaTarget.FIRST_RESPONSE).due_at
    resolution_before = clock(ticket, SlaTarget.RESOLUTION).due_at

    def retargeted() -> list[TicketEvent]:
        return list(TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA_RETARGETED).order_by("pk"))

    def dues(event: TicketEvent) -> dict[str, tuple[datetime, datetime]]:
        return {
            target: (datetime.fromisoformat(due["old"]), datetime.fromisoformat(due["new"]))
            for target, due in event.detail["due"].items()
        }

    with time_machine.travel(sh(2026, 3, 2, 10, 10), tick=False):
        services.reclassify(ticket_id=ticket.pk, actor=agent, version=None, priority=Ticket.Priority.P1)
    [by_priority] = retargeted()
    assert dues(by_priority) == {
        SlaTarget.FIRST_RESPONSE: (first_before, sh(2026, 3, 2, 11)),
        SlaTarget.RESOLUTION: (resolution_before, sh(2026, 3, 2, 14)),
    }
    assert by_priority.detail["changes"][SlaTarget.RESOLUTION][1] == "2026-03-02 14:00"  # shown in local time
    assert "Urgent complaints" in event_reason(by_priority)  # the policy now in force
    assert by_priority.actor is None and by_priority.kind not in PUBLIC_EVENT_KINDS

    with time_machine.travel(sh(2026, 3, 2, 10, 20), tick=False):
        services.reclassify(ticket_id=ticket.pk, actor=agent, version=None, category=outage)
    assert dues(retargeted()[-1]) == {
        SlaTarget.FIRST_RESPONSE: (sh(2026, 3, 2, 11), sh(2026, 3, 2, 10, 30)),
        SlaTarget.RESOLUTION: (sh(2026, 3, 2, 14), sh(2026, 3, 2, 12)),
    }
    assert retargeted()[-1].detail["changes"] == {
        SlaTarget.FIRST_RESPONSE: ["2026-03-02 11:00", "2026-03-02 10:30"],
        SlaTarget.RESOLUTION: ["2026-03-02 14:00", "2026-03-02 12:00"],
    }

    # A change no policy looks at moves no due time and adds nothing to the timeline.
    with time_machine.travel(sh(2026, 3, 2, 10, 30), tick=False):
        services.reclassify(
            ticket_id=ticket.pk, actor=agent, version=None, complexity=Ticket.Complexity.COMPLEX
        )
    assert len(retargeted()) == 2

    # A kind no policy covers: both targets no longer apply.
    with time_machine.travel(sh(2026, 3, 2, 10, 40), tick=False):
        services.reclassify(ticket_id=ticket.pk, actor=agent, version=None, kind=Ticket.Kind.SUGGESTION)
    [*_, dropped] = retargeted()
    assert dropped.detail["due"] == {
        SlaTarget.FIRST_RESPONSE: {"old": sh(2026, 3, 2, 10, 30).astimezone(UTC).isoformat(), "new": None},
        SlaTarget.RESOLUTION: {"old": sh(2026, 3, 2, 12).astimezone(UTC).isoformat(), "new": None},
    }
    assert dropped.detail["changes"][SlaTarget.RESOLUTION] == ["2026-03-02 12:00", "—"]
