"""A customer who may dispute a resolution is told where else they may turn (12315, the MIIT appeal
centre 12300), as the installation configured it on its external sources: in the resolution's mail and
on their ticket page, in their language (issue 18)."""

import pytest
from django.core import mail

from channels_intake.tokens import ticket_token
from complaints import services
from complaints.models import Ticket
from external_cases.models import ExternalSource
from tests.factories import RootCauseFactory

pytestmark = pytest.mark.django_db

MIIT_ZH = "工业和信息化部电信用户申诉受理中心申诉（电话 12300）"
MIIT_EN = "MIIT Telecom User Appeal Centre (phone 12300)"


def resolved(open_ticket, agent, language: str, django_capture_on_commit_callbacks) -> Ticket:
    ticket = open_ticket(email=f"{language}@example.com")
    ticket.customer.preferred_language = language
    ticket.customer.save(update_fields=["preferred_language"])
    with django_capture_on_commit_callbacks(execute=True):
        services.resolve(
            ticket_id=ticket.pk,
            actor=agent,
            version=None,
            root_cause=RootCauseFactory(),
            steps_taken="Restored the line.",
        )
    return Ticket.objects.get(pk=ticket.pk)


@pytest.mark.parametrize(
    ("language", "heading", "miit", "odr"),
    [
        ("en", "If you are still not satisfied:", MIIT_EN, "national 12315 platform"),
        ("zh-hans", "如果您仍不满意：", MIIT_ZH, "全国 12315 平台"),
    ],
)
def test_the_resolution_mail_names_the_outside_routes_in_the_customers_language(
    open_ticket, agent, deliveries, django_capture_on_commit_callbacks, language, heading, miit, odr
):
    ticket = resolved(open_ticket, agent, language, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    deliveries.run()
    [notice] = [m for m in mail.outbox if m.to == [f"{language}@example.com"] and "12300" in m.body]
    assert heading in notice.body
    assert miit in notice.body and odr in notice.body
    html_body = notice.alternatives[0][0]
    assert heading in html_body and miit in html_body
    assert ticket.reference in notice.subject


def test_the_ticket_page_names_them_before_and_after_a_dispute_and_not_once_emptied(
    open_ticket, agent, client, django_capture_on_commit_callbacks
):
    ticket = resolved(open_ticket, agent, "en", django_capture_on_commit_callbacks)
    page = f"/t/{ticket_token(ticket)}/"
    html = client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "If you are still not satisfied" in html and MIIT_EN in html
    services.dispute(ticket_id=ticket.pk, reason="Still down.")
    # The page speaks the customer's language: a customer who reads Chinese gets the Chinese routes.
    ticket.customer.preferred_language = "zh-hans"
    ticket.customer.save(update_fields=["preferred_language"])
    html = client.get(page).content.decode()
    assert "如果您仍不满意" in html and MIIT_ZH in html
    # An installation that is no telecom operator removes the MIIT route: it is gone from the page.
    ExternalSource.objects.filter(slug="miit-appeal").update(customer_route_zh="", customer_route_en="")
    html = client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "12300" not in html and "12315" in html


def test_a_route_text_is_escaped(open_ticket, agent, client, django_capture_on_commit_callbacks):
    ExternalSource.objects.filter(slug="12315-odr").update(customer_route_en="<script>alert(1)</script>")
    ticket = resolved(open_ticket, agent, "en", django_capture_on_commit_callbacks)
    html = client.get(f"/t/{ticket_token(ticket)}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
