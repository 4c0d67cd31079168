"""A person's review of the assistant's automatic decision (PIPL Art. 24), asked for on the customer's page."""

import pytest
from django.urls import reverse
from django.utils import translation

from assist import services
from assist.models import AssistSettings, AssistSuggestion
from channels_intake.tokens import ticket_token
from complaints import notifications, timeline
from complaints.events import EventKind
from complaints.models import Category, Message, Team
from tests.assist.test_services import BROADBAND, open_web
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied(history, django_capture_on_commit_callbacks):
    """A ticket the web form filed under billing, which the assistant moved to broadband on its own."""
    assert services.train().adopted
    AssistSettings.objects.update_or_create(
        pk=1, defaults={"auto_apply_confidence": 0.3, "minimum_accuracy": 0.5}
    )
    ticket = open_web(*BROADBAND)
    ticket.category = Category.objects.get(slug="billing-refund-difficulty")
    ticket.team = Team.objects.get(slug="billing")
    ticket.save(update_fields=["category", "team"])
    suggestion = services.suggest_for_ticket(ticket_id=ticket.pk)
    assert suggestion.applied
    ticket.refresh_from_db()
    assert (ticket.category.slug, ticket.team.slug) == ("network-broadband-outage", "technical")
    return ticket


@pytest.mark.parametrize(
    ("language", "offer", "thanks"),
    [
        ("en", "Have a person review this", "A person will review"),
        ("zh-hans", "请人工复核", "将由工作人员复核"),
    ],
)
def test_the_customer_asks_for_a_person_and_the_automatic_decision_is_undone(
    client, applied, language, offer, thanks, django_capture_on_commit_callbacks
):
    lead = AgentFactory(team=Team.objects.get(slug="billing"), team__role="lead", email="lead@example.com")
    page_url = reverse("public:ticket", args=[ticket_token(applied)])
    client.cookies["django_language"] = language
    page = client.get(page_url).content.decode()
    assert offer in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assist:review", args=[ticket_token(applied)]), follow=True)
    assert thanks in response.content.decode()
    assert offer not in response.content.decode()  # asked once

    applied.refresh_from_db()
    # Back where it was before the assistant moved it, for a person to decide.
    assert (applied.category.slug, applied.team.slug) == ("billing-refund-difficulty", "billing")
    assert AssistSuggestion.objects.get(ticket=applied).review_requested_at is not None
    undone = applied.events.filter(kind=EventKind.RECLASSIFIED).latest("pk")
    assert undone.actor is None and undone.reason_code == "assistant_review"
    with translation.override("en"):
        assert "review the assistant's classification" in timeline.event_reason(undone)
    with translation.override("zh-hans"):
        assert "人工复核" in timeline.event_reason(undone)
    bodies = [m.body for m in applied.messages.filter(kind=Message.Kind.CUSTOMER)]
    assert any("个人信息保护法" in body or "Personal Information Protection Law" in body for body in bodies)
    asked = applied.events.filter(kind=EventKind.CUSTOMER_MESSAGE).latest("pk")
    assert lead.email in notifications.recipients_for(asked)  # the team is told (its lead, by mail)


def test_the_desk_sees_that_a_review_was_asked_for(client, applied, supervisor):
    services.request_review(ticket_id=applied.pk)
    client.force_login(supervisor)
    page = client.get(reverse("desk:ticket", args=[applied.reference]), headers={"accept-language": "en"})
    assert "Person&#x27;s review asked for" in page.content.decode() or "Person's review asked for" in (
        page.content.decode()
    )


def test_no_offer_without_an_automatic_decision_and_a_second_request_is_refused(client, applied, history):
    other = open_web("Refund", "Please refund my last payment, it was charged twice.")
    assert (
        "Have a person review this"
        not in client.get(
            reverse("public:ticket", args=[ticket_token(other)]), headers={"accept-language": "en"}
        ).content.decode()
    )
    response = client.post(
        reverse("assist:review", args=[ticket_token(other)]), headers={"accept-language": "en"}
    )
    assert response.status_code == 302
    services.request_review(ticket_id=applied.pk)
    with pytest.raises(services.AssistantError):
        services.request_review(ticket_id=applied.pk)


def test_a_forged_link_is_404(client):
    assert client.post(reverse("assist:review", args=["not-a-token"])).status_code == 404


def test_a_persons_later_decision_is_not_undone_by_the_review(applied, supervisor):
    from complaints import services as complaint_services

    chosen = Category.objects.get(slug="network-slow")
    complaint_services.reclassify(
        ticket_id=applied.pk,
        actor=supervisor,
        version=None,
        category=chosen,
        reason="Checked with the customer",
    )
    services.request_review(ticket_id=applied.pk)
    applied.refresh_from_db()
    assert applied.category == chosen  # the agent's category stays
    assert applied.team.slug == "billing"  # the assistant's team change is put back
