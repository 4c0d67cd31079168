"""The whole path through the desk (issue 19): an agent proposes a 300 CNY refund while resolving, the
team lead approves it in /desk/approvals/, the customer is told, the fulfilment falls due, its owner
is warned once, finance records it done with a reference, and the customer's page says so."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channels_intake import tokens
from complaints.models import Message
from complaints.states import Status
from remedies import services
from remedies.models import Fulfilment, Remedy
from tests.complaints.portal_helpers import post_action

from .conftest import signed_in

pytestmark = pytest.mark.django_db


def test_propose_approve_tell_warn_once_fulfil_and_show_the_customer(
    ticket, agent, lead, supervisor, cause, rule, deliveries, worker, django_capture_on_commit_callbacks
):
    deliveries.run()
    mail.outbox.clear()
    desk = signed_in(agent)

    # The agent resolves with a 300 CNY refund: above the agent's 50, within the lead's 500.
    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(
            desk,
            ticket,
            "resolve",
            root_cause=cause.pk,
            steps_taken="Refunded the second charge.",
            remedy="refund",
            amount="300.00",
        )
    assert response.status_code == 302
    deliveries.run()
    ticket.refresh_from_db()
    remedy = Remedy.objects.get(ticket=ticket)
    assert (remedy.state, remedy.amount, remedy.required_level) == (Remedy.State.AWAITING_APPROVAL, 300, 1)
    assert ticket.status != Status.RESOLVED and not ticket.resolutions.exists()
    assert mail.outbox == []  # the customer is not told yet
    worker.run()
    [asked] = mail.outbox  # the team's lead is asked to approve (the supervisor only sees the queue)
    assert asked.to == [lead.email] and "awaiting your approval" in asked.subject
    assert "/desk/approvals/" in asked.body
    mail.outbox.clear()
    page = desk.get(reverse("desk:ticket", args=[ticket.reference])).content.decode()
    assert "Awaiting approval" in page and "Refund 300.00 CNY" in page

    # The lead sees it in the approvals queue and approves it.
    approvals = signed_in(lead)
    queue = approvals.get(reverse("remedies:approvals")).content.decode()
    assert ticket.reference in queue and "Refund" in queue
    with django_capture_on_commit_callbacks(execute=True):
        response = approvals.post(
            reverse("remedies:approve", args=[remedy.pk]),
            {f"a{remedy.pk}-amount": "300.00", f"a{remedy.pk}-reason": ""},
        )
    assert response.status_code == 302
    deliveries.run()
    ticket.refresh_from_db()
    remedy.refresh_from_db()
    assert remedy.state == Remedy.State.APPROVED and remedy.decided_by == lead
    assert ticket.status == Status.RESOLVED
    resolution = ticket.resolutions.get()
    assert (resolution.remedy, resolution.amount, resolution.resolved_by) == ("refund", 300, agent)
    [told] = [m for m in mail.outbox if m.to == ["li.lei@example.com"]]
    assert "Refund · 300.00 CNY" in told.body
    notes = list(Message.objects.filter(ticket=ticket, kind=Message.Kind.NOTE).values_list("body", flat=True))
    assert any("Remedy proposed: Refund 300.00 CNY" in n for n in notes)
    assert any("Remedy approved by" in n for n in notes)

    # The fulfilment falls due in 7 days; past it the owner is warned exactly once.
    item = remedy.fulfilment
    assert item.state == Fulfilment.State.PENDING
    assert timedelta(days=6, hours=23) < item.due_at - remedy.decided_at <= timedelta(days=7)
    mail.outbox.clear()
    with time_machine.travel(item.due_at + timedelta(minutes=1)):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.warn_overdue() == [item.pk]
        with django_capture_on_commit_callbacks(execute=True):
            assert services.warn_overdue() == []
    worker.run()
    [warning] = mail.outbox
    assert (
        warning.to == [agent.email] and ticket.reference in warning.subject and "overdue" in warning.subject
    )

    # Finance records it done with the reference; the customer's page shows it (both languages).
    services.fulfil(fulfilment_id=item.pk, actor=supervisor, reference="TXN-2026-0042")
    item.refresh_from_db()
    assert (item.state, item.reference) == (Fulfilment.State.DONE, "TXN-2026-0042")
    url = reverse("public:ticket", args=[tokens.ticket_token(ticket)])
    today = timezone.localdate()
    english = Client().get(url).content.decode()
    assert "Refund of 300.00 CNY: done on" in english
    chinese_reader = Client()
    chinese_reader.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = chinese_reader.get(url).content.decode()
    assert f"退款 300.00 CNY：已于{today.year}年" in chinese
