"""A supervisor works a major incident in a real browser, in both languages: a surge made it
suspected, they confirm it, post a public update and watch it reach the customers, then resolve all.
Screenshots: var/browser/incident-*.png."""

import pytest

from complaints import services as core
from complaints.models import Message, RoutingRule, Ticket
from incidents import services, tasks
from incidents.models import Incident, Playbook, PlaybookStep, SurgeThreshold
from tests.browser.conftest import browser_marks, open_page, sign_in
from tests.factories import CategoryFactory, RootCauseFactory, SupervisorFactory, TeamFactory

pytestmark = browser_marks()

WORDS = {
    "en": {
        "confirmed": "Confirmed",
        "sent_0": "Sent to 0 of 3 customers",
        "sent_3": "Sent to 3 of 3 customers",
        "resolved": "All 3 linked tickets resolved",
        "known": "Known issue",
        "report": "3 (0 open, 3 resolved)",
        "told": "3 customers, by 1 public update",
        "surges": "Latest surges",
    },
    "zh-hans": {
        "confirmed": "已确认",
        "sent_0": "已发送给 0 / 3 位客户",
        "sent_3": "已发送给 3 / 3 位客户",
        "resolved": "全部 3 张关联工单已解决",
        "known": "已知问题",
        "report": "3（未结 0，已解决 3）",
        "told": "3 位客户，共 1 次公开通报",
        "surges": "最近的突发投诉",
    },
}
OUTAGE = "家里宽带断网了，光猫红灯一直闪，无法上网"


@pytest.fixture
def queued(monkeypatch) -> list:
    """The incidents tasks the live server queues; the test runs them as the worker would, when it chooses."""
    jobs: list = []
    for name in ("deliver_update", "resolve_linked", "tell_linked", "notify_surge"):
        monkeypatch.setattr(getattr(tasks, name), "delay", lambda *args, _n=name: jobs.append((_n, args)))
    return jobs


def work(jobs: list) -> None:
    while jobs:
        name, args = jobs.pop(0)
        getattr(tasks, name).run(*args)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_supervisor_confirms_updates_and_resolves_an_incident(
    live_server, browser, screenshots, language, queued
):
    RoutingRule.objects.update(is_active=False)
    team = TeamFactory(slug="network", name_zh="网络维护组", name_en="Network operations")
    category = CategoryFactory(slug="broadband", name_zh="宽带网络", name_en="Broadband", default_team=team)
    SurgeThreshold.objects.create(category=category, min_tickets=2, window_minutes=60)
    RootCauseFactory(slug="base-station", name_zh="基站故障", name_en="Base station failure")
    plan = Playbook.objects.create(name_zh="断网应急预案", name_en="Outage plan", category=category)
    PlaybookStep.objects.create(
        playbook=plan, position=1, title_zh="通知法务部", title_en="Notify legal", due_minutes=30
    )
    PlaybookStep.objects.create(
        playbook=plan,
        position=2,
        title_zh="准备话费补偿",
        title_en="Prepare the compensation",
        due_minutes=120,
    )
    SupervisorFactory(username="boss", first_name="强", last_name="刘")
    tickets = [
        core.open_ticket(
            actor=None,
            channel=Ticket.Channel.WEB,
            customer=core.CustomerDetails(name=f"客户{i}", email=f"c{i}@example.com", phone=""),
            subject="宽带断网",
            description=f"{OUTAGE}（{i}号楼）",
            category=category,
            language=language,
        ).ticket
        for i in range(3)
    ]
    (incident,) = services.detect_surges()
    services.update_details(
        incident_id=incident.pk,
        actor=None,
        notice_zh="海淀区部分宽带用户无法上网，正在抢修。",
        notice_en="Some broadband customers in Haidian cannot get online; repairs are under way.",
    )
    work(queued)
    words = WORDS[language]

    page = sign_in(browser, live_server.url, "boss", language=language)
    page.click("nav >> a[href='/desk/incidents/']")
    page.click(f"a[href='/desk/incidents/{incident.pk}/']")
    assert all(t.reference in page.inner_text("main") for t in tickets)
    page.screenshot(path=str(screenshots / f"incident-suspected-{language}.png"), full_page=True)

    page.click("form[action$='/status/'] button")
    page.wait_for_selector(f"h1 .badge:has-text('{words['confirmed']}')")
    assert Incident.objects.get(pk=incident.pk).status == Incident.Status.CONFIRMED
    # The emergency plan is now a checklist: tick the first step.
    page.click(".plan form button")
    page.wait_for_selector(".plan tr.step-done")
    assert Incident.objects.get(pk=incident.pk).steps.filter(done_at__isnull=False).count() == 1
    page.screenshot(path=str(screenshots / f"incident-plan-{language}.png"), full_page=True)

    page.fill("#id_body_zh", "故障已定位，预计今晚 20 点前恢复。")
    page.fill("#id_body_en", "We found the fault; service should be back by 20:00 tonight.")
    page.click("form[action$='/update/'] button")
    page.wait_for_selector(f"#progress >> text={words['sent_0']}")
    page.screenshot(path=str(screenshots / f"incident-update-sending-{language}.png"), full_page=True)
    work(queued)  # the worker sends the chunk; the card refreshes itself
    page.wait_for_selector(f"#progress >> text={words['sent_3']}", timeout=20_000)
    page.screenshot(path=str(screenshots / f"incident-update-sent-{language}.png"), full_page=True)
    expected = (
        "故障已定位，预计今晚 20 点前恢复。"
        if language == "zh-hans"
        else "We found the fault; service should be back by 20:00 tonight."
    )
    for ticket in tickets:
        assert list(ticket.messages.filter(kind=Message.Kind.REPLY).values_list("body", flat=True)) == [
            expected
        ]

    customer = open_page(browser, language=language)
    customer.goto(f"{live_server.url}/")
    assert words["known"] in customer.inner_text(".known-issues")
    customer.screenshot(path=str(screenshots / f"incident-public-banner-{language}.png"), full_page=True)

    page.select_option(
        "#id_root_cause", label="基站故障" if language == "zh-hans" else "Base station failure"
    )
    page.fill("#id_steps_taken", "更换基站电源模块，恢复供电。")
    page.click("form[action$='/resolve/'] button")
    page.wait_for_selector("h1 .badge.incident-resolved")
    work(queued)
    page.reload()
    page.wait_for_selector(f"text={words['resolved']}")
    page.screenshot(path=str(screenshots / f"incident-resolved-{language}.png"), full_page=True)
    assert {t.status for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets])} == {"resolved"}
    customer.goto(f"{live_server.url}/")
    assert customer.locator(".known-issues").count() == 0

    # The incident's report: affected tickets, channels, times, customers told; and its CSV.
    report = page.locator("#report")
    report.scroll_into_view_if_needed()
    assert words["report"] in report.inner_text() and words["told"] in report.inner_text()
    report.screenshot(path=str(screenshots / f"incident-report-{language}.png"))
    with page.expect_download() as download:
        report.locator("a[download]").click()
    assert download.value.suggested_filename == f"incident-{incident.pk}-report.csv"
    # The surge stays on the supervisor dashboard's latest surges, resolved.
    page.goto(f"{live_server.url}/admin/")
    panel = page.locator(".incidents-panel")
    assert words["surges"] in panel.inner_text() and f"#{incident.pk}" in panel.inner_text()
    panel.screenshot(path=str(screenshots / f"incident-dashboard-surges-{language}.png"))
