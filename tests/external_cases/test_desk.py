"""The desk: register a forwarded case, see it on the ticket and in the queue, record the report-back."""

import pytest

from complaints.models import Ticket
from external_cases.models import ExternalCase

from .conftest import ODR_VALUES

pytestmark = pytest.mark.django_db

FORM = {
    "source": "12315-odr",
    "number": "ODR-77",
    "received_at": "2026-09-25T10:00",
    "regulator_contact": "市场监管局 王科长 010-12345678",
    "customer_name": "赵六",
    "phone": "13900001111",
    "subject": "退款一直不到账",
    "description": "消费者称退款两周未到账。",
}


@pytest.fixture
def desk(client, boss):
    client.force_login(boss)
    return client


def test_registering_a_forwarded_case_opens_a_ticket_with_its_deadline(desk, odr):
    response = desk.post("/desk/external-cases/new/", FORM)
    assert response.status_code == 302
    case = ExternalCase.objects.get(number="ODR-77")
    assert response["Location"] == f"/desk/tickets/{case.ticket.reference}/"
    page = desk.get(response["Location"]).content.decode()
    assert "ODR-77" in page and "Escalation risk" in page and "Record the report-back" in page


def test_a_case_for_an_earlier_complaint_goes_on_that_ticket(desk, odr, open_ticket):
    earlier = open_ticket()
    response = desk.post("/desk/external-cases/new/", {**FORM, "ticket_reference": earlier.reference.lower()})
    assert response.status_code == 302
    assert ExternalCase.objects.get(number="ODR-77").ticket == earlier
    assert Ticket.objects.count() == 1


def test_a_duplicate_number_is_shown_on_the_form_naming_the_ticket(desk, odr, open_ticket):
    desk.post("/desk/external-cases/new/", FORM)
    holder = ExternalCase.objects.get(number="ODR-77").ticket
    response = desk.post("/desk/external-cases/new/", {**FORM, "phone": "13900002222"})
    assert response.status_code == 400
    assert holder.reference in response.content.decode()
    assert Ticket.objects.count() == 1  # the second ticket was not left behind


def test_a_new_ticket_needs_the_customers_contact(desk, odr):
    response = desk.post("/desk/external-cases/new/", {**FORM, "phone": ""})
    assert response.status_code == 400
    assert not ExternalCase.objects.exists()


def test_the_report_back_form_asks_for_the_sources_fields_and_names_a_missing_one(desk, odr):
    desk.post("/desk/external-cases/new/", FORM)
    case = ExternalCase.objects.get(number="ODR-77")
    url = f"/desk/tickets/{case.ticket.reference}/external-cases/{case.pk}/report-back/"
    page = desk.get(url).content.decode()
    assert page.index("Handling time") < page.index("Negotiation process") < page.index("Negotiation method")
    data = {f"field_{key}": value for key, value in ODR_VALUES.items()}
    response = desk.post(url, {**data, "field_process": "", "outcome": "settled"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    response = desk.post(url, {**data, "outcome": "settled"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == ExternalCase.State.REPORTED


def test_closing_in_the_desk_before_the_report_back_shows_the_refusal(desk, odr):
    desk.post("/desk/external-cases/new/", FORM)
    ticket = ExternalCase.objects.get(number="ODR-77").ticket
    response = desk.post(
        "/desk/bulk/",
        {
            "action": "closed",
            "tickets": f"{ticket.reference}:{ticket.version}",
            "reason": "withdrawn",
            "next": "/desk/",
        },
        follow=True,
    )
    page = response.content.decode()
    assert f"{ticket.reference}: This ticket cannot be closed yet: record the report-back to" in page
    assert Ticket.objects.get(pk=ticket.pk).status != "closed"


def test_the_queue_shows_the_badges(desk, odr):
    desk.post("/desk/external-cases/new/", FORM)
    page = desk.get("/desk/", {"queue": "all"}).content.decode()
    assert "badge risk" in page and "12315" in page


def test_the_open_cases_page_lists_them_soonest_first(desk, odr):
    desk.post("/desk/external-cases/new/", FORM)
    desk.post(
        "/desk/external-cases/new/",
        {**FORM, "number": "ODR-78", "received_at": "2026-09-20T10:00", "phone": "13900003333"},
    )
    page = desk.get("/desk/external-cases/").content.decode()
    rows = page[page.index("<tbody>") :]
    assert rows.index("ODR-78") < rows.index("ODR-77")


def test_a_case_without_its_number_is_flagged_on_the_ticket_and_an_agent_fills_it_in(
    client, odr, open_ticket, agent, escalation_agent
):
    from django.utils import translation

    from external_cases import services

    ticket = open_ticket()
    case = services.register_case(
        ticket_id=ticket.pk,
        actor=None,
        source=odr,
        number="",
        received_at=ticket.created_at,
        number_to_follow=True,
    )
    ticket.refresh_from_db()  # routed to the source's escalation team
    client.force_login(escalation_agent)
    page = client.get(f"/desk/tickets/{ticket.reference}/").content.decode()
    assert "Number to be filled in" in page and 'name="number"' in page
    with translation.override("zh-hans"):
        assert translation.gettext("Number to be filled in") == "编号待补填"
    url = f"/desk/tickets/{ticket.reference}/external-cases/{case.pk}/number/"
    # An agent of another team cannot reach the ticket at all.
    client.force_login(agent)
    assert client.post(url, {"number": "ODR-STOLEN"}).status_code == 404
    client.force_login(escalation_agent)
    response = client.post(url, {"number": " odr-88 "}, follow=True)
    assert "Case number ODR-88 recorded." in response.content.decode()
    case.refresh_from_db()
    assert case.number == "ODR-88"
    assert "Number to be filled in" not in client.get(f"/desk/tickets/{ticket.reference}/").content.decode()
    again = client.post(url, {"number": "ODR-89"}, follow=True).content.decode()
    assert "already has its number" in again
