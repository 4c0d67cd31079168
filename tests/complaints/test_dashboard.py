"""The supervisor dashboard on the admin index: figures per channel, status, age and SLA state,
links that list exactly the counted tickets, satisfaction, workload, the period chooser, and a
constant number of queries."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from complaints import services
from feedback import services as feedback_services
from feedback.models import Survey
from sla.models import BusinessCalendar, SlaClock, SlaOutcome, SlaTarget
from tests.factories import (
    AgentFactory,
    CustomerFactory,
    RootCauseFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)
REFERENCE = re.compile(r"CMP-[0-9A-HJKMNP-TV-Z]{8}")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms_outbox(settings):
    settings.INTAKE = {**settings.INTAKE, "SMS_BACKEND": "channels_intake.outbound.sms.LocmemSmsBackend"}


def _at(moment: dt.datetime, time_machine, **fields):
    time_machine.move_to(moment, tick=False)
    return TicketFactory(**fields)


@pytest.fixture
def desk(team, agent, time_machine, django_capture_on_commit_callbacks):
    """Seven tickets over the last 20 days, three answered-or-not surveys and two decided SLA clocks."""
    billing = TeamFactory(slug="billing", name_zh="账务部", name_en="Billing")
    day = dt.timedelta(days=1)
    t = {
        "new_web": _at(
            NOW - dt.timedelta(hours=1),
            time_machine,
            channel="web",
            status="new",
            team=team,
            assignee=agent,
            sla_state="at_risk",
        ),
        "busy_web": _at(
            NOW - dt.timedelta(hours=2),
            time_machine,
            channel="web",
            status="in_progress",
            team=team,
            assignee=agent,
            sla_state="breached",
        ),
        "ack_email": _at(
            NOW - dt.timedelta(hours=3),
            time_machine,
            channel="email",
            status="acknowledged",
            team=billing,
            sla_state="on_track",
        ),
        "waiting_phone": _at(
            NOW - 2 * day,
            time_machine,
            channel="phone",
            status="awaiting_customer",
            team=billing,
            sla_state="breached",
        ),
        "old_web": _at(NOW - 5 * day, time_machine, channel="web", status="in_progress", team=team),
        "stale_wechat": _at(NOW - 20 * day, time_machine, channel="wechat", status="new"),
        "closed_email": _at(
            NOW - 4 * day, time_machine, channel="email", status="closed", team=team, sla_state="breached"
        ),
    }
    # Surveys about three tickets opened long ago: resolved on 7 March, sent on 8 March, two answered.
    surveyed = [_at(NOW - 40 * day, time_machine, team=team, customer=CustomerFactory()) for _ in range(3)]
    time_machine.move_to(NOW - 3 * day, tick=False)
    for ticket in surveyed:
        with django_capture_on_commit_callbacks(execute=True):
            services.resolve(
                ticket_id=ticket.pk,
                actor=agent,
                version=None,
                root_cause=RootCauseFactory(slug="line-fault", name_en="Line fault", name_zh="线路故障"),
                steps_taken="Replaced the line card.",
            )
    time_machine.move_to(NOW - 2 * day, tick=False)
    assert feedback_services.send_due_surveys().sent == 3
    for ticket, rating in zip(surveyed[:2], (5, 2), strict=True):
        with django_capture_on_commit_callbacks(execute=False):
            feedback_services.record_answer(
                survey_id=Survey.objects.get(ticket=ticket).pk, rating=rating, solved=True
            )
    # One resolution target met and one missed, both due on 9 March.
    calendar = BusinessCalendar.objects.get(slug="24x7")
    for ticket, outcome in ((t["ack_email"], SlaOutcome.MET), (t["old_web"], SlaOutcome.MISSED)):
        SlaClock.objects.create(
            ticket=ticket,
            calendar=calendar,
            target=SlaTarget.RESOLUTION,
            target_minutes=60,
            started_at=NOW - 2 * day,
            due_at=NOW - day,
            stopped_at=NOW - day,
            outcome=outcome,
            elapsed_seconds=3600,
        )
    time_machine.move_to(NOW, tick=False)
    return t


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _dashboard(client: Client, **params) -> dict:
    response = client.get("/admin/", params)
    assert response.status_code == 200
    return response.context["dashboard"]


def _listed(client: Client, href: str) -> set[str]:
    """The references the ticket changelist shows at `href`."""
    response = client.get(href)
    assert response.status_code == 200, href
    return set(REFERENCE.findall(response.content.decode()))


def _refs(*tickets) -> set[str]:
    return {ticket.reference for ticket in tickets}


def test_intake_by_channel_for_the_period_and_today(desk, supervisor):
    dashboard = _dashboard(_client(supervisor))  # the default: the last 7 days

    by_channel = {row["channel"]: (row["count"], row["today"]) for row in dashboard["intake"]["by_channel"]}
    assert by_channel == {
        "web": (3, 2),
        "email": (2, 1),
        "phone": (1, 0),
        "wechat": (0, 0),
        "weibo": (0, 0),
        "app": (0, 0),
        "api": (0, 0),
        "chat": (0, 0),
    }
    assert (dashboard["intake"]["total"], dashboard["intake"]["today_total"]) == (6, 3)


def test_intake_links_list_the_tickets_counted(desk, supervisor):
    client = _client(supervisor)
    web = next(row for row in _dashboard(client)["intake"]["by_channel"] if row["channel"] == "web")

    assert _listed(client, web["href"]) == _refs(desk["new_web"], desk["busy_web"], desk["old_web"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"period": "today"}, {"web": 2, "email": 1, "phone": 0, "wechat": 0}),
        ({"period": "7d"}, {"web": 3, "email": 2, "phone": 1, "wechat": 0}),
        ({"period": "30d"}, {"web": 3, "email": 2, "phone": 1, "wechat": 1}),
        ({"period": "month"}, {"web": 3, "email": 2, "phone": 1, "wechat": 0}),
        (
            {"period": "custom", "from": "2026-02-18", "to": "2026-03-08"},
            {"web": 1, "email": 1, "phone": 1, "wechat": 1},
        ),
    ],
)
def test_the_period_chooser_changes_the_intake(desk, supervisor, params, expected):
    dashboard = _dashboard(_client(supervisor), **params)

    by_channel = {row["channel"]: row["count"] for row in dashboard["intake"]["by_channel"]}
    assert {channel: by_channel[channel] for channel in expected} == expected


def test_an_impossible_custom_period_says_why_and_shows_the_default(desk, supervisor):
    response = _client(supervisor).get(
        "/admin/", {"period": "custom", "from": "2026-03-09", "to": "2026-03-01"}
    )

    assert "The first day must not come after the last." in response.content.decode()
    assert response.context["dashboard"]["period"].days == 7


def test_intake_per_day_draws_every_day_of_the_period(desk, supervisor):
    response = _client(supervisor).get("/admin/", {"period": "7d"})
    per_day = response.context["dashboard"]["intake"]["per_day_rows"]

    assert [count for _day, count in per_day] == [0, 1, 1, 0, 1, 0, 3]  # 4 to 10 March
    html = response.content.decode()
    assert '<svg class="console-chart console-line" role="img"' in html
    assert '<title id="intake-per-day-title">Tickets received per day</title>' in html


def test_backlog_by_status_and_age_links_list_exactly_those_tickets(desk, supervisor):
    client = _client(supervisor)
    backlog = _dashboard(client)["backlog"]

    by_status = {row["status"]: row for row in backlog["by_status"]}
    assert {status: row["count"] for status, row in by_status.items()} == {
        "new": 2,
        "acknowledged": 1,
        "in_progress": 2,
        "awaiting_customer": 1,
    }
    by_age = {row["age"]: row for row in backlog["by_age"]}
    assert {age: row["count"] for age, row in by_age.items()} == {
        "lt_1d": 3,
        "1_3d": 1,
        "3_7d": 1,
        "gt_7d": 1,
    }
    assert backlog["total"] == 6
    assert _listed(client, by_status["new"]["href"]) == _refs(desk["new_web"], desk["stale_wechat"])
    assert _listed(client, by_age["lt_1d"]["href"]) == _refs(
        desk["new_web"], desk["busy_web"], desk["ack_email"]
    )
    assert _listed(client, by_age["1_3d"]["href"]) == _refs(desk["waiting_phone"])
    assert _listed(client, by_age["gt_7d"]["href"]) == _refs(desk["stale_wechat"])


def test_sla_at_risk_and_breached_count_open_tickets_and_link_to_them(desk, supervisor):
    client = _client(supervisor)
    response = client.get("/admin/")
    sla = response.context["dashboard"]["sla"]

    assert (sla["at_risk"], sla["breached"]) == (1, 2)  # the closed breached ticket is not counted
    assert "sla_state__exact=at_risk" in sla["at_risk_href"]
    assert "sla_state__exact=breached" in sla["breached_href"]
    assert _listed(client, sla["at_risk_href"]) == _refs(desk["new_web"])
    assert _listed(client, sla["breached_href"]) == _refs(desk["busy_web"], desk["waiting_phone"])
    assert (sla["met"], sla["missed"], sla["compliance"]) == (1, 1, 50.0)
    assert f'href="{sla["breached_href"].replace("&", "&amp;")}">2</a>' in response.content.decode()


def test_satisfaction_repeats_and_top_causes(desk, supervisor):
    dashboard = _dashboard(_client(supervisor))

    satisfaction = dashboard["satisfaction"]
    assert (satisfaction["sent"], satisfaction["answered"]) == (3, 2)
    assert (satisfaction["csat"], satisfaction["response_rate"], satisfaction["average_rating"]) == (
        50.0,
        66.7,
        3.5,
    )
    assert [(row["root_cause"], row["count"]) for row in dashboard["top_root_causes"]] == [("line-fault", 3)]
    assert dashboard["repeats"]["received"] == 6
    assert dashboard["repeats"]["percent"] == 0.0


def test_workload_per_team_and_agent(desk, supervisor, team, agent):
    client = _client(supervisor)
    workload = _dashboard(client)["workload"]

    teams = {row["name"]: row for row in workload["teams"]}
    assert {name: (r["open"], r["assigned"], r["at_risk"], r["breached"]) for name, r in teams.items()} == {
        "Customer service": (3, 2, 1, 1),
        "Billing": (2, 0, 0, 1),
        "Unrouted": (1, 0, 0, 0),
    }
    assert [(row["username"], row["open"], row["breached"]) for row in workload["agents"]] == [
        (agent.username, 2, 1)
    ]
    assert _listed(client, teams["Customer service"]["href"]) == _refs(
        desk["new_web"], desk["busy_web"], desk["old_web"]
    )
    assert _listed(client, teams["Billing"]["breached_href"]) == _refs(desk["waiting_phone"])
    assert _listed(client, workload["agents"][0]["href"]) == _refs(desk["new_web"], desk["busy_web"])


def test_team_names_follow_the_language(desk, supervisor):
    response = _client(supervisor).get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    html = response.content.decode()
    assert "客服部" in html and "账务部" in html
    assert "Customer service</th>" not in html


def test_staff_without_the_ticket_permission_see_only_the_app_list(desk):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_team"))
    response = _client(staff).get("/admin/")

    assert response.status_code == 200
    assert "dashboard" not in response.context
    html = response.content.decode()
    assert "console-dashboard" not in html
    assert "Teams" in html  # Django's app list is still there


def test_supervisors_see_the_dashboard_and_the_app_list(desk, supervisor):
    html = _client(supervisor).get("/admin/").content.decode()

    assert 'id="console-dashboard-title"' in html
    assert 'id="content-main" class="app-list"' in html
    assert 'href="/admin/reports/?period=7d"' in html


def test_the_dashboard_costs_the_same_queries_for_more_tickets(
    desk, supervisor, team, django_assert_max_num_queries
):
    client = _client(supervisor)
    client.get("/admin/")  # warm the session and content types
    with django_assert_max_num_queries(
        84,
        info="81 today: session, permissions, app list, the set-up checklist and calendar notices "
        "(cached outside a test's open transaction), the previous period's count, the report sections "
        "(sla, satisfaction, quality, external cases, remedies: 4, hand-offs, the assistant's FAQ "
        "figures), the open major incidents panel with the latest surges",
    ) as few:
        client.get("/admin/")
    for channel in ("web", "email", "weibo", "api"):
        for _ in range(5):
            TicketFactory(channel=channel, team=TeamFactory(), assignee=AgentFactory(), status="in_progress")
    with django_assert_max_num_queries(
        len(few.captured_queries), info="the dashboard must not grow with the data"
    ):
        client.get("/admin/")
