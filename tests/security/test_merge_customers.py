"""Issue 15, item 3: a merge never copies one customer's complaint onto another customer's page."""

import pytest

from channels_intake.tokens import customer_ticket_url
from complaints import services
from complaints.errors import ComplaintError
from complaints.events import EventKind
from complaints.models import Attachment, Message, Ticket
from complaints.services import CustomerDetails
from tests.factories import AgentFactory, SupervisorFactory, TeamFactory

pytestmark = pytest.mark.django_db


def _open(name: str, email: str, text: str, team) -> Ticket:
    ticket = services.open_ticket(
        actor=None,
        channel=Ticket.Channel.WEB,
        customer=CustomerDetails(name=name, email=email),
        subject=f"{name}'s parcel",
        description=text,
        default_team=team,
    ).ticket
    return ticket


@pytest.fixture
def tickets():
    team = TeamFactory(slug="delivery")
    alice = _open("Alice", "alice@example.com", "Account 6222-0001, 5 Garden Road: parcel lost.", team)
    bob = _open("Bob", "bob@example.com", "My parcel never came.", team)
    Attachment.objects.create(
        ticket=alice,
        original_name="id-card.png",
        content_type="image/png",
        size=3,
        sha256="0" * 64,
        file="x.png",
    )
    return team, alice, bob


def test_an_agent_cannot_merge_two_customers_tickets(tickets):
    team, alice, bob = tickets
    agent = AgentFactory(team=team, team__role="lead")
    with pytest.raises(ComplaintError) as refused:
        services.merge(source_id=alice.pk, target_id=bob.pk, actor=agent)
    assert refused.value.http_status == 403
    with pytest.raises(ComplaintError):
        services.merge(source_id=alice.pk, target_id=bob.pk, actor=agent, keep_internal=True)
    alice.refresh_from_db()
    assert alice.is_open and not bob.messages.exists()


def test_a_supervisor_must_choose_to_keep_it_internal(tickets):
    _team, alice, bob = tickets
    with pytest.raises(ComplaintError):
        services.merge(source_id=alice.pk, target_id=bob.pk, actor=SupervisorFactory())
    assert not bob.messages.exists()


def test_kept_internal_the_content_never_reaches_the_other_customers_page(client, tickets):
    _team, alice, bob = tickets
    supervisor = SupervisorFactory()

    services.merge(
        source_id=alice.pk, target_id=bob.pk, actor=supervisor, reason="same courier", keep_internal=True
    )

    copied = bob.messages.get()
    assert copied.kind == Message.Kind.NOTE and "6222-0001" in copied.body
    moved = Attachment.objects.get(original_name="id-card.png")
    assert moved.ticket_id == bob.pk and moved.message_id == copied.pk
    page = client.get(customer_ticket_url(bob)).content.decode()
    assert "6222-0001" not in page and "Garden Road" not in page and "id-card" not in page
    assert client.get(f"{customer_ticket_url(bob)}files/{moved.pk}/").status_code == 404
    merged = alice.events.get(kind=EventKind.MERGED)
    received = bob.events.get(kind=EventKind.MERGE_RECEIVED)
    assert merged.detail["internal"] is True and received.detail["internal"] is True
    assert received.actor == supervisor
    # Alice's own page does not name Bob's ticket.
    assert bob.reference not in client.get(customer_ticket_url(alice)).content.decode()


def test_the_same_customers_tickets_still_merge_publicly(tickets):
    team, alice, _bob = tickets
    again = _open("Alice", "alice@example.com", "Second note about something else entirely, refund.", team)
    lead = AgentFactory(team=team)
    services.merge(source_id=again.pk, target_id=alice.pk, actor=lead)
    assert alice.messages.get().kind == Message.Kind.CUSTOMER


def test_the_desk_refuses_it_and_offers_supervisors_the_internal_choice(client, tickets):
    team, alice, bob = tickets
    agent = AgentFactory(team=team)
    client.force_login(agent)
    url = f"/desk/tickets/{alice.reference}/actions/merge/"
    response = client.post(url, {"merge-version": alice.version, "merge-target": bob.reference})
    assert response.status_code == 403
    assert "different customers" in response.content.decode()
    assert (
        'name="merge-keep_internal"' not in client.get(f"/desk/tickets/{alice.reference}/").content.decode()
    )

    client.force_login(SupervisorFactory())
    assert 'name="merge-keep_internal"' in client.get(f"/desk/tickets/{alice.reference}/").content.decode()
    response = client.post(
        url, {"merge-version": alice.version, "merge-target": bob.reference, "merge-keep_internal": "on"}
    )
    assert response.status_code == 302
    assert bob.messages.get().kind == Message.Kind.NOTE


def test_mail_to_the_merged_ticket_never_lands_on_the_other_customers_ticket(tickets):
    from channels_intake import mailparse
    from channels_intake.services import find_thread

    _team, alice, bob = tickets
    services.merge(source_id=alice.pk, target_id=bob.pk, actor=SupervisorFactory(), keep_internal=True)
    raw = (
        f"From: alice@example.com\r\nTo: help@example.com\r\nSubject: Re: [{alice.reference}] parcel\r\n"
        "Message-ID: <r1@example.com>\r\n\r\nAny news?\r\n"
    ).encode()
    assert find_thread(mailparse.parse(raw)) is None
