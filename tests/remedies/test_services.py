"""Remedy rules at the services: who must sign off (amount, type, category, abuse guard), refused
amounts, the close guard, fulfilment states and the overdue warning claimed once."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from complaints import services as core_services
from complaints.errors import ComplaintError, IllegalTransition
from complaints.states import Status
from remedies import reports, services
from remedies.models import ApprovalRule, Fulfilment, FulfilmentTerm, Remedy
from tests.factories import CategoryFactory, CustomerFactory, TicketFactory

from .conftest import open_complaint, propose

pytestmark = pytest.mark.django_db


def test_without_a_rule_a_remedy_needs_no_sign_off(ticket, agent, cause):
    resolution = propose(ticket, agent, cause, amount="300")
    assert resolution is not None and resolution.amount == 300
    remedy = Remedy.objects.get(ticket=ticket)
    assert remedy.state == Remedy.State.APPROVED and remedy.fulfilment.state == Fulfilment.State.PENDING


def test_within_the_agents_limit_it_is_approved_at_once(ticket, agent, cause, rule):
    assert propose(ticket, agent, cause, amount="30") is not None
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert Remedy.objects.get(ticket=ticket).state == Remedy.State.APPROVED


def test_an_apology_has_nothing_to_fulfil(ticket, agent, cause, rule):
    propose(ticket, agent, cause, remedy="apology", amount="0")
    remedy = Remedy.objects.get(ticket=ticket)
    assert remedy.state == Remedy.State.APPROVED and not Fulfilment.objects.exists()
    with pytest.raises(IllegalTransition, match="nothing to fulfil"):
        services.fulfilment_of(remedy.pk)


@pytest.mark.parametrize("amount", ["5000.01", "99999999"])
def test_an_amount_above_the_ceiling_is_refused_and_nothing_is_stored(ticket, agent, cause, rule, amount):
    with pytest.raises(ComplaintError, match="above the ceiling"):
        propose(ticket, agent, cause, amount=amount)
    ticket.refresh_from_db()
    assert ticket.status != Status.RESOLVED and not Remedy.objects.exists()


def test_a_negative_amount_is_refused(ticket, agent, cause, rule):
    with pytest.raises(ComplaintError, match="negative"):
        propose(ticket, agent, cause, amount="-1")


def test_the_most_specific_rule_decides(team, agent, cause, rule):
    category = CategoryFactory(slug="recharge", name_en="Recharge", default_team=team)
    ApprovalRule.objects.create(
        name="Vouchers in recharge",
        remedy_type="voucher",
        category=category,
        agent_limit=0,
        lead_limit=0,
        ceiling=100,
    )
    ticket = open_complaint(team, agent)
    ticket.category = category
    ticket.save(update_fields=["category"])
    propose(ticket, agent, cause, remedy="voucher", amount="20")
    assert Remedy.objects.get(ticket=ticket).required_level == 2  # above the rule's 0 for a lead
    other = open_complaint(team, agent, email="b@example.com")
    propose(other, agent, cause, remedy="voucher", amount="20")
    assert Remedy.objects.get(ticket=other).state == Remedy.State.APPROVED  # the general rule: agent up to 50


def test_the_abuse_guard_calls_a_supervisor_in(team, agent, cause, rule):
    customer = CustomerFactory()
    for _n in range(2):
        propose(TicketFactory(customer=customer, team=team, assignee=agent), agent, cause, amount="20")
    third = TicketFactory(customer=customer, team=team, assignee=agent)
    assert propose(third, agent, cause, amount="20") is None
    assert Remedy.objects.get(ticket=third).required_level == 2


def test_one_held_remedy_at_a_time_and_the_ticket_does_not_close_under_it(
    ticket, agent, supervisor, cause, rule
):
    propose(ticket, agent, cause)
    with pytest.raises(IllegalTransition, match="already awaits approval"):
        propose(ticket, agent, cause)
    with pytest.raises(IllegalTransition, match="awaits approval"):
        core_services.transition(
            ticket_id=ticket.pk, actor=supervisor, to=Status.CLOSED, version=None, reason="dup"
        )


def test_a_refused_remedy_cannot_be_fulfilled(ticket, agent, lead, supervisor, cause, rule):
    propose(ticket, agent, cause)
    remedy = Remedy.objects.get(ticket=ticket)
    with pytest.raises(IllegalTransition, match="awaits approval"):
        services.fulfilment_of(remedy.pk)
    services.refuse(remedy_id=remedy.pk, actor=lead, reason="Not our fault")
    with pytest.raises(IllegalTransition, match="refused"):
        services.fulfilment_of(remedy.pk)


def test_fulfilment_is_done_once_with_a_reference_and_an_agent_cannot_record_it(
    ticket, agent, supervisor, cause
):
    propose(ticket, agent, cause, amount="30")
    item = Remedy.objects.get(ticket=ticket).fulfilment
    with pytest.raises(ComplaintError, match="finance"):
        services.fulfil(fulfilment_id=item.pk, actor=agent, reference="X")
    with pytest.raises(ComplaintError, match="reference"):
        services.fulfil(fulfilment_id=item.pk, actor=supervisor, reference="   ")
    services.fulfil(fulfilment_id=item.pk, actor=supervisor, reference="TXN-1")
    with pytest.raises(IllegalTransition, match="Only pending"):
        services.fulfil(fulfilment_id=item.pk, actor=supervisor, reference="TXN-2")
    with pytest.raises(IllegalTransition):
        services.fail(fulfilment_id=item.pk, actor=supervisor, reason="bank refused")


def test_the_due_time_follows_the_types_term(ticket, agent, cause):
    FulfilmentTerm.objects.filter(remedy_type="reissue").update(days=2)
    propose(ticket, agent, cause, remedy="reissue", amount="0")
    remedy = Remedy.objects.get(ticket=ticket)
    assert timedelta(days=1, hours=23) < remedy.fulfilment.due_at - remedy.proposed_at <= timedelta(days=2)


def test_an_overdue_item_warns_once_and_a_done_one_never(
    team, agent, supervisor, cause, worker, django_capture_on_commit_callbacks
):
    first, second = (open_complaint(team, agent, email=f"{n}@example.com") for n in "ab")
    propose(first, agent, cause, amount="10")
    propose(second, agent, cause, amount="10")
    done = Remedy.objects.get(ticket=second).fulfilment
    services.fulfil(fulfilment_id=done.pk, actor=supervisor, reference="T")
    mail.outbox.clear()
    with (
        time_machine.travel(done.due_at + timedelta(days=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        warned = services.warn_overdue()
        again = services.warn_overdue()
    worker.run()
    assert warned == [Remedy.objects.get(ticket=first).fulfilment.pk] and again == []
    assert len(mail.outbox) == 1


def test_the_report_counts_types_amounts_and_on_time_rate(team, agent, lead, supervisor, cause, rule):
    propose(open_complaint(team, agent, email="a@example.com"), agent, cause, amount="30")
    held_ticket = open_complaint(team, agent, email="b@example.com")
    propose(held_ticket, agent, cause, amount="300")
    services.approve(remedy_id=Remedy.objects.get(ticket=held_ticket).pk, actor=lead)
    for item in Fulfilment.objects.all():
        services.fulfil(fulfilment_id=item.pk, actor=supervisor, reference="T")
    from django.utils import timezone

    now = timezone.now()
    figures = reports.remedy_report(
        remedies=Remedy.objects.all(), start=now - timedelta(days=1), end=now + timedelta(minutes=1)
    )
    assert (figures["count"], figures["approved"], Decimal(figures["amount"])) == (2, 2, Decimal("330"))
    assert figures["fulfilment"]["on_time_rate"] == 1.0
    assert (
        figures["by_type"][0]["remedy_type"] == "refund" and figures["by_team"][0]["team__slug"] == "billing"
    )
    assert figures["average_approval_hours"] is not None


def test_the_approvers_are_asked_in_their_language_and_never_the_proposer(
    ticket, agent, lead, supervisor, cause, rule, worker, django_capture_on_commit_callbacks
):
    from complaints import preferences

    preferences.set_staff_language(user=lead, language="zh-hans")
    big = open_complaint(ticket.team, agent, email="big@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        propose(ticket, agent, cause, amount="300")
        # A supervisor's own proposal goes to the other supervisors: there are none here.
        propose(big, supervisor, cause, amount="900")
    mail.outbox.clear()
    worker.run()
    [asked] = mail.outbox
    assert asked.to == [lead.email]
    assert asked.subject.startswith(f"[{ticket.reference}] 待您审批的补救措施：退款 300.00 CNY")
    assert "/desk/approvals/" in asked.body
