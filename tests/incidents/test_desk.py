"""The desk's incident pages, the workspace panel, and the known-issue banner on the public pages."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from channels_intake.tokens import ticket_token
from complaints.models import Message
from incidents import services
from incidents.models import Incident, IncidentLink
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(supervisor, category):
    return services.create_incident(
        actor=supervisor,
        title_zh="海淀区基站故障",
        title_en="Base station failure in Haidian",
        notice_zh="海淀区部分用户无法上网，正在抢修。",
        notice_en="Some customers in Haidian cannot get online; repairs are under way.",
        category=category,
        region_tags=["海淀区"],
    )


@pytest.fixture
def boss_client(client, supervisor):
    client.force_login(supervisor)
    return client


@pytest.mark.parametrize(
    ("language", "heading", "status"),
    [("en", "Major incidents", "Suspected"), ("zh-hans", "重大故障", "疑似")],
)
def test_the_list_shows_open_incidents_in_both_languages(boss_client, incident, language, heading, status):
    boss_client.cookies["django_language"] = language
    page = boss_client.get("/desk/incidents/", headers={"accept-language": language}).content.decode()
    assert f"<h1>{heading}</h1>" in page
    assert status in page and f"#{incident.pk}" in page


def test_the_detail_page_has_the_chart_regions_tickets_and_timeline(boss_client, incident, open_ticket):
    ticket = open_ticket(location="海淀区中关村")
    assert IncidentLink.objects.filter(ticket=ticket, incident=incident).exists()
    page = boss_client.get(
        f"/desk/incidents/{incident.pk}/", headers={"accept-language": "en"}
    ).content.decode()
    assert "<svg" in page and page.count("<rect") >= 48
    assert ticket.reference in page
    assert re.search(r"<th scope=\"row\">海淀区</th><td>1</td>", page)
    assert "Matched when it was opened" in page


def test_a_supervisor_confirms_posts_an_update_and_resolves_from_the_desk(
    boss_client, incident, open_ticket, cause, worker, django_capture_on_commit_callbacks
):
    ticket = open_ticket(location="海淀区")
    url = f"/desk/incidents/{incident.pk}/"
    boss_client.post(reverse("incidents:status", args=[incident.pk]), {"to": "confirmed"})
    assert Incident.objects.get(pk=incident.pk).status == Incident.Status.CONFIRMED
    with django_capture_on_commit_callbacks(execute=True):
        boss_client.post(
            reverse("incidents:update", args=[incident.pk]),
            {"body_en": "Back by six.", "idempotency_key": "abc"},
        )
        boss_client.post(
            reverse("incidents:update", args=[incident.pk]),
            {"body_en": "Back by six.", "idempotency_key": "abc"},
        )
    worker.run()
    assert ticket.messages.filter(kind=Message.Kind.REPLY, body="Back by six.").count() == 1
    page = boss_client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "Sent to 1 of 1 customers" in page
    with django_capture_on_commit_callbacks(execute=True):
        answer = boss_client.post(
            reverse("incidents:resolve", args=[incident.pk]),
            {"root_cause": cause.pk, "steps_taken": "Replaced the power unit."},
            follow=True,
        )
    assert "1 linked tickets are being resolved" in answer.content.decode()
    worker.run()
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    again = boss_client.post(
        reverse("incidents:resolve", args=[incident.pk]),
        {"root_cause": cause.pk, "steps_taken": "x"},
        follow=True,
    )
    assert "already resolved" in again.content.decode()


def test_an_agent_sees_the_incident_on_the_ticket_page(client, agent, incident, open_ticket):
    ticket = open_ticket(location="海淀区")
    client.force_login(agent)
    page = client.get(
        f"/desk/tickets/{ticket.reference}/", headers={"accept-language": "en"}
    ).content.decode()
    assert 'id="incident"' in page and incident.title_en in page


def test_an_agent_cannot_confirm(client, agent, incident):
    client.force_login(agent)
    client.post(reverse("incidents:status", args=[incident.pk]), {"to": "confirmed"})
    assert Incident.objects.get(pk=incident.pk).status == Incident.Status.SUSPECTED


@pytest.mark.parametrize("path", ["/", "/submit/", "/track/"])
def test_the_public_pages_show_a_confirmed_incidents_notice(client, incident, supervisor, path):
    assert "known-issues" not in client.get(path).content.decode()  # suspected: not announced yet
    services.confirm(incident_id=incident.pk, actor=supervisor)
    with translation.override("zh-hans"):
        page = client.get(path, headers={"accept-language": "zh-hans"}).content.decode()
    assert "海淀区部分用户无法上网，正在抢修。" in page


def test_the_customers_ticket_page_shows_only_its_categorys_issue(client, incident, supervisor, open_ticket):
    services.confirm(incident_id=incident.pk, actor=supervisor)
    mine = open_ticket(location="海淀区")
    elsewhere = open_ticket(
        category=CategoryFactory(slug="billing-x"), subject="账单", description="多扣了费用"
    )
    assert "正在抢修" in client.get(f"/t/{ticket_token(mine)}/").content.decode()
    assert "正在抢修" not in client.get(f"/t/{ticket_token(elsewhere)}/").content.decode()


def test_the_incident_report_counts_channels_times_and_customers_told_and_downloads_as_csv(
    boss_client, incident, open_ticket, supervisor, cause, worker, django_capture_on_commit_callbacks
):
    web = open_ticket(location="海淀区")
    mail = open_ticket(location="海淀区", channel="email")
    services.confirm(incident_id=incident.pk, actor=supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_update(
            incident_id=incident.pk, actor=supervisor, body_en="Back by six.", idempotency_key="u1"
        )
    worker.run()
    with django_capture_on_commit_callbacks(execute=True):
        services.resolve_incident(
            incident_id=incident.pk, actor=supervisor, root_cause=cause, steps_taken="Fixed."
        )
    worker.run()
    url = f"/desk/incidents/{incident.pk}/"
    page = boss_client.get(url, headers={"accept-language": "en"}).content.decode()
    report = page[page.index('id="report"') :]
    assert "2 (0 open, 2 resolved)" in report
    assert re.search(r"<th scope=\"row\">Web form</th><td>1</td>", report)
    assert re.search(r"<th scope=\"row\">E-mail</th><td>1</td>", report)
    assert "2 customers, by 1 public update" in report
    assert "median 0.0 min" in report
    assert "Satisfaction (CSAT)" in report and "0 of 0 surveys answered" in report  # none sent yet
    # Both customers' surveys reach them; one answers 5 of 5 (the feedback app's figures).
    from django.utils import timezone

    from feedback.models import Survey, SurveyAnswer

    now = timezone.now()
    Survey.objects.filter(ticket__in=[web, mail]).update(sent_at=now)
    SurveyAnswer.objects.create(
        survey=Survey.objects.get(ticket=web), rating=5, answered_at=now, updated_at=now, edit_until=now
    )
    report = boss_client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "100.0 % · 1 of 2 surveys answered" in report
    boss_client.cookies["django_language"] = "zh-hans"
    zh = boss_client.get(url, headers={"accept-language": "zh-hans"}).content.decode()
    assert "故障报告" in zh and "已告知客户" in zh and "2 位客户" in zh

    response = boss_client.get(reverse("incidents:report_csv", args=[incident.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(rows) == 3  # the header (in the reader's language) and one row per linked ticket
    assert {row.split(",")[0] for row in rows[1:]} == {web.reference, mail.reference}
    assert all(row.split(",")[10] == "1" for row in rows[1:])  # one update each


def test_the_report_csv_lists_only_tickets_the_reader_may_see(client, incident, open_ticket, other_agent):
    open_ticket(location="海淀区")
    client.force_login(other_agent)
    response = client.get(reverse("incidents:report_csv", args=[incident.pk]))
    assert response.status_code == 200
    assert len(b"".join(response.streaming_content).decode("utf-8-sig").splitlines()) == 1
