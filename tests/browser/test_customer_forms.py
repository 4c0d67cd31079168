"""Every customer form besides the ticket page's (tests/browser/test_customer_ticket_page.py), in a real
browser: the complaint form with its errors, attachment and consent, the receipt, /track/ with "send me my
link" by e-mail and by SMS, the FAQ and the privacy notice. Each in both languages; the phone screen in one
of them (the other on the laptop), so every form is seen on both screens without doubling the suite.
"""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import translation

from channels_intake.customer import tasks as customer_tasks
from complaints import services
from complaints.models import KBArticle, Ticket
from tests.browser.conftest import browser_marks, open_page

pytestmark = browser_marks()

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
BAD = "rgb(179, 38, 30)"  # --bad in site.css: the outline of an invalid field

# Each form once per language: English on the laptop and Chinese on the phone, or the other way round.
EN_DESKTOP_ZH_PHONE = [
    pytest.param("en", "desktop", id="en-desktop"),
    pytest.param("zh-hans", "phone", id="zh-phone"),
]
ZH_DESKTOP_EN_PHONE = [
    pytest.param("zh-hans", "desktop", id="zh-desktop"),
    pytest.param("en", "phone", id="en-phone"),
]


def words(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


class RecordingSms:
    """The SMS backend INTAKE['SMS_BACKEND'] names for these tests: keeps (number, text)."""

    sent: list[tuple[str, str]] = []

    def send(self, *, to: str, text: str) -> None:
        RecordingSms.sent.append((to, text))


@pytest.fixture(autouse=True)
def fresh_limits_and_outboxes(settings, monkeypatch):
    """Rate-limit counters of earlier tests cleared; the link task run when queued, SMS recorded."""
    cache.clear()
    settings.INTAKE = {**settings.INTAKE, "SMS_BACKEND": f"{__name__}.RecordingSms"}
    RecordingSms.sent = []
    monkeypatch.setattr(
        customer_tasks.send_ticket_link, "delay", lambda *a, **k: customer_tasks.send_ticket_link(*a, **k)
    )


def layout_is_sound(page: object) -> None:
    """What broke on a phone: no sideways scrolling, and each header link on one line (Chinese wrapped
    one character per line)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    for link in page.locator(".public-nav-link").all():
        box = link.bounding_box()
        assert box["height"] < 40, f"{link.inner_text()!r} wraps ({box['height']}px high)"


def outlined(page: object, selector: str) -> bool:
    style = page.eval_on_selector(
        selector, "el => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineColor]; }"
    )
    return style == ["solid", BAD]


def open_complaint(*, email: str, phone: str, language: str, subject: str = "Broadband drops") -> Ticket:
    return services.open_ticket(
        actor=None,
        channel=Ticket.Channel.WEB,
        customer=services.CustomerDetails(name="李雷", email=email, phone=phone, language=language),
        subject=subject,
        description="Since Monday the line drops every evening.",
    ).ticket


def link_path(text: str) -> str:
    return re.search(r"https?://[^/\s]+(/t/\S+/)", text).group(1)


# --- the complaint form and its receipt ----------------------------------------------------------


@pytest.mark.parametrize(("language", "screen"), EN_DESKTOP_ZH_PHONE)
def test_a_complaint_with_mistakes_then_corrected_with_a_photo(
    live_server, browser, screenshots, language, screen
):
    page = open_page(browser, viewport=screen, language=language)
    shot = f"customer-submit-{language}-{screen}"
    page.goto(f"{live_server.url}/submit/")
    layout_is_sound(page)
    # Every control of the form one width: text, phone, e-mail, number, select, date, file, text areas.
    controls = "name phone email customer_number order_number category occurred_at location subject"
    controls += " description desired_outcome files"
    widths = {name: round(page.locator(f"#id_{name}").bounding_box()["width"]) for name in controls.split()}
    assert len(set(widths.values())) == 1, widths
    # The consent box points to the privacy notice.
    assert page.locator(".consent a").get_attribute("href") == "/privacy/"

    # Sent with a wrong phone number, no description and no consent: told what to fix, fields outlined.
    page.fill("#id_name", "王小明")
    page.fill("#id_phone", "12345")
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.wait_for_selector(".form-errors")
    assert "/submit/" in page.url
    assert (
        words(
            language,
            "Please correct the fields marked below; everything you entered is kept (files must be chosen again).",
        )
        in page.locator("main").inner_text()
    )
    for field in ("phone", "description", "consent"):
        assert page.locator(f"#id_{field}").get_attribute("aria-invalid") == "true"
        assert outlined(page, f"#id_{field}"), field
    assert not outlined(page, "#id_name")
    assert page.input_value("#id_name") == "王小明"  # what was typed is kept
    page.screenshot(path=str(screenshots / f"{shot}-1-errors.png"), full_page=True)

    page.fill("#id_phone", "138 0013 8000")
    page.fill("#id_customer_number", "C12345678")
    page.fill("#id_order_number", "A-1001")
    page.fill("#id_description", "宽带每晚八点掉线，已经三天了。")
    page.set_input_files("#id_files", files=[{"name": "router.png", "mimeType": "image/png", "buffer": PNG}])
    page.check("#id_consent")
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/submit/done/")
    ticket = Ticket.objects.select_related("customer").get()
    assert page.locator(".reference").inner_text() == ticket.reference
    assert ticket.customer.customer_number == "C12345678" and ticket.order_number == "A-1001"
    assert words(language, "We have sent a confirmation with this reference to your mobile phone.") in (
        page.locator("main").inner_text()
    )
    layout_is_sound(page)
    page.screenshot(path=str(screenshots / f"{shot}-2-receipt.png"), full_page=True)

    # The receipt's button opens the ticket page: the description once, the photo beside it.
    page.click(f"a.button:has-text('{words(language, 'Open your ticket page')}')")
    page.wait_for_url(re.compile(r".*/t/.+/$"))
    history = page.locator(".public-timeline").inner_text()
    assert history.count("宽带每晚八点掉线") == 1 and "router.png" in history
    page.context.close()


# --- /track/: look up, and get the link again -----------------------------------------------------


@pytest.mark.parametrize(("language", "screen"), EN_DESKTOP_ZH_PHONE)
def test_track_then_get_the_link_again_by_email(live_server, browser, screenshots, language, screen):
    ticket = open_complaint(email="li.lei@example.com", phone="13800138000", language=language)
    page = open_page(browser, viewport=screen, language=language)
    shot = f"customer-track-{language}-{screen}"
    page.goto(f"{live_server.url}/track/")
    layout_is_sound(page)

    page.fill("#id_reference", ticket.reference)
    page.fill("#id_contact", "someone.else@example.com")
    page.click(f"button:has-text('{words(language, 'Show my complaint')}')")
    page.wait_for_selector("#track-result")
    assert ticket.subject not in page.content()
    page.screenshot(path=str(screenshots / f"{shot}-1-not-found.png"), full_page=True)

    page.fill("#id_reference", ticket.reference.lower())  # as people type it
    page.fill("#id_contact", "138 0013 8000")
    page.click(f"button:has-text('{words(language, 'Show my complaint')}')")
    # The status only: the conversation goes to the contact on file, never to whoever typed one.
    page.wait_for_selector(f"h1:has-text('{words(language, 'Where your complaint stands')}')")
    assert ticket.reference in page.content() and ticket.subject not in page.content()
    layout_is_sound(page)
    page.screenshot(path=str(screenshots / f"{shot}-2-status.png"), full_page=True)
    assert page.is_checked("#id_link_via_0")  # e-mail unless the customer picks SMS
    page.click(f"button:has-text('{words(language, 'Send me my link')}')")
    page.wait_for_selector(f"h1:has-text('{words(language, 'Check your e-mail')}')")
    layout_is_sound(page)
    page.screenshot(path=str(screenshots / f"{shot}-3-link-sent.png"), full_page=True)
    assert [m.to for m in mail.outbox] == [["li.lei@example.com"]]  # the address on file only
    page.goto(live_server.url + link_path(mail.outbox[0].body))
    assert page.locator("h1").inner_text() == ticket.subject
    page.context.close()


@pytest.mark.parametrize(("language", "screen"), ZH_DESKTOP_EN_PHONE)
def test_a_phone_only_customer_gets_the_link_by_sms_and_the_page_tells_nothing(
    live_server, browser, screenshots, settings, language, screen
):
    settings.COMPLAINTS = {**settings.COMPLAINTS, "TRACK_ATTEMPTS_PER_REFERENCE": 2}
    ticket = open_complaint(email="", phone="13600136000", language=language)
    page = open_page(browser, viewport=screen, language=language)
    shot = f"customer-track-sms-{language}-{screen}"

    def ask_by_sms(reference: str) -> str:
        page.goto(f"{live_server.url}/track/")
        page.fill("#id_link_reference", reference)
        page.get_by_label(words(language, "By text message (SMS)")).check()
        page.click(f"button:has-text('{words(language, 'Send me my link')}')")
        page.wait_for_load_state()
        return page.locator("main").inner_text()

    page.goto(f"{live_server.url}/track/")
    layout_is_sound(page)
    page.screenshot(path=str(screenshots / f"{shot}-1-form.png"), full_page=True)
    answer = ask_by_sms(ticket.reference)
    assert words(language, "Check your phone") in answer
    page.screenshot(path=str(screenshots / f"{shot}-2-sent.png"), full_page=True)
    [(number, text)] = RecordingSms.sent
    assert number == "13600136000" and ticket.reference in text
    assert mail.outbox == []
    # A reference that does not exist gets the very same page, and nothing is sent.
    assert ask_by_sms("CMP-ZZZZZZZZ") == answer
    assert len(RecordingSms.sent) == 1

    page.goto(live_server.url + link_path(text))
    assert page.locator("h1").inner_text() == ticket.subject

    # Asking again and again for the same reference is paused.
    assert words(language, "Check your phone") in ask_by_sms(ticket.reference)
    assert words(language, "Too many attempts") in ask_by_sms(ticket.reference)
    assert len(RecordingSms.sent) == 2
    page.screenshot(path=str(screenshots / f"{shot}-3-paused.png"), full_page=True)
    page.context.close()


# --- self-help: the FAQ and the privacy notice ----------------------------------------------------


@pytest.mark.parametrize(("language", "screen"), ZH_DESKTOP_EN_PHONE)
def test_faq_search_an_answer_and_the_privacy_notice_from_the_footer(
    live_server, browser, screenshots, language, screen
):
    KBArticle.objects.create(
        slug="refund-time",
        title_zh="退款多久到账？",
        title_en="How long does a refund take?",
        body_zh="退款通常在3个工作日内到账。",
        body_en="Refunds usually arrive within 3 working days.",
        is_public=True,
    )
    page = open_page(browser, viewport=screen, language=language)
    shot = f"customer-self-help-{language}-{screen}"
    page.goto(f"{live_server.url}/")
    layout_is_sound(page)
    page.screenshot(path=str(screenshots / f"{shot}-1-home.png"), full_page=True)

    page.click(f".public-nav-link:has-text('{words(language, 'FAQ')}')")
    page.fill("#faq-q", "退款" if language == "zh-hans" else "refund")
    page.click(f".search button:has-text('{words(language, 'Search')}')")
    title = "退款多久到账？" if language == "zh-hans" else "How long does a refund take?"
    page.click(f".faq-list a:has-text('{title}')")
    assert page.locator("h1").inner_text() == title
    assert ("3个工作日" if language == "zh-hans" else "3 working days") in page.locator(
        "article"
    ).inner_text()
    layout_is_sound(page)
    page.screenshot(path=str(screenshots / f"{shot}-2-answer.png"), full_page=True)

    page.click(f".footer-links a:has-text('{words(language, 'Privacy notice')}')")
    page.wait_for_url(f"{live_server.url}/privacy/")
    assert page.locator("h1").inner_text() == words(language, "Privacy notice")
    headings = page.locator("article h2").all_inner_texts()
    assert words(language, "How long we keep it") in headings and words(language, "Your rights") in headings
    page.click(f".toc a:has-text('{words(language, 'Your rights')}')")
    assert page.url.endswith("#rights")
    layout_is_sound(page)
    page.screenshot(path=str(screenshots / f"{shot}-3-privacy.png"), full_page=True)
    page.context.close()
