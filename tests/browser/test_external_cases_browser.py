"""An escalation agent registers a case 12315 forwarded and records its report-back, in a real
browser, in both languages. Screenshots: var/browser/external-case-*.png."""

import pytest

from external_cases.models import ExternalCase, ExternalSource
from tests.browser.conftest import browser_marks, sign_in
from tests.factories import AgentFactory, TeamFactory

pytestmark = browser_marks()

WORDS = {
    "en": {
        "registered": "registered on",
        "risk": "Escalation risk",
        "recorded": "recorded",
        "panel": "External cases",
    },
    "zh-hans": {
        "registered": "已登记在",
        "risk": "升级投诉风险",
        "recorded": "已登记向",
        "panel": "外部案件",
    },
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_agent_registers_a_forwarded_case_and_records_the_report_back(
    live_server, browser, screenshots, language
):
    team = TeamFactory(slug="escalations", name_zh="投诉升级组", name_en="Escalations")
    AgentFactory(username="li", team=team, team__role="lead", first_name="芳", last_name="王")
    ExternalSource.objects.filter(slug="12315-odr").update(team=team)
    words = WORDS[language]

    page = sign_in(browser, live_server.url, "li", language=language)
    page.click("nav >> a[href='/desk/external-cases/']")
    page.click("a[href='/desk/external-cases/new/']")
    page.select_option("#id_source", "12315-odr")
    page.fill("#id_number", "ODR-2026-0925")
    page.fill("#id_received_at", "2026-09-25T10:00")
    page.fill("#id_regulator_contact", "朝阳区市场监管局 王科长")
    page.fill("#id_customer_name", "赵六")
    page.fill("#id_phone", "13900001111")
    page.fill("#id_subject", "退款两周未到账")
    page.fill("#id_description", "消费者通过 12315 平台投诉：退款两周未到账。")
    page.screenshot(path=str(screenshots / f"external-case-register-{language}.png"), full_page=True)
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector(f"text={words['registered']}")
    case = ExternalCase.objects.get(number="ODR-2026-0925")
    assert page.url.endswith(f"/desk/tickets/{case.ticket.reference}/")
    panel = page.locator("#external-cases")
    assert words["panel"] in panel.inner_text()
    assert "ODR-2026-0925" in panel.inner_text()
    # Due on the tenth working day after National Day (10 October is a working Saturday).
    assert panel.locator("time").nth(1).get_attribute("datetime").startswith("2026-10-15T18:00")
    assert words["risk"] in page.locator(".badges").inner_text()
    page.screenshot(path=str(screenshots / f"external-case-ticket-{language}.png"), full_page=True)

    page.click("#external-cases a.button")
    page.fill("#id_field_handled_at", "2026-09-28T10:00")
    page.select_option("#id_field_method", "phone")
    page.select_option("#id_field_result", "agreed")
    page.select_option("#id_outcome", "settled")
    report_url = page.url
    page.click("form.stacked button[type=submit]")  # the negotiation process is still empty
    assert page.locator("#id_field_process:invalid").count() == 1  # the browser names the missing field
    assert page.url == report_url
    page.screenshot(path=str(screenshots / f"external-case-report-missing-{language}.png"), full_page=True)
    page.fill("#id_field_process", "电话联系消费者，当日原路退款。")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector(f"text={words['recorded']}")
    page.screenshot(path=str(screenshots / f"external-case-reported-{language}.png"), full_page=True)
    case.refresh_from_db()
    assert case.state == ExternalCase.State.REPORTED
    assert case.report_back.values["process"] == "电话联系消费者，当日原路退款。"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_customer_who_disputes_is_shown_the_outside_routes(live_server, browser, screenshots, language):
    from django.utils import translation

    from channels_intake.tokens import ticket_token
    from complaints import services
    from complaints.models import Ticket
    from tests.browser.conftest import open_page
    from tests.factories import RootCauseFactory

    team = TeamFactory(slug="network", name_en="Network", name_zh="网络")
    agent = AgentFactory(username="zhao", team=team)
    ticket = services.open_ticket(
        actor=None,
        channel=Ticket.Channel.WEB,
        customer=services.CustomerDetails(name="李雷", email="li.lei@example.com", language=language),
        subject="宽带每晚掉线" if language == "zh-hans" else "Broadband drops every evening",
        description="Since Monday the line drops at 8 p.m.",
        default_team=team,
    ).ticket
    services.resolve(
        ticket_id=ticket.pk,
        actor=agent,
        version=None,
        root_cause=RootCauseFactory(slug="line-fault", name_en="Line fault", name_zh="线路故障"),
        steps_taken="Replaced the faulty line card.",
    )
    with translation.override(language):
        heading = translation.gettext("If you are still not satisfied")
        button = translation.gettext("Tell us it is not solved")
        miit = ExternalSource.objects.get(slug="miit-appeal").customer_route
    page = open_page(browser, language=language)
    page.goto(f"{live_server.url}/t/{ticket_token(ticket)}/")
    routes = page.locator(".outside-routes")
    assert routes.locator("h3").inner_text() == heading
    assert miit in routes.inner_text() and "12315" in routes.inner_text()
    page.screenshot(path=str(screenshots / f"external-case-outside-routes-{language}.png"), full_page=True)

    page.fill("#id_dispute_reason", "It still drops every evening.")
    page.click(f"#dispute button:has-text('{button}')")
    page.wait_for_selector(".messages")
    assert "CSRF" not in page.content()
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.IN_PROGRESS
    # After the dispute the routes are still there, next to the disputed resolution.
    assert miit in page.locator(".outside-routes").inner_text()
    page.screenshot(
        path=str(screenshots / f"external-case-outside-routes-disputed-{language}.png"), full_page=True
    )
    page.context.close()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_mailed_case_without_a_number_is_filled_in_and_the_report_downloads_as_xlsx(
    live_server, browser, screenshots, language
):
    from django.utils import timezone, translation

    from complaints import services as complaint_services
    from complaints.models import Ticket
    from external_cases import services

    team = TeamFactory(slug="escalations", name_zh="投诉升级组", name_en="Escalations")
    AgentFactory(username="li", team=team, team__role="lead", first_name="芳", last_name="王")
    source = ExternalSource.objects.get(slug="12315-odr")
    source.team = team
    source.save(update_fields=["team"])
    ticket = complaint_services.open_ticket(
        actor=None,
        channel=Ticket.Channel.EMAIL,
        customer=complaint_services.CustomerDetails(name="赵六", phone="13900001111"),
        subject="投诉转办",
        description="消费者称退款两周未到账。",
        default_team=team,
    ).ticket
    case = services.register_case(
        ticket_id=ticket.pk,
        actor=None,
        source=source,
        number="",
        received_at=timezone.now(),
        number_to_follow=True,
    )
    with translation.override(language):
        missing = translation.gettext("Number to be filled in")
        saved = translation.gettext("Case number %(number)s recorded.") % {"number": "ODR-2026-1204"}

    page = sign_in(browser, live_server.url, "li", language=language)
    page.goto(f"{live_server.url}/desk/tickets/{ticket.reference}/")
    panel = page.locator("#external-cases")
    assert missing in panel.inner_text()
    page.screenshot(path=str(screenshots / f"external-case-number-missing-{language}.png"), full_page=True)
    page.fill(f"#case-number-{case.pk}", "odr-2026-1204")
    page.click("form.case-number button[type=submit]")
    page.wait_for_selector(f"text={saved}")
    assert "CSRF" not in page.content()
    assert "ODR-2026-1204" in page.locator("#external-cases").inner_text()
    case.refresh_from_db()
    assert case.number == "ODR-2026-1204"

    page.goto(f"{live_server.url}/desk/external-cases/report/")
    page.screenshot(path=str(screenshots / f"external-case-report-exports-{language}.png"), full_page=True)
    row = page.locator("tr[data-source='12315-odr']")
    with page.expect_download() as download:
        row.locator("a:has-text('XLSX')").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    with open(download.value.path(), "rb") as workbook:
        assert workbook.read(2) == b"PK"  # an Office Open XML (zip) file
    page.context.close()
