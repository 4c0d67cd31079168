"""Red team F1 and F7: the limits judge the ticket's total (resolve, reopen, resolve again does not
stack past the agent's limit), and who decides follows the ticket's current team after a reroute."""

from decimal import Decimal

import pytest
from django.urls import reverse

from complaints import services as complaint_services
from complaints.policy import NotPermitted
from remedies import policy, selectors, services
from remedies.models import ApprovalLevel, ApprovalRule, Remedy
from tests.complaints.api_helpers import client_for
from tests.factories import CustomerFactory, TicketFactory

from .conftest import propose, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def plain_rule(db):
    """The red team's rule: no abuse guard (the default)."""
    return ApprovalRule.objects.create(
        name="Money", agent_limit=Decimal("50"), lead_limit=Decimal("500"), ceiling=Decimal("2000")
    )


def _reopen(ticket):
    complaint_services.reopen(ticket_id=ticket.pk, actor=None, version=None, reason="more")


def test_resolve_reopen_resolve_does_not_stack_past_the_agents_limit(ticket, agent, cause, plain_rule):
    assert propose(ticket, agent, cause, amount="50") is not None  # within the limit: resolved at once
    _reopen(ticket)
    assert propose(ticket, agent, cause, amount="50") is None  # 100 in all: held for a lead
    second = Remedy.objects.get(ticket=ticket, state=Remedy.State.AWAITING_APPROVAL)
    assert second.required_level == ApprovalLevel.TEAM_LEAD
    assert Remedy.objects.filter(ticket=ticket, state=Remedy.State.APPROVED).count() == 1


def test_the_total_with_an_awaiting_remedy_goes_to_a_supervisor(ticket, agent, cause, plain_rule):
    propose(ticket, agent, cause, amount="50")
    _reopen(ticket)
    propose(ticket, agent, cause, amount="400")  # 450: a lead
    held = Remedy.objects.get(ticket=ticket, state=Remedy.State.AWAITING_APPROVAL)
    assert held.required_level == ApprovalLevel.TEAM_LEAD
    # Changing the held remedy does not count it twice: 50 + 440 is still a lead's, 50 + 460 is not.
    assert policy.approval_needed(ticket, "refund", Decimal("440"), excluding=held.pk).level == 1
    assert policy.approval_needed(ticket, "refund", Decimal("460"), excluding=held.pk).level == 2
    # A new one on top of approved 50 and awaiting 400: 500 + 1 is above the lead's limit.
    assert policy.approval_needed(ticket, "refund", Decimal("51")).level == ApprovalLevel.SUPERVISOR


def test_a_refused_remedy_does_not_count(ticket, agent, lead, cause, plain_rule):
    propose(ticket, agent, cause, amount="300")
    held = Remedy.objects.get(ticket=ticket)
    services.refuse(remedy_id=held.pk, actor=lead, reason="too much")
    assert policy.approval_needed(ticket, "refund", Decimal("50")).level == ApprovalLevel.AGENT


def test_the_abuse_guard_counts_awaiting_remedies(team, agent, cause, rule):
    customer = CustomerFactory()
    first, second, third = (TicketFactory(customer=customer, team=team, assignee=agent) for _n in range(3))
    propose(first, agent, cause, amount="300")  # awaiting a lead
    propose(second, agent, cause, amount="30")  # approved at once
    assert policy.approval_needed(third, "refund", Decimal("10")).level == ApprovalLevel.SUPERVISOR


@pytest.fixture
def rerouted(ticket, agent, cause, plain_rule, other_team):
    propose(ticket, agent, cause, amount="200")
    held = Remedy.objects.get(ticket=ticket)
    complaint_services.reroute(
        ticket_id=ticket.pk, actor=None, team=other_team, version=None, reason="wrong team"
    )
    return held


def test_after_a_reroute_the_new_teams_lead_decides(rerouted, lead, other_lead):
    assert [r.pk for r in selectors.approvals_queue_for(other_lead)] == [rerouted.pk]
    assert selectors.approvals_queue_for(lead) == []
    response = client_for(other_lead).post(f"/api/v1/remedies/{rerouted.pk}/approve/", {}, format="json")
    assert response.status_code == 200, response.content
    rerouted.refresh_from_db()
    assert rerouted.state == Remedy.State.APPROVED and rerouted.decided_by == other_lead


def test_after_a_reroute_the_old_teams_lead_is_refused(rerouted, lead):
    response = signed_in(lead).post(reverse("remedies:approve", args=[rerouted.pk]), {}, follow=True)
    assert "Only a lead of the ticket" in response.content.decode()
    with pytest.raises(NotPermitted):
        services.refuse(remedy_id=rerouted.pk, actor=lead, reason="no")
    api = client_for(lead).post(f"/api/v1/remedies/{rerouted.pk}/approve/", {}, format="json")
    assert api.status_code == 404
    rerouted.refresh_from_db()
    assert rerouted.state == Remedy.State.AWAITING_APPROVAL


def test_the_approval_mail_after_a_reroute_goes_to_the_new_teams_lead(rerouted, lead, other_lead):
    from django.core import mail

    from remedies import notifications

    other_lead.email, lead.email = "newlead@staff.example.com", "oldlead@staff.example.com"
    other_lead.save(update_fields=["email"])
    lead.save(update_fields=["email"])
    mail.outbox.clear()
    notifications.ask_for_approval(remedy_id=rerouted.pk)
    recipients = {address for sent in mail.outbox for address in sent.to + sent.bcc}
    assert "newlead@staff.example.com" in recipients and "oldlead@staff.example.com" not in recipients
