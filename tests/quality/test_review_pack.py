"""The monthly management review pack: its figures on the console page, the same figures in a real
PDF, the other apps' sections, and the mail to the Supervisors on the first working day, once."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from complaints.models import Resolution, StaffPreference
from quality import review_pack
from quality.models import CorrectiveAction, ReviewPackDelivery
from quality.review_pack import Month
from sla.models import BusinessCalendar, SlaClock, SlaTarget
from tests.factories import AgentFactory, CategoryFactory, RootCauseFactory, SupervisorFactory, TicketFactory

from .factories import inspector, rated, scorecard
from .pdf_text import pdf_text

URL = "/admin/quality/review-pack/"
NOVEMBER = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
OCTOBER = datetime(2026, 10, 20, 3, 0, tzinfo=UTC)


def _clock(ticket, *, outcome: str, due_at: datetime) -> SlaClock:
    return SlaClock.objects.create(
        ticket=ticket,
        calendar=BusinessCalendar.objects.get(slug="24x7"),
        target=SlaTarget.RESOLUTION,
        target_minutes=60,
        started_at=due_at - timedelta(hours=1),
        due_at=due_at,
        stopped_at=due_at,
        outcome=outcome,
        elapsed_seconds=1800,
    )


@pytest.fixture
def november(db):
    """November 2026: 5 web and 2 e-mail complaints (October: 3 web), 3 of 4 survey answers satisfied,
    3 resolutions on one cause (October: 1), a 3 of 4 SLA targets met, one scored review (60 %),
    one overdue corrective action."""
    billing = CategoryFactory(slug="billing", name_zh="计费", name_en="Billing")
    cause = RootCauseFactory(slug="wrong-tariff", name_zh="资费配置错误", name_en="Wrong tariff set up")
    agent = AgentFactory(username="wang-fang", first_name="芳", last_name="王")
    with time_machine.travel(OCTOBER, tick=False):
        october = [TicketFactory(channel="web", category=billing) for _ in range(3)]
        Resolution.objects.create(ticket=october[0], root_cause=cause, steps_taken="Fixed.")
    with time_machine.travel(NOVEMBER, tick=False):
        tickets = [TicketFactory(channel="web", category=billing, assignee=agent) for _ in range(5)]
        tickets += [TicketFactory(channel="email") for _ in range(2)]
        for ticket in tickets[:3]:
            Resolution.objects.create(
                ticket=ticket,
                root_cause=cause,
                steps_taken="Fixed.",
                remedy=Resolution.Remedy.REFUND,
                amount=Decimal("25.50"),
                currency="CNY",
            )
        for ticket, rating in zip(tickets[3:], (5, 4, 4, 1), strict=True):
            rated(ticket, rating)
        for ticket, outcome in zip(tickets[:4], ("met", "met", "met", "missed"), strict=True):
            _clock(ticket, outcome=outcome, due_at=NOVEMBER)
        card = scorecard()
        qa = inspector("qa-zhao")
        from quality.models import Review
        from quality.services import CriterionScore, submit_review

        review = Review.objects.create(
            ticket=tickets[0], week_start=date(2026, 11, 9), reason="random", agent=agent, scorecard=card
        )
        criteria = list(card.criteria.all())
        submit_review(
            review_id=review.pk,
            actor=qa,
            scores={c.pk: CriterionScore(3 if c.max_points == 5 else 1) for c in criteria},
        )
    CorrectiveAction.objects.create(
        title="Check tariffs before launch",
        problem="Tariffs set up wrong.",
        root_cause=cause,
        action="A second person checks every new tariff.",
        owner=SupervisorFactory(username="boss"),
        due_date=date(2026, 11, 20),
    )
    return tickets


@time_machine.travel(datetime(2026, 12, 2, 2, 0, tzinfo=UTC), tick=False)
def test_the_pack_shows_the_months_figures_beside_the_month_before(client, supervisor, november):
    client.force_login(supervisor)
    response = client.get(URL, {"month": "2026-11"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Management review: November 2026" in page
    body = response.context["pack"]
    assert body["volumes"]["total"] == 7 and body["volumes"]["previous"] == 3
    channels = {row["channel"]: (row["count"], row["previous"]) for row in body["volumes"]["by_channel"]}
    assert channels == {"web": (5, 3), "email": (2, 0)}
    assert body["sla"]["compliance"] == 75.0
    assert body["satisfaction"]["csat"] == 75.0
    # The survey factory files its tickets under another cause ("Cause"), new this month.
    assert [(row["name"], row["count"], row["change"]) for row in body["root_causes"]] == [
        ("Cause", 4, 4),
        ("Wrong tariff set up", 3, 2),
    ]
    assert body["quality"]["average_score"] == 68.0
    assert [row["action"].title for row in body["corrective_actions"]["open"]] == [
        "Check tariffs before launch"
    ]
    # What a supervisor reads on the page.
    assert 'data-channel="web"' in page and "Wrong tariff set up" in page
    assert "75.0%" in page and "68.0%" in page and "76.50 CNY" in page
    assert "Check tariffs before launch" in page and "(overdue)" in page
    # Charts drawn on the server; no inline script (the CSP refuses it), no outside host.
    assert page.count('class="console-chart console-line"') == 2  # CSAT by month, quality by week
    assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", page)
    assert f'href="{URL}?month=2026-11&amp;format=pdf"' in page


@time_machine.travel(datetime(2026, 12, 2, 2, 0, tzinfo=UTC), tick=False)
def test_the_pdf_is_a_real_pdf_with_the_figures_of_the_page(client, supervisor, november):
    client.force_login(supervisor)
    response = client.get(URL, {"month": "2026-11", "format": "pdf"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="review-pack-2026-11.pdf"'
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    for figure in ("Management review: November 2026", "75.0%", "68.0%", "76.50 CNY", "Wrong tariff set up"):
        assert figure in text, figure
    assert "Check tariffs before launch" in text


@time_machine.travel(datetime(2026, 12, 2, 2, 0, tzinfo=UTC), tick=False)
def test_the_pdf_is_in_the_readers_language_with_chinese_text(client, supervisor, november):
    client.force_login(supervisor)
    response = client.get(URL, {"month": "2026-11", "format": "pdf"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = pdf_text(response.content)
    assert "管理评审" in text and "资费配置错误" in text and "75.0%" in text


@time_machine.travel(datetime(2026, 12, 2, 2, 0, tzinfo=UTC), tick=False)
def test_a_month_that_is_not_one_is_refused_in_the_form(client, supervisor):
    client.force_login(supervisor)
    for value, message in (("November", "e.g. 2026-11"), ("2027-01", "has not begun yet")):
        response = client.get(URL, {"month": value}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert message in response.content.decode()
        assert response.context["pack"]["month"] == Month(date(2026, 11, 1))


def test_only_supervisors_see_the_pack(client, db):
    agent = AgentFactory(is_staff=True)
    client.force_login(agent)
    assert client.get(URL).status_code == 403
    client.logout()
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@time_machine.travel(datetime(2026, 12, 2, 2, 0, tzinfo=UTC), tick=False)
def test_other_apps_sections_are_shown(client, supervisor, monkeypatch):
    monkeypatch.setitem(
        review_pack.SECTIONS,
        "incidents",
        lambda month: {
            "title": f"Incidents of {month.key}",
            "template": "quality/pack/_external_cases.html",
            "rows": [],
        },
    )
    client.force_login(supervisor)
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Incidents of 2026-11" in page
    # external_cases registers its stats section in complaints.extensions; the pack shows it as it is.
    assert "Regulator and platform cases" in page


# --- the monthly mail ---------------------------------------------------------------------------


@pytest.fixture
def worker(monkeypatch):
    """The Celery worker: the queued mail job runs when the transaction commits."""
    from quality import tasks

    monkeypatch.setattr(
        tasks.mail_review_pack,
        "delay",
        lambda delivery_id: review_pack.mail_review_pack(delivery_id=delivery_id),
    )


def _shanghai(day: int, hour: int, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour - 8, 0, tzinfo=UTC)


def test_the_pack_is_due_when_the_months_first_working_day_begins(db):
    # October 2026: National Day and its adjusted days off run to the 7th; the 8th is the first working day.
    assert review_pack.first_working_moment(Month(date(2026, 10, 1))) == _shanghai(8, 9)
    # December 2026 begins on a Tuesday, an ordinary working day.
    assert review_pack.first_working_moment(Month(date(2026, 12, 1))) == _shanghai(1, 9, month=12)


def test_the_pack_goes_to_the_supervisors_once_on_the_first_working_day(
    db, worker, django_capture_on_commit_callbacks
):
    chen = SupervisorFactory(username="chen", email="chen@staff.example.com")
    StaffPreference.objects.create(user=chen, language="zh-hans")
    SupervisorFactory(username="mary", email="mary@staff.example.com")
    SupervisorFactory(username="no-mail", email="")
    AgentFactory(username="not-a-supervisor")
    for moment in (_shanghai(1, 10), _shanghai(7, 23)):
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            assert review_pack.claim_due_delivery() is None
    assert mail.outbox == [] and not ReviewPackDelivery.objects.exists()

    with time_machine.travel(_shanghai(8, 9), tick=False), django_capture_on_commit_callbacks(execute=True):
        delivery = review_pack.claim_due_delivery()
    assert delivery is not None and delivery.month == date(2026, 9, 1)
    by_recipient = {tuple(message.to): message for message in mail.outbox}
    assert set(by_recipient) == {("chen@staff.example.com",), ("mary@staff.example.com",)}
    chinese, english = by_recipient[("chen@staff.example.com",)], by_recipient[("mary@staff.example.com",)]
    assert "管理评审" in chinese.subject and "2026年9月" in chinese.subject
    assert english.subject == "Management review pack: September 2026"
    for message in (chinese, english):
        ((filename, content, mimetype),) = message.attachments
        assert filename == "review-pack-2026-09.pdf" and mimetype == "application/pdf"
        assert content.startswith(b"%PDF-")
        assert "/admin/quality/review-pack/?month=2026-09" in message.body
    assert "管理评审：2026年9月" in pdf_text(chinese.attachments[0].content)
    assert "Management review: September 2026" in pdf_text(english.attachments[0].content)
    assert ReviewPackDelivery.objects.get().recipients == 2

    # Later runs that month (every hour, or a second beat) send nothing more.
    for moment in (_shanghai(8, 10), _shanghai(20, 12)):
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            assert review_pack.claim_due_delivery() is None
    assert len(mail.outbox) == 2


def test_a_failed_send_gives_the_claim_back_for_the_next_run(
    db, worker, monkeypatch, django_capture_on_commit_callbacks
):
    SupervisorFactory(username="mary", email="mary@staff.example.com")
    server_down = True
    send = mail.EmailMessage.send

    def flaky_send(message, *args, **kwargs):
        if server_down:
            raise ConnectionRefusedError("SMTP server down")
        return send(message, *args, **kwargs)

    monkeypatch.setattr(mail.EmailMessage, "send", flaky_send)
    with (
        time_machine.travel(_shanghai(8, 9), tick=False),
        pytest.raises(ConnectionRefusedError),
        django_capture_on_commit_callbacks(execute=True),
    ):
        review_pack.claim_due_delivery()
    assert not ReviewPackDelivery.objects.exists()
    server_down = False
    with time_machine.travel(_shanghai(8, 10), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert review_pack.claim_due_delivery() is not None
    assert [message.to for message in mail.outbox] == [["mary@staff.example.com"]]


def test_the_months_confirmed_incidents_are_in_the_pack_with_their_complaints(client, supervisor):
    from incidents.models import Incident, IncidentLink

    def incident(title: str, **times) -> Incident:
        return Incident.objects.create(title_en=title, title_zh=f"{title}（中）", **times)

    outage = incident(
        "Fibre cut in Pudong",
        started_at=datetime(2026, 11, 3, 1, 0, tzinfo=UTC),
        confirmed_at=datetime(2026, 11, 3, 1, 30, tzinfo=UTC),
        resolved_at=datetime(2026, 11, 3, 7, 0, tzinfo=UTC),
        status=Incident.Status.RESOLVED,
    )
    for _n in range(3):
        IncidentLink.objects.create(incident=outage, ticket=TicketFactory())
    incident("Only suspected", started_at=datetime(2026, 11, 5, tzinfo=UTC))
    incident(
        "Over in October",
        started_at=datetime(2026, 10, 1, tzinfo=UTC),
        confirmed_at=datetime(2026, 10, 1, 1, tzinfo=UTC),
        resolved_at=datetime(2026, 10, 2, tzinfo=UTC),
        status=Incident.Status.RESOLVED,
    )
    client.force_login(supervisor)
    response = client.get(URL, {"month": "2026-11"}, HTTP_ACCEPT_LANGUAGE="en")
    [section] = [s for s in response.context["pack"]["sections"] if s["key"] == "incidents"]
    assert [(row["title"], row["tickets"], row["hours_to_resolve"]) for row in section["rows"]] == [
        ("Fibre cut in Pudong", 3, 6.0)
    ]
    page = response.content.decode()
    assert "Major incidents" in page and "Fibre cut in Pudong" in page
    assert "1 confirmed incident in the month, with 3 linked complaints." in page
    zh = client.get(URL, {"month": "2026-11"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Fibre cut in Pudong（中）" in zh and "重大故障" in zh and "关联投诉" in zh
