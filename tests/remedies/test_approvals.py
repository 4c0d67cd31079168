"""The approvals queue and who may decide: an agent never, the proposer never, a lead only for their
own team and up to their limit, a supervisor above it; the queue costs the same queries for 1 or 10."""

import pytest
from django.urls import reverse

from complaints import extensions
from complaints.policy import NotPermitted
from remedies import services
from remedies.models import Remedy

from .conftest import open_complaint, propose, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(ticket, agent, cause, rule):
    assert propose(ticket, agent, cause) is None
    return Remedy.objects.get(ticket=ticket)


def test_an_agent_gets_no_queue_and_cannot_approve(held, colleague):
    client = signed_in(colleague)
    assert client.get(reverse("remedies:approvals")).status_code == 403
    assert client.post(reverse("remedies:approve", args=[held.pk]), {}).status_code == 403
    with pytest.raises(NotPermitted):
        services.approve(remedy_id=held.pk, actor=colleague)
    held.refresh_from_db()
    assert held.state == Remedy.State.AWAITING_APPROVAL


def test_the_desk_link_shows_only_to_those_who_may_approve(lead, colleague):
    assert "remedies:approvals" in [link.url_name for link in extensions.desk_links(lead)]
    assert "remedies:approvals" not in [link.url_name for link in extensions.desk_links(colleague)]


def test_the_proposer_cannot_approve_their_own_remedy(team, lead, cause, rule, agent):
    ticket = open_complaint(team, lead)
    propose(ticket, lead, cause)
    own = Remedy.objects.get(ticket=ticket)
    assert own.pk not in [r.pk for r in services_queue(lead)]
    response = signed_in(lead).post(reverse("remedies:approve", args=[own.pk]), {}, follow=True)
    assert "You proposed this remedy; someone else must approve it." in response.content.decode()
    own.refresh_from_db()
    assert own.state == Remedy.State.AWAITING_APPROVAL


def test_another_teams_lead_cannot_approve(held, other_lead):
    assert services_queue(other_lead) == []
    response = signed_in(other_lead).post(reverse("remedies:approve", args=[held.pk]), {}, follow=True)
    assert "Only a lead of the ticket" in response.content.decode()
    held.refresh_from_db()
    assert held.state == Remedy.State.AWAITING_APPROVAL


def test_above_the_leads_limit_only_a_supervisor_approves(team, agent, lead, supervisor, cause, rule):
    ticket = open_complaint(team, agent)
    propose(ticket, agent, cause, amount="800")
    big = Remedy.objects.get(ticket=ticket)
    assert big.required_level == 2 and services_queue(lead) == []
    with pytest.raises(NotPermitted, match="supervisor"):
        services.approve(remedy_id=big.pk, actor=lead)
    # A lead cannot raise a remedy past their own limit either.
    small_ticket = open_complaint(team, agent, email="other@example.com")
    propose(small_ticket, agent, cause, amount="100")
    small = Remedy.objects.get(ticket=small_ticket)
    with pytest.raises(NotPermitted, match="supervisor"):
        services.approve(remedy_id=small.pk, actor=lead, amount="900", reason="goodwill")
    services.approve(remedy_id=big.pk, actor=supervisor)
    big.refresh_from_db()
    assert big.state == Remedy.State.APPROVED


def test_change_needs_a_reason_and_records_both_amounts(held, lead):
    client = signed_in(lead)
    url = reverse("remedies:approve", args=[held.pk])
    response = client.post(url, {f"a{held.pk}-amount": "200"}, follow=True)
    assert "Say why the amount is changed." in response.content.decode()
    client.post(url, {f"a{held.pk}-amount": "200", f"a{held.pk}-reason": "Half was already credited"})
    held.refresh_from_db()
    assert (held.state, held.amount, held.proposed_amount) == (Remedy.State.CHANGED, 200, 300)
    assert held.ticket.resolutions.get().amount == 200


def test_refuse_needs_a_reason_and_keeps_the_ticket_open(held, lead):
    client = signed_in(lead)
    url = reverse("remedies:refuse", args=[held.pk])
    response = client.post(url, {f"r{held.pk}-reason": ""}, follow=True)
    assert "This field is required." in response.content.decode()
    client.post(url, {f"r{held.pk}-reason": "<script>alert(1)</script>Not our fault"})
    held.refresh_from_db()
    assert held.state == Remedy.State.REFUSED and "<script>" not in held.reason
    assert held.ticket.is_open and not held.ticket.resolutions.exists()
    # Decided once: a second decision is refused.
    response = client.post(reverse("remedies:approve", args=[held.pk]), {}, follow=True)
    assert "already decided" in response.content.decode()


def services_queue(user):
    from remedies import selectors

    return selectors.approvals_queue_for(user)


def test_the_queue_costs_the_same_queries_for_one_remedy_or_ten(
    team, agent, lead, cause, rule, django_assert_num_queries
):
    client = signed_in(lead)
    propose(open_complaint(team, agent, email="first@example.com"), agent, cause)
    client.get(reverse("remedies:approvals"))  # warm the session
    # Session, user, memberships (lead?), supervisor group, the queue with its joins, the top bar's counts.
    why = "the approvals queue reads its rows in one query; a new query per row needs a reason"
    with django_assert_num_queries(QUEUE_QUERIES, info=why):
        assert client.get(reverse("remedies:approvals")).status_code == 200
    for n in range(9):
        propose(open_complaint(team, agent, email=f"c{n}@example.com"), agent, cause)
    with django_assert_num_queries(QUEUE_QUERIES, info=why):
        page = client.get(reverse("remedies:approvals"))
    assert page.content.decode().count('class="stacked approve-form"') == 10


QUEUE_QUERIES = 7
