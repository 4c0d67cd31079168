"""Registering forwarded cases, their report-back, the close guard and the deadline alerts."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection

from complaints import services as complaint_services
from complaints.errors import ComplaintError, IllegalTransition
from complaints.models import Message, Ticket
from complaints.states import Status
from external_cases import services
from external_cases.models import EscalationRisk, ExternalCase, ReportBack
from tests.factories import RootCauseFactory

from .conftest import ODR_VALUES, sh

pytestmark = pytest.mark.django_db


def _register(ticket, odr, actor=None, number="ODR-2026-0001", received=None):
    return services.register_case(
        ticket_id=ticket.pk,
        actor=actor,
        source=odr,
        number=number,
        received_at=received or sh(2026, 9, 25, 10, 0),
    )


def test_a_registered_case_gets_the_sources_deadline_team_and_priority(
    open_ticket, odr, escalation_agent, boss
):
    ticket = open_ticket()
    case = _register(ticket, odr, actor=boss)
    ticket.refresh_from_db()
    assert case.due_at == sh(2026, 10, 15, 18, 0)
    assert ticket.team == odr.team
    assert ticket.assignee == escalation_agent
    assert ticket.priority == odr.priority
    assert EscalationRisk.objects.get(ticket=ticket).reasons == [EscalationRisk.Reason.EXTERNAL_CASE]
    note = ticket.messages.filter(kind=Message.Kind.NOTE).latest("pk")
    assert "ODR-2026-0001" in note.body


def test_the_same_number_from_the_same_source_is_refused_naming_the_ticket_that_holds_it(
    open_ticket, odr, heimao, boss
):
    first, second = open_ticket(), open_ticket(email="li@example.com", subject="另一件事")
    _register(first, odr, actor=boss)
    with pytest.raises(services.DuplicateCase) as refused:
        _register(second, odr, actor=boss)
    assert first.reference in refused.value.message
    assert refused.value.detail == {"ticket": first.reference}
    assert refused.value.http_status == 409
    # Numbers are unique per source only.
    assert _register(second, heimao, actor=boss).source == heimao


def test_a_case_on_a_finished_ticket_reopens_it(open_ticket, odr, boss):
    ticket = open_ticket()
    complaint_services.resolve(
        ticket_id=ticket.pk, actor=None, version=None, root_cause=RootCauseFactory(), steps_taken="Refunded."
    )
    _register(ticket, odr, actor=boss)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_a_report_back_missing_a_required_field_is_refused_naming_it(open_ticket, odr, boss):
    case = _register(open_ticket(), odr, actor=boss)
    values = {**ODR_VALUES, "process": "  "}
    with pytest.raises(services.MissingReportField) as refused:
        services.record_report_back(
            case_id=case.pk, actor=boss, values=values, outcome=ReportBack.Outcome.SETTLED
        )
    assert refused.value.detail == {"field": "process"}
    assert "Negotiation process" in refused.value.message
    case.refresh_from_db()
    assert case.state == ExternalCase.State.OPEN


def test_a_choice_outside_the_sources_choices_is_refused(open_ticket, odr, boss):
    case = _register(open_ticket(), odr, actor=boss)
    with pytest.raises(services.MissingReportField) as refused:
        services.record_report_back(
            case_id=case.pk, actor=boss, values={**ODR_VALUES, "method": "carrier pigeon"}, outcome="settled"
        )
    assert refused.value.detail == {"field": "method"}


def test_the_report_back_is_kept_in_the_sources_fields_with_who_and_when(open_ticket, odr, boss):
    case = _register(open_ticket(), odr, actor=boss)
    with time_machine.travel(sh(2026, 10, 9, 11, 0), tick=False):
        report = services.record_report_back(
            case_id=case.pk, actor=boss, values=ODR_VALUES, outcome="settled"
        )
    case.refresh_from_db()
    assert case.state == ExternalCase.State.REPORTED
    assert case.reported_at == sh(2026, 10, 9, 11, 0)
    assert list(report.values) == ["handled_at", "process", "method", "result"]
    assert report.recorded_by == boss
    with pytest.raises(services.CaseClosed):
        services.record_report_back(case_id=case.pk, actor=boss, values=ODR_VALUES, outcome="settled")


def test_an_agent_who_cannot_see_the_ticket_cannot_register_or_report(
    open_ticket, odr, boss, escalation_team
):
    from tests.factories import AgentFactory

    outsider = AgentFactory(team=None)
    ticket = open_ticket()
    with pytest.raises(ComplaintError):
        _register(ticket, odr, actor=outsider)
    assert not ExternalCase.objects.exists()


def test_the_ticket_cannot_be_closed_before_the_report_back(open_ticket, odr, boss):
    ticket = open_ticket()
    case = _register(ticket, odr, actor=boss)
    with pytest.raises(IllegalTransition) as refused:
        complaint_services.transition(
            ticket_id=ticket.pk, actor=boss, to=Status.CLOSED, version=None, reason="done"
        )
    assert "ODR-2026-0001" in refused.value.message
    assert refused.value.http_status == 409
    assert Ticket.objects.get(pk=ticket.pk).status != Status.CLOSED
    services.record_report_back(case_id=case.pk, actor=boss, values=ODR_VALUES, outcome="settled")
    complaint_services.transition(
        ticket_id=ticket.pk, actor=boss, to=Status.CLOSED, version=None, reason="done"
    )
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


def test_auto_close_leaves_a_resolved_ticket_with_an_open_case_and_closes_it_after_the_report_back(
    open_ticket, odr, boss, settings
):
    held, free = open_ticket(), open_ticket(email="wang@example.com", subject="别的")
    case = _register(held, odr, actor=boss)
    for ticket in (held, free):
        complaint_services.resolve(
            ticket_id=ticket.pk, actor=None, version=None, root_cause=RootCauseFactory(), steps_taken="Fixed."
        )
    later = Ticket.objects.get(pk=held.pk).resolved_at + timedelta(days=30)
    assert complaint_services.close_stale_resolved(now=later) == 1
    assert Ticket.objects.get(pk=held.pk).status == Status.RESOLVED
    assert Ticket.objects.get(pk=free.pk).status == Status.CLOSED
    services.record_report_back(case_id=case.pk, actor=boss, values=ODR_VALUES, outcome="settled")
    assert complaint_services.close_stale_resolved(now=later) == 1
    assert Ticket.objects.get(pk=held.pk).status == Status.CLOSED


def test_more_than_a_batch_of_held_tickets_does_not_starve_the_closable_ones_behind_them(
    open_ticket, odr, boss
):
    batch = 3
    held = [open_ticket(email=f"held{n}@example.com", subject=f"held {n}") for n in range(batch + 2)]
    free = [open_ticket(email=f"free{n}@example.com", subject=f"free {n}") for n in range(2)]
    for n, ticket in enumerate(held):
        _register(ticket, odr, actor=boss, number=f"ODR-HELD-{n}")
    for ticket in [*held, *free]:
        complaint_services.resolve(
            ticket_id=ticket.pk, actor=None, version=None, root_cause=RootCauseFactory(), steps_taken="Fixed."
        )
    # The held tickets come first in the sweep's order (lower keys) and outnumber its batch.
    assert max(t.pk for t in held) < min(t.pk for t in free)
    later = Ticket.objects.get(pk=free[-1].pk).resolved_at + timedelta(days=30)
    assert complaint_services.close_stale_resolved(now=later, batch_size=batch) == 2
    statuses = dict(Ticket.objects.filter(pk__in=[t.pk for t in held + free]).values_list("pk", "status"))
    assert [statuses[t.pk] for t in free] == [Status.CLOSED, Status.CLOSED]
    assert {statuses[t.pk] for t in held} == {Status.RESOLVED}


def test_warnings_and_the_missed_deadline_fire_once_each(
    open_ticket, heimao, boss, django_capture_on_commit_callbacks
):
    received = sh(2026, 9, 30, 20, 0)  # 黑猫投诉: due 2 October 20:00; warnings at 50 % and 80 %
    case = _register(open_ticket(), heimao, actor=boss, number="HM-1", received=received)
    assert case.next_alert_at == sh(2026, 10, 1, 20, 0)
    assert services.fire_due_alerts(now=sh(2026, 10, 1, 19, 59)) == []
    assert [a.percent for a in services.fire_due_alerts(now=sh(2026, 10, 1, 20, 0))] == [50]
    assert services.fire_due_alerts(now=sh(2026, 10, 1, 21, 0)) == []
    # Past both the 80 % mark and the deadline at once (the sweep was down): the breach, once.
    assert [a.percent for a in services.fire_due_alerts(now=sh(2026, 10, 3, 9, 0))] == [100]
    assert services.fire_due_alerts(now=sh(2026, 10, 3, 9, 5)) == []
    case.refresh_from_db()
    assert case.breached_at == sh(2026, 10, 3, 9, 0)
    assert case.warned_percent == 50
    assert case.clock_state == Ticket.SlaState.BREACHED


def test_a_reported_case_fires_nothing(open_ticket, heimao, boss):
    case = _register(open_ticket(), heimao, actor=boss, number="HM-2", received=sh(2026, 9, 30, 20, 0))
    services.record_report_back(case_id=case.pk, actor=boss, values={"reply": "已回复"}, outcome="settled")
    assert services.fire_due_alerts(now=sh(2026, 10, 5, 0, 0)) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks with SKIP LOCKED need PostgreSQL")
def test_two_sweepers_at_once_fire_each_alert_once(open_ticket, heimao, boss):
    cases = [
        _register(
            open_ticket(email=f"c{n}@example.com", subject=f"第{n}件"),
            heimao,
            actor=boss,
            number=f"HM-{n}",
            received=sh(2026, 9, 30, 20, 0),
        )
        for n in range(6)
    ]
    barrier = threading.Barrier(2)
    fired: list = []

    def sweeper() -> None:
        from django.db import connection as own

        try:
            barrier.wait(timeout=10)
            fired.extend(services.fire_due_alerts(now=sh(2026, 10, 3, 9, 0), batch_size=100))
        finally:
            own.close()

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(alert.case_id for alert in fired) == sorted(case.pk for case in cases)
    assert all(alert.percent == 100 for alert in fired)


def test_a_number_typed_another_way_is_the_same_case(open_ticket, odr, boss):
    _register(open_ticket(), odr, actor=boss, number="M-100")
    for typed in ("m-100", " M-100\u200b", "Ｍ－１００"):
        with pytest.raises(services.DuplicateCase):
            _register(open_ticket(), odr, actor=boss, number=typed)
    assert ExternalCase.objects.count() == 1


@pytest.mark.parametrize("received", [sh(1, 1, 1, 0, 0), sh(1900, 1, 1, 0, 0)])
def test_an_absurd_date_of_receipt_is_refused_with_a_reason(open_ticket, odr, boss, received):
    with pytest.raises(ComplaintError, match="more than a year ago"):
        _register(open_ticket(), odr, actor=boss, received=received)


@pytest.mark.parametrize(
    ("value", "message"), [("<b></b><i> </i>", "is required"), ("长" * 5001, "too long")]
)
def test_a_report_back_value_of_markup_only_or_too_long_is_refused(open_ticket, odr, boss, value, message):
    case = _register(open_ticket(), odr, actor=boss)
    with pytest.raises(services.MissingReportField, match=message):
        services.record_report_back(
            case_id=case.pk,
            actor=boss,
            values={**ODR_VALUES, "process": value},
            outcome=ReportBack.Outcome.SETTLED,
        )
    assert not ReportBack.objects.exists()


def test_huge_notes_on_a_case_are_refused(open_ticket, odr, boss):
    with pytest.raises(ComplaintError, match="characters"):
        services.register_case(
            ticket_id=open_ticket().pk,
            actor=boss,
            source=odr,
            number="ODR-9",
            received_at=sh(2026, 9, 25, 10, 0),
            notes="x" * 5001,
        )


def test_the_warning_and_the_breach_mail_go_out_exactly_once_each_in_the_readers_language(
    open_ticket, heimao, boss, team, agent, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    from complaints.models import StaffPreference, TeamMembership
    from external_cases import tasks
    from tests.factories import AgentFactory, SupervisorFactory

    # The mail task runs in the test's process as the worker would run it, once per queued call.
    monkeypatch.setattr(tasks.send_case_alerts, "delay", lambda alerts: tasks.send_case_alerts(alerts))
    lead = AgentFactory(team=team, email="lead@staff.example.com")
    TeamMembership.objects.filter(user=lead, team=team).update(role=TeamMembership.Role.LEAD)
    chief = SupervisorFactory(email="chief@staff.example.com")
    chief.groups.get_or_create(name="Supervisors")
    StaffPreference.objects.update_or_create(user=chief, defaults={"language": "zh-hans"})
    ticket = open_ticket()
    case = _register(ticket, heimao, actor=boss, number="HM-MAIL", received=sh(2026, 9, 30, 20, 0))
    mailoutbox.clear()  # the registration's own notifications are not the alerts

    def sweep(*moment: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            services.fire_due_alerts(now=sh(*moment))

    for moment in [(2026, 10, 1, 20, 0), (2026, 10, 1, 20, 1), (2026, 10, 1, 23, 0)]:
        sweep(*moment)
    assert len(mailoutbox) == 1
    warning = mailoutbox[0]
    assert (
        warning.subject == f"Due soon: report-back to {heimao.name_en} for case HM-MAIL ({ticket.reference})"
    )
    assert "50% of the time for the report-back" in warning.body
    assert f"/desk/tickets/{ticket.reference}/" in warning.body
    # A warning goes to the assignee and the team's leads, not yet to the supervisors.
    assert warning.to == sorted([agent.email, "lead@staff.example.com"])

    for moment in [(2026, 10, 3, 9, 0), (2026, 10, 3, 9, 5), (2026, 10, 4, 9, 0)]:
        sweep(*moment)
    assert len(mailoutbox) == 3  # the breach, once: in Chinese to the supervisor, in English to the team
    by_reader = {tuple(mail.to): mail for mail in mailoutbox[1:]}
    chinese = by_reader[("chief@staff.example.com",)]
    assert chinese.subject == f"已超时：向 {heimao.name_zh} 反馈案件 HM-MAIL（{ticket.reference}）"
    assert "尚未登记反馈" in chinese.body
    english = next(mail for to, mail in by_reader.items() if to != ("chief@staff.example.com",))
    assert {agent.email, "lead@staff.example.com"} <= set(english.to)
    assert "chief@staff.example.com" not in english.to
    assert english.subject.startswith(f"Missed: report-back to {heimao.name_en} for case HM-MAIL")
    assert "was due" in english.body
    case.refresh_from_db()
    assert case.breached_at == sh(2026, 10, 3, 9, 0)
