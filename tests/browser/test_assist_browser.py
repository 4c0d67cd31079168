"""Deflection on the complaint form in a real browser: as the customer types, matching public FAQ
articles appear under the description (debounced JSON, no inline script), in Chinese and in English."""

import pytest
from django.core.cache import cache

from complaints.models import KBArticle
from tests.browser.conftest import browser_marks, open_page, sign_in

pytestmark = browser_marks()


@pytest.fixture(autouse=True)
def faq(db):
    cache.clear()
    KBArticle.objects.create(
        slug="broadband-red-light",
        title_zh="宽带断网、光猫亮红灯怎么办？",
        title_en="Broadband down and the modem light is red?",
        body_zh="请先关闭光猫电源，等待一分钟后重新开启；仍然连不上网请在线报修，工程师 24 小时内上门。",
        body_en="Switch the modem off for a minute and on again; if you still cannot get online, report a "
        "fault and an engineer visits within 24 hours.",
        is_public=True,
    )
    KBArticle.objects.create(
        slug="internal-broadband-escalation",
        title_zh="宽带断网内部升级流程",
        title_en="Broadband outage escalation (internal)",
        body_zh="宽带 断网 光猫 红灯 内部",
        body_en="broadband modem red light internal",
        is_public=False,
    )


@pytest.mark.parametrize(
    ("language", "typed", "title", "heading"),
    [
        (
            "zh-hans",
            "家里宽带又断网了，光猫一直亮红灯",
            "宽带断网、光猫亮红灯怎么办？",
            "这些解答也许能帮到您",
        ),
        (
            "en",
            "Our broadband is down again and the modem light is red",
            "Broadband down and the modem light is red?",
            "These answers may help",
        ),
    ],
)
def test_matching_faq_articles_appear_while_the_customer_types(
    live_server, browser, screenshots, language, typed, title, heading
):
    page = open_page(browser, language=language)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/submit/")
    box = page.locator("#faq-suggestions")
    assert box.is_hidden()
    page.locator("#id_description").press_sequentially(typed, delay=15)
    link = box.locator("a", has_text=title)
    link.wait_for(state="visible")
    assert heading in box.inner_text()
    assert box.locator("li").count() == 1  # the internal article is never offered to customers
    assert link.get_attribute("target") == "_blank"  # opening it keeps what was typed
    page.locator("#id_description").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"assist-deflection-{language}.png"), full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e]
    # The customer may still submit: the button is there and enabled.
    assert page.locator("form button[type=submit]").last.is_enabled()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_workspace_shows_the_assistants_suggestion_and_applies_it_in_one_click(
    live_server, browser, screenshots, settings, tmp_path, language
):
    from assist import selectors, services
    from complaints import services as complaint_services
    from complaints.services import CustomerDetails
    from tests.assist.conftest import CATEGORIES, eval_rows, resolved_tickets
    from tests.factories import SupervisorFactory, TeamFactory

    settings.VAR_DIR = tmp_path
    selectors.forget_loaded_models()
    teams = {
        slug: TeamFactory(slug=slug, name_en=slug.title(), name_zh=slug)
        for slug in ["customer-service", "technical", "product", "billing", "legal"]
    }
    resolved_tickets(eval_rows("train", CATEGORIES), teams)
    assert services.train().adopted
    ticket = complaint_services.open_ticket(
        actor=None,
        channel="web",
        customer=CustomerDetails(email="c@example.com"),
        subject="宽带又断了",
        description="家里的宽带从昨天晚上开始就连不上网，光猫一直亮红灯，气死了，马上处理！",
    ).ticket
    services.suggest_for_ticket(ticket_id=ticket.pk)
    SupervisorFactory(username="boss")
    page = sign_in(browser, live_server.url, "boss", language=language)
    page.goto(f"{live_server.url}/desk/tickets/{ticket.reference}/")
    panel = page.locator("#assistant")
    panel.scroll_into_view_if_needed()
    assert panel.locator("mark").count() >= 3  # urgency words and the words that weighed most
    page.screenshot(path=str(screenshots / f"assist-desk-panel-{language}.png"), full_page=True)
    panel.locator("button", has_text="采纳建议" if language == "zh-hans" else "Apply the suggestion").click()
    page.wait_for_load_state()
    ticket.refresh_from_db()
    assert ticket.category.slug == "network-broadband-outage"
    selectors.forget_loaded_models()
