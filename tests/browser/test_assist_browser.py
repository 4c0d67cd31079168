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
    # One click puts a suggested article into the reply box, and the timeline says so.
    title = (
        "宽带断网、光猫亮红灯怎么办？"
        if language == "zh-hans"
        else "Broadband down and the modem light is red?"
    )
    page.locator("#assistant .assist-articles li", has_text=title).locator("button").click()
    page.wait_for_url("**#action-reply")
    assert "光猫电源" in page.input_value("#id_reply-body")
    assert page.locator(
        "text=" + ("已将建议答复插入回复" if language == "zh-hans" else "Suggested answer inserted")
    ).count()
    page.screenshot(path=str(screenshots / f"assist-insert-reply-{language}.png"), full_page=True)
    selectors.forget_loaded_models()


@pytest.mark.parametrize(
    ("language", "title"),
    [("zh-hans", "宽带断网、光猫亮红灯怎么办？"), ("en", "Broadband down and the modem light is red?")],
)
def test_an_opened_suggestion_and_a_complaint_sent_anyway_are_counted(live_server, browser, language, title):
    from assist.models import FaqOpen

    page = open_page(browser, language=language)
    page.goto(f"{live_server.url}/submit/")
    page.locator("#id_description").press_sequentially("家里宽带又断网了，光猫一直亮红灯", delay=10)
    link = page.locator("#faq-suggestions a", has_text=title)
    link.wait_for(state="visible")
    with page.context.expect_page() as article:
        link.click()
    article.value.wait_for_load_state()
    for _ in range(50):  # the beacon is sent in the background
        if FaqOpen.objects.exists():
            break
        page.wait_for_timeout(100)
    opened = FaqOpen.objects.get()
    assert opened.article.slug == "broadband-red-light" and opened.submitted_at is None
    page.fill("#id_name", "读者")
    page.fill("#id_subject", "宽带断网")
    page.fill("#id_email", "reader@example.com")
    page.check("#id_consent")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    for _ in range(50):
        opened.refresh_from_db()
        if opened.submitted_at:
            break
        page.wait_for_timeout(100)
    assert opened.submitted_at is not None  # wrote anyway: not answered by the FAQ


@pytest.mark.parametrize(
    ("language", "offer", "thanks"),
    [
        ("zh-hans", "请人工复核", "将由工作人员复核"),
        ("en", "Have a person review this", "A person will review"),
    ],
)
def test_the_customer_asks_for_a_person_to_review_the_assistants_decision(
    live_server, browser, screenshots, settings, tmp_path, language, offer, thanks
):
    from assist import selectors, services
    from assist.models import AssistSettings
    from channels_intake.tokens import ticket_token
    from complaints import services as complaint_services
    from complaints.models import Category, Team
    from complaints.services import CustomerDetails
    from tests.assist.conftest import CATEGORIES, eval_rows, resolved_tickets
    from tests.factories import TeamFactory

    settings.VAR_DIR = tmp_path
    selectors.forget_loaded_models()
    teams = {
        slug: TeamFactory(slug=slug, name_en=slug.title(), name_zh=slug)
        for slug in ["customer-service", "technical", "product", "billing", "legal"]
    }
    resolved_tickets(eval_rows("train", CATEGORIES), teams)
    assert services.train().adopted
    AssistSettings.objects.update_or_create(
        pk=1, defaults={"auto_apply_confidence": 0.3, "minimum_accuracy": 0.5}
    )
    ticket = complaint_services.open_ticket(
        actor=None,
        channel="web",
        customer=CustomerDetails(email="c@example.com", language=language),
        subject="宽带又断了",
        description="家里的宽带从昨天晚上开始就连不上网，光猫一直亮红灯。",
    ).ticket
    ticket.category = Category.objects.get(slug="billing-refund-difficulty")
    ticket.team = Team.objects.get(slug="billing")
    ticket.save(update_fields=["category", "team"])
    assert services.suggest_for_ticket(ticket_id=ticket.pk).applied

    page = open_page(browser, language=language)
    page.goto(f"{live_server.url}/t/{ticket_token(ticket)}/")
    section = page.locator("#review")
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"assist-review-offer-{language}.png"), full_page=True)
    section.locator("button", has_text=offer).click()
    page.wait_for_selector(f"text={thanks}")
    assert page.locator("#review").count() == 0
    page.screenshot(path=str(screenshots / f"assist-review-asked-{language}.png"), full_page=True)
    ticket.refresh_from_db()
    assert (ticket.category.slug, ticket.team.slug) == ("billing-refund-difficulty", "billing")
    selectors.forget_loaded_models()
