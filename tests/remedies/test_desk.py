"""The desk's remedies: the ticket panel with the customer's compensation history, the report page,
the stats API section, and hostile input (markup in every text field, another team's remedy id)."""

import pytest
from django.urls import reverse

from remedies import services
from remedies.models import Remedy
from tests.complaints.api_helpers import client_for
from tests.factories import TicketFactory

from .conftest import propose, signed_in

pytestmark = pytest.mark.django_db


def test_the_panel_shows_the_customers_compensation_history(ticket, team, agent, cause):
    earlier = TicketFactory(customer=ticket.customer, team=team, assignee=agent)
    propose(earlier, agent, cause, remedy="compensation", amount="20")
    page = signed_in(agent).get(reverse("desk:ticket", args=[ticket.reference])).content.decode()
    assert "compensation history" in page
    assert earlier.reference in page and "Approved on other tickets: 20.00 CNY" in page


def test_markup_never_reaches_a_page_unescaped(ticket, agent, lead, cause, rule):
    services_resolution = propose(ticket, agent, cause)
    assert services_resolution is None
    remedy = Remedy.objects.get(ticket=ticket)
    services.refuse(remedy_id=remedy.pk, actor=lead, reason='<img src=x onerror="alert(1)">no')
    page = signed_in(lead).get(reverse("desk:ticket", args=[ticket.reference])).content.decode()
    assert "onerror" not in page


def test_the_report_page_and_the_stats_section(ticket, agent, lead, cause, rule, colleague):
    propose(ticket, agent, cause, amount="30")
    client = signed_in(lead)
    page = client.get(reverse("remedies:report"), {"days": "7"}).content.decode()
    assert "Remedies report" in page and "Refund" in page and "30.00" in page
    assert client.get(reverse("remedies:report"), {"days": "x' OR 1=1"}).status_code == 200
    assert signed_in(colleague).get(reverse("remedies:report")).status_code == 403
    stats = client_for(lead).get("/api/v1/stats/").json()
    assert stats["remedies"]["count"] == 1 and stats["remedies"]["fulfilment"]["pending"] == 1


def test_another_teams_remedy_id_on_the_desk(ticket, agent, cause, rule, other_lead):
    propose(ticket, agent, cause)
    remedy = Remedy.objects.get(ticket=ticket)
    client = signed_in(other_lead)
    for action in ("approve", "refuse"):
        client.post(reverse(f"remedies:{action}", args=[remedy.pk]), {f"r{remedy.pk}-reason": "x"})
    assert Remedy.objects.get(pk=remedy.pk).state == Remedy.State.AWAITING_APPROVAL
    response = client.post(reverse("remedies:approve", args=[999999]), {}, follow=True)
    assert "There is no such remedy." in response.content.decode()


def test_the_resolve_form_refuses_an_amount_above_the_ceiling_or_negative(ticket, agent, cause, rule):
    from tests.complaints.portal_helpers import post_action

    client = signed_in(agent)
    fields = {"root_cause": cause.pk, "steps_taken": "Refunded.", "remedy": "refund"}
    absurd = post_action(client, ticket, "resolve", **fields, amount="5000.01")
    assert absurd.status_code == 400 and "above the ceiling of 5000.00" in absurd.content.decode()
    negative = post_action(client, ticket, "resolve", **fields, amount="-3")
    assert negative.status_code == 422
    assert not Remedy.objects.exists() and not ticket.resolutions.exists()
