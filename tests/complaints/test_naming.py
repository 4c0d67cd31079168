"""Names as the person's culture writes them, and the console's Chinese wording."""

import pytest
from django.test import Client

from complaints import naming, services
from tests.factories import TicketFactory, UserFactory


@pytest.mark.parametrize(
    ("given", "family", "written"),
    [
        ("芳", "王", "王芳"),
        ("慧敏", "欧阳", "欧阳慧敏"),
        ("Anna", "Berg", "Anna Berg"),
        ("Anna", "", "Anna"),
        ("", "王", "王"),
        ("  ", "", ""),
        ("さくら", "佐藤", "佐藤さくら"),
        ("민준", "김", "김민준"),
    ],
)
def test_full_name_follows_the_persons_culture(given: str, family: str, written: str) -> None:
    assert naming.full_name(given=given, family=family) == written


@pytest.mark.django_db
def test_staff_name_falls_back_to_the_login_for_staff_and_to_agent_for_customers() -> None:
    named = UserFactory(username="wangf", first_name="芳", last_name="王")
    bare = UserFactory(username="ops7")
    assert naming.user_name(named) == "王芳"
    assert naming.user_name(bare) == "ops7"
    assert naming.user_name(None) == ""
    assert naming.user_name_for_customers(named) == "王芳"
    assert naming.user_name_for_customers(bare) == "Agent"


@pytest.mark.django_db
def test_admin_ticket_page_reads_in_chinese(client: Client, supervisor) -> None:
    ticket = TicketFactory()
    services.add_message(ticket_id=ticket.pk, actor=supervisor, kind="note", body="内部备注")
    client.force_login(supervisor)
    page = client.get(f"/admin/complaints/ticket/{ticket.pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert "投诉受理台" in html
    assert "Complaint desk" not in html
    for english in ("Actor", "Author", "From value", "To value", "Created at"):
        assert f">{english}<" not in html, english
    assert "作者" in html
