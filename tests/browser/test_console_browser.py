"""The supervisor console in a real browser at 1366 px, in both languages: the dashboard's tiles use
the width, the ticket list fits without scrolling sideways (its SLA column on screen), a report with
its changes coloured as good or bad news, a ticket's page with its inlines and the desk link, the
calendar warning and entering a day override, and the set-up checklist of an empty install.
Screenshots: var/browser/console-*.png."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.models import RoutingRule, Team, Ticket
from sla.calendars import holiday_year
from tests.browser.conftest import PASSWORD, browser_marks, open_page
from tests.factories import AgentFactory, SupervisorFactory, TeamFactory, TicketFactory

pytestmark = browser_marks()

WORDS = {
    "en": {
        "dashboard": "Dashboard",
        "setup": "Set up the complaint desk",
        "teams_step": "Create the teams",
        "warning": "has no adjusted working days",
        "working_day": "Working day",
    },
    "zh-hans": {
        "dashboard": "数据看板",
        "setup": "设置投诉受理台",
        "teams_step": "创建团队",
        "warning": "没有",
        "working_day": "工作日（上班）",
    },
}


def admin_sign_in(browser, base_url: str, username: str, *, language: str):
    page = open_page(browser, language=language)
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url(f"{base_url}/admin/")
    return page


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _desk():
    """Two teams with agents and tickets in every SLA state, some long subjects, one escalated."""
    team = TeamFactory(slug="customer-service", name_zh="客服部", name_en="Customer service")
    technical = TeamFactory(slug="technical", name_zh="技术支持部", name_en="Technical support")
    agent = AgentFactory(username="li", team=team, first_name="芳", last_name="王")
    AgentFactory(username="zhao", team=technical, first_name="Anna", last_name="Berg")
    RoutingRule.objects.create(name="Everything to customer service", set_team=team)
    states = [
        Ticket.SlaState.ON_TRACK,
        Ticket.SlaState.AT_RISK,
        Ticket.SlaState.BREACHED,
        Ticket.SlaState.PAUSED,
    ]
    for n in range(12):
        TicketFactory(
            team=team if n % 2 else technical,
            assignee=agent if n % 3 else None,
            subject=(
                "宽带断网三天还没有人上门维修，客服电话一直打不通，要求赔偿"
                if n % 2
                else "Refund requested two weeks ago still missing from my account statement"
            ),
            sla_state=states[n % 4],
            sla_due_at=timezone.now() + timedelta(hours=n - 4),
            escalation_level=2 if n == 5 else 0,
            status="awaiting_customer" if n == 3 else "in_progress",
            channel=["web", "email", "phone", "wechat"][n % 4],
        )
    return team, agent


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_supervisor_works_the_console_at_1366_px(live_server, browser, screenshots, language):
    words = WORDS[language]
    _desk()
    SupervisorFactory(username="sun", first_name="慧敏", last_name="孙")
    # The premise of the calendar warning: the installed holidays package lacks next year's 调休.
    next_year = timezone.localdate().year + 1
    warns = timezone.localdate().month >= 11 and not holiday_year("CN", "", next_year).adjusted_working

    page = admin_sign_in(browser, live_server.url, "sun", language=language)

    # The dashboard: headline tiles in one row, cards three abreast, nothing twice, no sideways scroll.
    assert page.locator("#console-dashboard-title").inner_text() == words["dashboard"]
    kpis = page.locator(".console-kpi")
    assert kpis.count() >= 6
    tops = {round(kpis.nth(i).bounding_box()["y"]) for i in range(kpis.count())}
    assert len(tops) == 1, "the headline figures share one row at 1366 px"
    cards = page.locator(".console-grid > .console-card")
    first_row = [cards.nth(i).bounding_box() for i in range(3)]
    assert len({round(box["y"]) for box in first_row}) == 1, "three cards side by side"
    assert page.locator("svg.console-chart-line, svg.console-line").count() == 1
    assert page.locator("#console-status tr[data-status]").count() >= 2
    assert no_sideways_scroll(page)
    assert page.locator(".console-setup").count() == 0  # teams, members, routing and policies exist
    page.screenshot(path=screenshots / f"console-dashboard-{language}.png", full_page=True)

    # The ticket list: every column on screen, the SLA column included, no scrolling sideways.
    page.goto(f"{live_server.url}/admin/complaints/ticket/")
    assert no_sideways_scroll(page)
    assert page.evaluate(
        "(() => { const r = document.querySelector('#changelist .results');"
        " return r.scrollWidth <= r.clientWidth; })()"
    ), "the results table scrolls inside its box"
    sla_header = page.locator("th.column-sla_cell").bounding_box()
    assert sla_header["x"] + sla_header["width"] <= 1366
    assert page.locator("td.field-sla_cell .sla-badge").first.is_visible()
    assert page.locator(".ticket-escalated").count() == 1
    page.screenshot(path=screenshots / f"console-ticket-list-{language}.png", full_page=True)

    # A report: changes coloured by good or bad news.
    page.goto(f"{live_server.url}/admin/reports/?period=30d&by=team")
    assert page.locator("#report-summary tr[data-key=received]").is_visible()
    assert (
        page.locator("#report-summary tr[data-key=received] .console-tone-bad").count() == 2
    )  # more tickets
    assert no_sideways_scroll(page)
    page.screenshot(path=screenshots / f"console-report-{language}.png", full_page=True)

    # A ticket's page: its inlines and the link into the desk.
    page.goto(f"{live_server.url}/admin/complaints/ticket/")
    page.locator("td.field-reference a, th.field-reference a").first.click()
    page.wait_for_selector("#messages-group")
    assert page.locator("#events-group").is_visible()
    assert page.locator("#resolutions-group").count() == 1
    desk = page.locator("a.open-in-desk")
    assert re.fullmatch(r"/desk/tickets?/CMP-[0-9A-Z]{8}/", desk.get_attribute("href"))
    assert no_sideways_scroll(page)
    page.screenshot(path=screenshots / f"console-ticket-{language}.png", full_page=True)

    # The calendar warning, and entering next year's working day makes it go.
    page.goto(f"{live_server.url}/admin/")
    notices = page.locator(".console-notices li[data-notice^=calendar-]")
    if not warns:
        assert notices.count() == 0
        return
    assert notices.count() >= 1
    notice = notices.first
    key = notice.get_attribute("data-notice")
    assert str(next_year) in notice.inner_text() and words["warning"] in notice.inner_text()
    notice.locator("a").click()
    page.wait_for_selector("#days-group")
    assert str(next_year) in page.locator(".messagelist").inner_text()
    row = page.locator("#days-group tr.form-row:not(.empty-form)").last
    row.locator("input[name$=-date]").fill(f"{next_year}-02-20")
    row.locator("select[name$=-is_working]").select_option(label=words["working_day"])
    row.locator("input[name$=-name_zh]").fill("春节调休上班")
    row.locator("input[name$=-name_en]").fill("Spring Festival working day")
    page.screenshot(path=screenshots / f"console-calendar-override-{language}.png", full_page=True)
    page.click("input[name=_continue]")
    page.wait_for_selector("#days-group")
    assert page.locator(".errornote").count() == 0
    assert str(next_year) not in page.locator(".messagelist").inner_text()
    page.goto(f"{live_server.url}/admin/")
    assert page.locator(f".console-notices li[data-notice={key}]").count() == 0


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_empty_install_shows_the_set_up_checklist(live_server, browser, screenshots, language):
    words = WORDS[language]
    RoutingRule.objects.all().delete()
    Team.objects.all().delete()
    SupervisorFactory(username="sun")

    page = admin_sign_in(browser, live_server.url, "sun", language=language)
    setup = page.locator("#console-setup")
    assert words["setup"] in setup.inner_text()
    assert setup.locator("li.console-step-todo").count() >= 3
    assert setup.locator("li[data-step=sla_policy].console-step-done").count() == 1
    assert no_sideways_scroll(page)
    page.screenshot(path=screenshots / f"console-setup-{language}.png", full_page=True)

    setup.get_by_role("link", name=words["teams_step"]).click()
    page.wait_for_url(re.compile(r"/admin/complaints/team/add/$"))

    team = TeamFactory()
    AgentFactory(team=team)
    RoutingRule.objects.create(name="Everything", set_team=team)
    page.goto(f"{live_server.url}/admin/")
    assert page.locator("#console-setup").count() == 0
