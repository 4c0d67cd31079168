"""Staff choose their language once: the desk and the console follow it, and so does their e-mail."""

import pytest
from django.core import mail
from django.test import Client

from complaints import notifications, preferences, services
from complaints.errors import ComplaintError
from complaints.events import EventKind
from complaints.models import StaffPreference, Ticket
from tests.factories import AgentFactory, TeamFactory

pytestmark = pytest.mark.django_db

CHINESE_QUEUE, ENGLISH_QUEUE = "我的未结工单", "My open tickets"


def test_the_desk_follows_the_stored_language_over_the_browsers(client: Client, agent) -> None:
    preferences.set_staff_language(user=agent, language="zh-hans")
    client.force_login(agent)
    page = client.get("/desk/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert CHINESE_QUEUE in page and ENGLISH_QUEUE not in page
    assert client.get("/desk/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "zh-hans"


def test_without_a_stored_language_the_browser_decides(client: Client, agent) -> None:
    client.force_login(agent)
    assert ENGLISH_QUEUE in client.get("/desk/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert CHINESE_QUEUE in client.get("/desk/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_switching_language_in_the_desk_stores_it_as_theirs(client: Client, agent) -> None:
    client.force_login(agent)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/desk/"})
    assert response.status_code == 302
    assert StaffPreference.objects.get(user=agent).language == "en"
    # Another browser (no cookie, Chinese preferred) signs in: still English.
    other = Client()
    other.force_login(agent)
    assert ENGLISH_QUEUE in other.get("/desk/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_a_session_from_before_the_preference_reads_it_once(client: Client, agent) -> None:
    client.force_login(agent)
    session = client.session
    del session[preferences.SESSION_KEY]
    session.save()
    StaffPreference.objects.create(user=agent, language="en")
    assert ENGLISH_QUEUE in client.get("/desk/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert client.session[preferences.SESSION_KEY] == "en"


def test_an_unknown_language_is_refused() -> None:
    agent = AgentFactory()
    with pytest.raises(ComplaintError, match="xx"):
        preferences.set_staff_language(user=agent, language="xx")
    assert not StaffPreference.objects.exists()


def test_a_supervisor_sets_a_staff_members_language_in_the_console(client: Client, supervisor) -> None:
    supervisor.is_superuser = True
    supervisor.save(update_fields=["is_superuser"])
    agent = AgentFactory(username="wangfang", first_name="芳", last_name="王")
    client.force_login(supervisor)
    url = f"/admin/auth/user/{agent.pk}/change/"
    form = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="staff_preference-0-language"' in form
    data = {
        "username": agent.username,
        "first_name": agent.first_name,
        "last_name": agent.last_name,
        "email": agent.email,
        "is_active": "on",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00",
        "staff_preference-TOTAL_FORMS": "1",
        "staff_preference-INITIAL_FORMS": "0",
        "staff_preference-MIN_NUM_FORMS": "0",
        "staff_preference-MAX_NUM_FORMS": "1",
        "staff_preference-0-language": "en",
        "staff_preference-0-user": str(agent.pk),
        "_save": "Save",
    }
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302, response.content.decode()[:3000]
    assert StaffPreference.objects.get(user=agent).language == "en"
    listing = client.get("/admin/auth/user/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "English" in listing


def test_a_staff_mail_is_written_in_each_recipients_language() -> None:
    team = TeamFactory()
    lead_zh = AgentFactory(team=team, team__role="lead", email="lead.zh@staff.example.com")
    lead_en = AgentFactory(team=team, team__role="lead", email="lead.en@staff.example.com")
    preferences.set_staff_language(user=lead_zh, language="zh-hans")
    preferences.set_staff_language(user=lead_en, language="en")
    opened = services.open_ticket(
        actor=None,
        channel=Ticket.Channel.WEB,
        customer=services.CustomerDetails(name="李雷", email="li@example.com"),
        subject="宽带断了",
        description="三天没有网络。",
        default_team=team,
    )
    ticket = Ticket.objects.get(pk=opened.ticket.pk)
    services.escalate(ticket_id=ticket.pk, actor=None, version=None, reason="Regulator mentioned")
    event = ticket.events.filter(kind=EventKind.ESCALATED).latest("pk")
    mail.outbox.clear()
    assert notifications.notify_staff_of_event(event_id=event.pk) >= 2
    by_recipient = {address: sent for sent in mail.outbox for address in sent.to}
    chinese, english = by_recipient["lead.zh@staff.example.com"], by_recipient["lead.en@staff.example.com"]
    assert chinese is not english
    assert "主题" in chinese.body and "Subject" not in chinese.body
    assert "Subject" in english.body and "主题" not in english.body
    assert "UTC+08:00" in english.body  # when it happened, with the zone


def test_the_staff_mail_names_the_actor_as_their_culture_writes_it() -> None:
    team = TeamFactory()
    agent = AgentFactory(team=team, email="agent@staff.example.com")
    actor = AgentFactory(team=team, team__role="lead", first_name="芳", last_name="王")
    opened = services.open_ticket(
        actor=None,
        channel=Ticket.Channel.WEB,
        customer=services.CustomerDetails(name="Li", email="li@example.com"),
        subject="Router",
        description="It blinks.",
        default_team=team,
    )
    ticket = Ticket.objects.get(pk=opened.ticket.pk)
    services.assign(ticket_id=ticket.pk, actor=actor, assignee=agent, version=None)
    event = ticket.events.filter(kind=EventKind.ASSIGNED).latest("pk")
    mail.outbox.clear()
    assert notifications.notify_staff_of_event(event_id=event.pk) == 1
    assert "王芳" in mail.outbox[0].body and "芳 王" not in mail.outbox[0].body
