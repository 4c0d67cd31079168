"""The console's reports page: totals per category, channel, team and month for a period beside the
previous period of the same length, the downloads, who may see them, and a constant query count."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from complaints import services
from complaints.console.report_tables import Change
from complaints.models import ExportRecord
from feedback import services as feedback_services
from feedback.models import Survey
from sla.models import BusinessCalendar, SlaClock, SlaOutcome, SlaTarget
from tests.factories import (
    AgentFactory,
    CategoryFactory,
    RootCauseFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 12, 10, 0, tzinfo=SHANGHAI)
# 1 to 10 March, compared with 19 to 28 February.
PERIOD = {"period": "custom", "from": "2026-03-01", "to": "2026-03-10"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms_outbox(settings):
    settings.INTAKE = {**settings.INTAKE, "SMS_BACKEND": "channels_intake.outbound.sms.LocmemSmsBackend"}


def _day(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def history(team, agent, time_machine, django_capture_on_commit_callbacks):
    """Four tickets in late February and six in early March, one resolution with a survey in each,
    SLA clocks (1 met, 1 missed before; 3 met, 1 missed now) and one repeat now."""
    billing = TeamFactory(slug="billing", name_zh="账务部", name_en="Billing")
    network = CategoryFactory(slug="network", name_zh="网络质量", name_en="Network quality")

    def ticket(moment: dt.datetime, **fields):
        time_machine.move_to(moment, tick=False)
        return TicketFactory(**fields)

    before = [
        ticket(_day(2, 20), channel="web", team=team, category=network),
        ticket(_day(2, 21), channel="web", team=team),
        ticket(_day(2, 22), channel="email", team=billing),
        ticket(_day(2, 23), channel="email", team=billing),
    ]
    now = [
        ticket(_day(3, 1), channel="web", team=team, category=network),
        ticket(_day(3, 2), channel="web", team=team, category=network),
        ticket(_day(3, 3), channel="web", team=team),
        ticket(_day(3, 4), channel="email", team=billing),
        ticket(_day(3, 5), channel="phone", team=billing),
    ]
    now.append(ticket(_day(3, 6), channel="phone", team=billing, related_to=before[2]))

    def resolve(target, moment, **resolution):
        time_machine.move_to(moment, tick=False)
        with django_capture_on_commit_callbacks(execute=True):
            services.resolve(
                ticket_id=target.pk, actor=agent, version=None, steps_taken="Done.", **resolution
            )

    resolve(
        before[2],
        _day(2, 24),
        root_cause=RootCauseFactory(slug="billing-error", name_en="Billing error"),
        remedy="compensation",
        amount="10.00",
    )
    resolve(
        now[0],
        _day(3, 3),
        root_cause=RootCauseFactory(slug="line-fault", name_en="Line fault"),
        remedy="refund",
        amount="20.50",
    )
    for surveyed, sent_on, rating in ((before[2], _day(2, 25), 2), (now[0], _day(3, 4), 5)):
        time_machine.move_to(sent_on, tick=False)
        assert feedback_services.send_due_surveys().sent == 1
        with django_capture_on_commit_callbacks(execute=False):
            feedback_services.record_answer(
                survey_id=Survey.objects.get(ticket=surveyed).pk, rating=rating, solved=True
            )

    calendar = BusinessCalendar.objects.get(slug="24x7")
    clocks = [(before[0], _day(2, 21), "met"), (before[1], _day(2, 22), "missed")]
    clocks += [(now[0], _day(3, 2), "met"), (now[1], _day(3, 3), "met"), (now[3], _day(3, 5), "met")]
    clocks += [(now[4], _day(3, 6), "missed")]
    for target, due, outcome in clocks:
        SlaClock.objects.create(
            ticket=target,
            calendar=calendar,
            target=SlaTarget.RESOLUTION,
            target_minutes=60,
            started_at=due - dt.timedelta(hours=1),
            due_at=due,
            stopped_at=due,
            outcome=SlaOutcome(outcome),
            elapsed_seconds=1800,
        )
    time_machine.move_to(NOW, tick=False)
    return {"before": before, "now": now}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _reports(client: Client, **params):
    response = client.get("/admin/reports/", {**PERIOD, **params})
    assert response.status_code == 200
    return response.context["reports"]


def _rows(table) -> dict[str, list[tuple]]:
    return {row.key: [(c.current, c.previous, c.delta, c.percent) for c in row.cells] for row in table.rows}


def test_the_summary_compares_the_period_with_the_one_before(history, supervisor):
    reports = _reports(_client(supervisor))

    assert (reports.previous.first, reports.previous.last) == (dt.date(2026, 2, 19), dt.date(2026, 2, 28))
    summary = _rows(reports.summary)
    assert summary["received"] == [(6, 4, 2, 50.0)]
    assert summary["resolutions"] == [(1, 1, 0, 0.0)]
    assert summary["amount:CNY"] == [
        (pytest.approx(20.50), pytest.approx(10.00), pytest.approx(10.50), 105.0)
    ]
    assert summary["sla"] == [(75.0, 50.0, 25.0, 50.0)]
    assert summary["csat"] == [(100.0, 0.0, 100.0, None)]  # nothing to compare a rise from zero with
    assert summary["repeat_rate"] == [(16.7, 0.0, 16.7, None)]


def test_volume_by_channel_with_arrows(history, supervisor):
    client = _client(supervisor)
    reports = _reports(client, by="channel")

    volume = _rows(reports.table("volume"))
    assert volume == {
        "web": [(3, 2, 1, 50.0)],
        "email": [(1, 2, -1, -50.0)],
        "phone": [(2, 0, 2, None)],
    }
    html = client.get("/admin/reports/", {**PERIOD, "by": "channel"}).content.decode()
    assert '<tr data-key="email">' in html
    email_row = html.split('<tr data-key="email">')[1].split("</tr>")[0]
    assert "▼" in email_row and "-50.0%" in email_row and "down" in email_row


def test_a_rise_in_complaints_is_coloured_bad_and_a_rise_in_targets_met_good(history, supervisor):
    """Colour says good or bad news, not up or down: more tickets red, fewer green, more SLA met green."""
    client = _client(supervisor)
    reports = _reports(client, by="channel")
    summary = {row.key: row.cells[0] for row in reports.summary.rows}
    assert (summary["received"].direction, summary["received"].tone) == ("up", "bad")
    assert (summary["sla"].direction, summary["sla"].tone) == ("up", "good")
    assert summary["resolutions"].tone == ""  # neither good nor bad news
    volume = {row.key: row.cells[0] for row in reports.table("volume").rows}
    assert (volume["web"].tone, volume["email"].tone) == ("bad", "good")

    html = client.get("/admin/reports/", {**PERIOD, "by": "channel"}).content.decode()
    web_row = html.split('<tr data-key="web">')[1].split("</tr>")[0]
    email_row = html.split('<tr data-key="email">')[1].split("</tr>")[0]
    assert "console-tone-bad" in web_row and "console-tone-good" not in web_row
    assert "console-tone-good" in email_row and "console-tone-bad" not in email_row
    assert "(worse)" in web_row and "(better)" in email_row  # said, not only coloured


def test_sla_satisfaction_and_repeats_by_team(history, supervisor):
    reports = _reports(_client(supervisor), by="team")

    assert _rows(reports.table("sla")) == {
        "customer-service": [(2, 1, 1, 100.0), (0, 1, -1, -100.0), (100.0, 50.0, 50.0, 100.0)],
        "billing": [(1, 0, 1, None), (1, 0, 1, None), (50.0, None, None, None)],
    }
    csat = _rows(reports.table("csat"))
    assert csat["customer-service"][1][:2] == (100.0, None)
    assert csat["billing"][1][:2] == (None, 0.0)
    repeats = _rows(reports.table("repeats"))
    assert repeats["billing"] == [(3, 2, 1, 50.0), (1, 0, 1, None), (33.3, 0.0, 33.3, None)]
    assert [row.label for row in reports.table("volume").rows] == ["Billing", "Customer service"]


def test_causes_remedies_and_compensation_per_currency(history, supervisor):
    reports = _reports(_client(supervisor), by="category")

    assert _rows(reports.table("causes")) == {
        "line-fault": [(1, 0, 1, None)],
        "billing-error": [(0, 1, -1, -100.0)],
    }
    remedies = {
        row.label: [(c.current, c.previous) for c in row.cells] for row in reports.table("remedies").rows
    }
    assert remedies == {
        "Compensation (CNY)": [(0, 1), (0, 10)],
        "Refund (CNY)": [(1, 0), (pytest.approx(20.5), 0)],
    }
    compensation = {row.label: row.cells[1].current for row in reports.table("compensation").rows}
    assert compensation == {"Network quality (CNY)": pytest.approx(20.5), "Uncategorised (CNY)": 0}
    assert _rows(reports.table("volume"))["network"] == [(2, 1, 1, 100.0)]


def test_by_month_compares_each_month_with_the_one_before(history, supervisor):
    reports = _reports(_client(supervisor), by="month")

    [march] = reports.table("volume").rows
    assert (march.label, march.compared_with) == ("March 2026", "February 2026")
    assert [(c.current, c.previous) for c in march.cells] == [(6, 4)]
    assert [(c.current, c.previous) for c in reports.table("sla").rows[0].cells[:2]] == [(3, 1), (1, 1)]


def test_names_follow_the_language(history, supervisor):
    html = _client(supervisor).get(
        "/admin/reports/", {**PERIOD, "by": "team"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert "账务部" in html.content.decode()


def test_changes_are_shown_with_their_sign():
    assert (Change(3, 2).delta_display, Change(3, 2).percent_display, Change(3, 2).direction) == (
        "+1",
        "+50.0%",
        "up",
    )
    assert (Change(1, 4).delta, Change(1, 4).percent, Change(1, 4).direction) == (-3, -75.0, "down")
    assert Change(75.0, 50.0, "percent").delta_display == "+25.0 pts"
    assert (Change(5, 0).percent, Change(None, 2).delta, Change(2, 2).direction) == (None, None, "same")


def test_agents_are_sent_to_the_admin_login(agent):
    response = _client(agent).get("/admin/reports/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/admin/reports/")


def test_staff_without_the_ticket_permission_are_refused(db):
    staff = UserFactory(is_staff=True)

    assert _client(staff).get("/admin/reports/").status_code == 403
    assert _client(staff).get("/admin/reports/export/", {"table": "volume"}).status_code == 403


def test_the_header_links_to_the_reports(supervisor):
    html = _client(supervisor).get("/admin/complaints/ticket/").content.decode()

    assert '<a href="/admin/reports/">Reports</a>' in html


def test_a_report_table_downloads_as_csv_and_is_recorded(history, supervisor):
    response = _client(supervisor).get(
        "/admin/reports/export/", {**PERIOD, "by": "channel", "table": "volume", "format": "csv"}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == [
        "Channel",
        "Tickets received",
        "Tickets received, previous period",
        "Tickets received, change",
        "Tickets received, change in percent",
    ]
    assert ["Web form", "3", "2", "1", "50.0"] in rows
    assert ["Phone", "2", "0", "2", ""] in rows
    record = ExportRecord.objects.get()
    assert (record.user, record.subject, record.file_format, record.row_count) == (
        supervisor,
        "report:volume",
        "csv",
        3,
    )
    assert record.filters["by"] == "channel" and record.filters["from"] == "2026-03-01"


def test_a_report_table_downloads_as_xlsx(history, supervisor):
    response = _client(supervisor).get(
        "/admin/reports/export/", {**PERIOD, "table": "summary", "format": "xlsx"}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert b"".join(response.streaming_content)[:2] == b"PK"
    assert ExportRecord.objects.get().subject == "report:summary"


def test_downloads_need_the_export_permission(history):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    client = _client(viewer)

    page = client.get("/admin/reports/", PERIOD)
    assert page.status_code == 200 and "/admin/reports/export/" not in page.content.decode()
    assert (
        client.get("/admin/reports/export/", {**PERIOD, "table": "volume", "format": "csv"}).status_code
        == 403
    )
    assert not ExportRecord.objects.exists()


def test_unknown_tables_and_formats_are_not_found(supervisor):
    client = _client(supervisor)

    assert client.get("/admin/reports/export/", {"table": "weather", "format": "csv"}).status_code == 404
    assert client.get("/admin/reports/export/", {"table": "volume", "format": "pdf"}).status_code == 404


def test_the_reports_cost_the_same_queries_for_more_tickets(
    history, supervisor, time_machine, django_assert_max_num_queries
):
    client = _client(supervisor)
    client.get("/admin/reports/", {**PERIOD, "by": "team"})
    with django_assert_max_num_queries(
        109,
        info="106 today: two periods, each the registered sections (sla, satisfaction, quality, corrective "
        "actions, external cases, remedies: 4, hand-offs, the assistant's FAQ figures) and the breakdowns",
    ) as few:
        client.get("/admin/reports/", {**PERIOD, "by": "team"})
    for day in range(1, 10):
        time_machine.move_to(_day(3, day), tick=False)
        TicketFactory(
            channel="api", team=TeamFactory(), assignee=AgentFactory(), related_to=history["now"][0]
        )
    time_machine.move_to(NOW, tick=False)
    with django_assert_max_num_queries(
        len(few.captured_queries), info="the reports must not grow with the data"
    ):
        client.get("/admin/reports/", {**PERIOD, "by": "team"})
