"""Hand-off services: opening (due time on the partner's calendar, no customer details unless asked),
the refusals, remind / escalate / close, the resolution-clock hold and the warnings fired once."""

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from complaints.errors import ComplaintError, IllegalTransition, NotFound
from complaints.models import Message
from complaints.policy import NotPermitted
from complaints.states import Status
from handoffs import services
from handoffs.models import Handoff, HandoffMail, Partner
from sla.models import SlaClock, SlaTarget
from tests.complaints.api_helpers import make_integration

from .conftest import CUSTOMER_EMAIL, CUSTOMER_PHONE, sh

pytestmark = pytest.mark.django_db


def hand_off(ticket, actor, partner, **extra) -> Handoff:
    return services.open_handoff(
        actor=actor,
        ticket_id=ticket.pk,
        partner=partner,
        subject=extra.pop("subject", "Recharge of 100 CNY not credited"),
        body=extra.pop("body", "Order 8812: please check why the recharge did not arrive."),
        **extra,
    )


def test_a_handoff_is_due_after_the_partners_business_hours_and_noted_on_the_timeline(
    open_ticket, agent, supplier, handoff_mails, django_capture_on_commit_callbacks
):
    ticket = open_ticket()
    # A Friday, two office hours left.
    with (
        time_machine.travel(sh(2026, 12, 4, 16, 0), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        handoff = hand_off(ticket, agent, supplier)
    # 2 h on Friday, 3 h Monday morning, 3 h after lunch (13:30): Monday 16:30.
    assert handoff.due_at == sh(2026, 12, 7, 16, 30)
    assert handoff.warn_at == sh(2026, 12, 7, 14, 54)  # 80 % of the time
    assert handoff.reference.startswith("HO-") and handoff.state == Handoff.State.OPEN
    assert not handoff.pauses_resolution  # off by default: the promise to the customer stands
    note = ticket.messages.get(kind=Message.Kind.NOTE)
    assert handoff.reference in note.body and "Upstream recharge supplier" in note.body
    assert len(handoff_mails.queued) == 1
    handoff_mails.run()
    sent = mail.outbox[-1]
    assert sent.to == ["ops@supplier.example.net"]
    assert sent.subject == f"[{handoff.reference}] Recharge of 100 CNY not credited"
    assert ticket.reference not in sent.subject
    assert sent.extra_headers["Message-ID"] == HandoffMail.objects.get().email_message_id
    assert "Order 8812" in sent.body
    # The customer's contact details are not in it: the text is the agent's.
    assert CUSTOMER_EMAIL not in sent.body and CUSTOMER_PHONE not in sent.body and "张三" not in sent.body
    assert HandoffMail.objects.get().state == HandoffMail.DeliveryState.SENT


def test_the_customers_contact_goes_out_only_when_the_agent_includes_it(
    open_ticket, agent, supplier, handoff_mails, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        handoff = hand_off(open_ticket(), agent, supplier, include_customer_contact=True)
    handoff_mails.run()
    assert CUSTOMER_EMAIL in mail.outbox[-1].body and CUSTOMER_PHONE in mail.outbox[-1].body
    assert handoff.shares_customer_contact


def test_a_chinese_partner_gets_the_mail_in_chinese(
    open_ticket, agent, network_department, handoff_mails, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        handoff = hand_off(
            open_ticket(), agent, network_department, subject="基站故障", body="请排查朝阳区基站。"
        )
    handoff_mails.run()
    assert "请回复此邮件" in mail.outbox[-1].body and handoff.reference in mail.outbox[-1].body


def test_a_partner_without_an_address_is_refused(open_ticket, agent, supplier):
    nameless = Partner(name="No address", email="", response_hours=4)
    with pytest.raises(ValidationError) as refused:
        nameless.full_clean()
    assert "email" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Partner.objects.create(name="No address", email="")
    supplier.email = ""
    with pytest.raises(ComplaintError, match="has no e-mail address"):
        hand_off(open_ticket(), agent, supplier)
    assert not Handoff.objects.exists()


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"subject": "  "}, "subject"),
        ({"body": ""}, "Write what you are asking"),
        ({"body": "x" * (services.BODY_MAX_CHARS + 1)}, "at most"),
        ({"response_hours": 0}, "between 1 and"),
    ],
)
def test_bad_input_is_refused_clearly(open_ticket, agent, supplier, extra, words):
    with pytest.raises(ComplaintError, match=words):
        hand_off(open_ticket(), agent, supplier, **extra)


def test_another_teams_agent_cannot_open_or_close_a_handoff(open_ticket, agent, other_agent, supplier):
    ticket = open_ticket()
    with pytest.raises(NotFound):
        hand_off(ticket, other_agent, supplier)
    handoff = hand_off(ticket, agent, supplier)
    for act in (services.close_handoff, services.remind_handoff, services.escalate_handoff):
        with pytest.raises(NotFound):
            act(handoff_id=handoff.pk, actor=other_agent)
    handoff.refresh_from_db()
    assert handoff.is_open


def test_an_integration_account_cannot_hand_off_its_own_ticket(open_ticket, supplier):
    integration = make_integration()
    ticket = open_ticket()
    ticket.created_by = integration
    ticket.save(update_fields=["created_by"])
    with pytest.raises(NotPermitted):
        hand_off(ticket, integration, supplier)


def test_a_closed_ticket_is_not_handed_off(open_ticket, agent, supplier):
    ticket = open_ticket()
    ticket.status = Status.CLOSED
    ticket.save(update_fields=["status"])
    with pytest.raises(IllegalTransition, match="reopen"):
        hand_off(ticket, agent, supplier)


def test_remind_sends_one_mail_on_the_thread_and_a_double_click_is_refused(
    open_ticket, agent, supplier, handoff_mails, django_capture_on_commit_callbacks
):
    ticket = open_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        handoff = hand_off(ticket, agent, supplier)
        services.remind_handoff(handoff_id=handoff.pk, actor=agent)
    with pytest.raises(services.TooSoon):
        services.remind_handoff(handoff_id=handoff.pk, actor=agent)
    handoff_mails.run()
    assert len(mail.outbox) == 2
    opening, _reminder = HandoffMail.objects.order_by("pk")
    assert mail.outbox[1].subject.startswith(f"[{handoff.reference}] Reminder:")
    assert mail.outbox[1].extra_headers["In-Reply-To"] == opening.email_message_id
    handoff.refresh_from_db()
    assert handoff.reminders == 1
    assert ticket.messages.filter(kind=Message.Kind.NOTE, body__contains="Reminder sent").count() == 1


def test_escalation_copies_the_escalation_address_once(
    open_ticket, agent, supplier, handoff_mails, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        handoff = hand_off(open_ticket(), agent, supplier)
        services.escalate_handoff(handoff_id=handoff.pk, actor=agent, reason="Customer threatens 12315.")
    with pytest.raises(services.TooSoon, match="already escalated"):
        services.escalate_handoff(handoff_id=handoff.pk, actor=agent)
    handoff_mails.run()
    escalation = mail.outbox[-1]
    assert escalation.cc == ["manager@supplier.example.net"]
    assert "Customer threatens 12315." in escalation.body


def test_close_twice_is_a_conflict_and_a_closed_handoff_takes_no_reminder(open_ticket, agent, supplier):
    ticket = open_ticket()
    handoff = hand_off(ticket, agent, supplier)
    services.close_handoff(handoff_id=handoff.pk, actor=agent, note="Supplier credited the recharge.")
    with pytest.raises(services.HandoffClosed):
        services.close_handoff(handoff_id=handoff.pk, actor=agent)
    with pytest.raises(services.HandoffClosed):
        services.remind_handoff(handoff_id=handoff.pk, actor=agent)
    handoff.refresh_from_db()
    assert handoff.state == Handoff.State.CLOSED and handoff.closed_by == agent
    assert ticket.messages.filter(body__contains="closed").exists()


def test_a_handoff_on_another_ticket_is_not_found_through_this_one(open_ticket, agent, supplier):
    first, second = (
        open_ticket(),
        open_ticket(subject="宽带断网", email="li.si@example.com", phone="13700002222"),
    )
    assert first.pk != second.pk
    handoff = hand_off(first, agent, supplier)
    with pytest.raises(NotFound):
        services.close_handoff(handoff_id=handoff.pk, actor=agent, ticket_id=second.pk)


def _resolution(ticket) -> SlaClock:
    return SlaClock.objects.get(ticket=ticket, target=SlaTarget.RESOLUTION, stopped_at__isnull=True)


def test_the_resolution_clock_runs_on_unless_the_agent_pauses_it(open_ticket, agent, supplier):
    with time_machine.travel(sh(2026, 12, 7, 9, 0), tick=False):
        ticket = open_ticket()
    with time_machine.travel(sh(2026, 12, 7, 10, 0), tick=False):
        hand_off(ticket, agent, supplier)
    assert _resolution(ticket).paused_at is None
    with time_machine.travel(sh(2026, 12, 7, 10, 0), tick=False):
        paused = hand_off(ticket, agent, supplier, pauses_resolution=True)
    clock = _resolution(ticket)
    due_before = clock.due_at
    assert clock.paused_at == sh(2026, 12, 7, 10, 0)
    with time_machine.travel(sh(2026, 12, 7, 12, 0), tick=False):
        services.close_handoff(handoff_id=paused.pk, actor=agent)
    clock = _resolution(ticket)
    assert clock.paused_at is None
    assert clock.due_at > due_before  # moved on by the time paused
    assert clock.paused_seconds == 2 * 3600  # two office hours paused


def test_the_customer_answering_does_not_resume_a_clock_a_handoff_holds(open_ticket, agent, supplier):
    from complaints import services as complaint_services

    ticket = open_ticket()
    complaint_services.assign(ticket_id=ticket.pk, actor=agent, assignee=agent, version=None)
    complaint_services.await_customer(ticket_id=ticket.pk, actor=agent, version=None)
    handoff = hand_off(ticket, agent, supplier, pauses_resolution=True)
    complaint_services.add_message(
        ticket_id=ticket.pk, actor=None, kind=Message.Kind.CUSTOMER, body="还没到账"
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert _resolution(ticket).paused_at is not None  # still held by the hand-off
    services.close_handoff(handoff_id=handoff.pk, actor=agent)
    assert _resolution(ticket).paused_at is None


def test_warnings_fire_once_each_near_and_overdue(
    open_ticket, agent, supplier, django_capture_on_commit_callbacks, monkeypatch
):
    from handoffs import tasks

    sent: list = []
    monkeypatch.setattr(tasks.send_warnings, "delay", lambda payload: sent.append(payload))
    ticket = open_ticket()
    with time_machine.travel(sh(2026, 12, 4, 16, 0), tick=False):
        handoff = hand_off(ticket, agent, supplier)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.fire_due_warnings(now=sh(2026, 12, 7, 14, 0)) == []
        assert [w.overdue for w in services.fire_due_warnings(now=sh(2026, 12, 7, 15, 0))] == [False]
        assert services.fire_due_warnings(now=sh(2026, 12, 7, 15, 30)) == []
        assert [w.overdue for w in services.fire_due_warnings(now=sh(2026, 12, 7, 17, 0))] == [True]
        assert services.fire_due_warnings(now=sh(2026, 12, 8, 9, 0)) == []
    assert sent == [[[handoff.pk, 0]], [[handoff.pk, 1]]]
    tasks.send_warnings.run([[handoff.pk, 1]])
    assert agent.email in mail.outbox[-1].to or agent.email in str(mail.outbox[-1].to)
    assert mail.outbox[-1].subject.startswith("Overdue:")


def test_an_answered_handoff_is_not_warned_about(open_ticket, agent, supplier):
    with time_machine.travel(sh(2026, 12, 4, 16, 0), tick=False):
        handoff = hand_off(open_ticket(), agent, supplier)
    services.record_partner_answer(
        handoff_id=handoff.pk,
        sender="ops@supplier.example.net",
        sender_name="",
        body="Done.",
        message_id="a@x",
    )
    assert services.fire_due_warnings(now=sh(2026, 12, 9, 9, 0)) == []


def test_the_beat_runs_the_due_time_sweep_every_minute(settings):
    from handoffs import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["handoffs-sweep"]
    assert (
        entry == {"task": tasks.sweep.name, "schedule": 60.0} and tasks.sweep.name == "handoffs.tasks.sweep"
    )


def test_a_handoff_left_open_on_a_closed_ticket_is_not_warned_about(open_ticket, agent, supplier):
    with time_machine.travel(sh(2026, 12, 4, 16, 0), tick=False):
        ticket = open_ticket()
        hand_off(ticket, agent, supplier)
    ticket.status = Status.CLOSED
    ticket.save(update_fields=["status"])
    assert services.fire_due_warnings(now=sh(2026, 12, 9, 9, 0)) == []
