"""Resolving a complaint tells the customer on their channel: cause, what was done, the remedy, and
links to confirm or dispute, in their language (issue 24, item 2)."""

import pytest
from django.core import mail

from channels_intake.models import OutboundMessage
from complaints import services
from complaints.models import Message, Resolution, Team, Ticket
from tests.factories import AgentFactory, RootCauseFactory, TeamFactory

pytestmark = pytest.mark.django_db


def open_complaint(*, email: str = "", phone: str = "", language: str = "en") -> Ticket:
    return services.open_ticket(
        actor=None,
        channel=Ticket.Channel.WEB,
        customer=services.CustomerDetails(name="李雷", email=email, phone=phone, language=language),
        subject="Charged twice for order 42",
        description="I was charged twice.",
    ).ticket


@pytest.fixture
def agent(db):
    team = TeamFactory(slug="billing", name_en="Billing", name_zh="账务")
    return AgentFactory(username="wfang", first_name="芳", last_name="王", team=team)


@pytest.fixture
def cause(db):
    return RootCauseFactory(
        slug="double-charge", name_en="A billing error on our side", name_zh="我方计费错误"
    )


def resolve(ticket: Ticket, agent, cause, django_capture_on_commit_callbacks, **extra) -> Resolution:
    team = Team.objects.get(slug="billing")
    services.reroute(ticket_id=ticket.pk, actor=None, team=team, version=None, reason="billing")
    with django_capture_on_commit_callbacks(execute=True):
        return services.resolve(
            ticket_id=ticket.pk,
            actor=agent,
            version=None,
            root_cause=cause,
            steps_taken="<p>Refunded the second charge.</p><p>Fixed the payment retry.</p>",
            **{"remedy": Resolution.Remedy.REFUND, "amount": "39.00", **extra},
        )


def test_resolving_mails_the_cause_steps_remedy_and_answer_links(
    agent, cause, deliveries, django_capture_on_commit_callbacks
):
    ticket = open_complaint(email="li.lei@example.com")
    deliveries.run()
    mail.outbox.clear()

    resolution = resolve(ticket, agent, cause, django_capture_on_commit_callbacks)
    deliveries.run()

    delivery = OutboundMessage.objects.get(purpose=OutboundMessage.Purpose.RESOLUTION)
    assert delivery.state == OutboundMessage.State.SENT and delivery.resolution == resolution
    [sent] = mail.outbox
    assert sent.to == ["li.lei@example.com"]
    assert sent.subject == f"[{ticket.reference}] Resolved: Charged twice for order 42"
    text = sent.body
    assert "Cause: A billing error on our side" in text
    assert "Refunded the second charge.\nFixed the payment retry." in text and "<p>" not in text
    assert "Remedy: Refund · 39.00 CNY" in text
    assert "/t/" in text and "#resolution" in text and "#dispute" in text
    html_body = sent.alternatives[0][0]
    assert "Yes, my problem is solved" in html_body and 'href="http' in html_body
    # Nothing of it is written on the ticket's conversation: it is a notice, not a message.
    assert not Message.objects.filter(ticket=ticket, kind=Message.Kind.REPLY).exists()


def test_the_notice_is_in_the_customers_language(
    agent, cause, deliveries, django_capture_on_commit_callbacks
):
    ticket = open_complaint(email="li.lei@example.com", language="zh-hans")
    deliveries.run()
    mail.outbox.clear()

    resolve(
        ticket, agent, cause, django_capture_on_commit_callbacks, remedy=Resolution.Remedy.APOLOGY, amount=0
    )
    deliveries.run()

    [sent] = mail.outbox
    assert "已处理" in sent.subject
    assert "原因：我方计费错误" in sent.body
    assert "补救方式：" in sent.body and "39.00" not in sent.body
    assert "您的问题解决了吗" in sent.body


def test_a_phone_only_customer_gets_the_resolution_by_sms(
    agent, cause, capsys, deliveries, django_capture_on_commit_callbacks, settings
):
    settings.DEBUG = True  # the console SMS backend delivers only in development
    ticket = open_complaint(phone="13800138000")
    deliveries.run()
    capsys.readouterr()

    resolve(ticket, agent, cause, django_capture_on_commit_callbacks)
    deliveries.run()

    delivery = OutboundMessage.objects.get(purpose=OutboundMessage.Purpose.RESOLUTION)
    assert (
        delivery.transport == OutboundMessage.Transport.SMS and delivery.state == OutboundMessage.State.SENT
    )
    out = capsys.readouterr().out
    assert "SMS to 13800138000" in out
    assert f"[{ticket.reference}] Your complaint is resolved." in out
    assert "A billing error on our side" in out and "39.00 CNY" in out and "/t/" in out


def test_each_resolution_is_told_once_even_when_the_event_is_handled_twice(
    agent, cause, deliveries, django_capture_on_commit_callbacks
):
    from channels_intake import outbound

    ticket = open_complaint(email="li.lei@example.com")
    resolve(ticket, agent, cause, django_capture_on_commit_callbacks)
    event = ticket.events.get(kind="resolved")
    outbound.queue_resolution(ticket=ticket, event=event)  # a second handling of the same event
    deliveries.run()
    deliveries.run()

    assert OutboundMessage.objects.filter(purpose=OutboundMessage.Purpose.RESOLUTION).count() == 1

    # Disputed and resolved again: the new resolution is told too.
    with django_capture_on_commit_callbacks(execute=True):
        services.dispute(ticket_id=ticket.pk, actor=None, reason="Still charged twice.")
    with django_capture_on_commit_callbacks(execute=True):
        services.resolve(
            ticket_id=ticket.pk, actor=agent, version=None, root_cause=cause, steps_taken="Refunded again."
        )
    deliveries.run()
    assert OutboundMessage.objects.filter(purpose=OutboundMessage.Purpose.RESOLUTION).count() == 2
