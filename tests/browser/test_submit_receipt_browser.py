"""The web form's receipt in a real browser: a complaint in a known customer's name names no ticket."""

import pytest

from complaints.models import Ticket
from tests.security.helpers import DESCRIPTION, SUBJECT, VICTIM_EMAIL, victim_ticket

from .conftest import browser_marks, open_page

pytestmark = browser_marks()


@pytest.mark.parametrize(
    ("language", "viewport", "expected"),
    [("en", "desktop", "on file"), ("zh-hans", "phone", "登记的联系方式")],
)
def test_a_repeat_in_the_victims_name_gets_a_neutral_receipt(
    live_server, browser, screenshots, language, viewport, expected
):
    alice = victim_ticket()
    page = open_page(browser, viewport=viewport, language=language)
    page.goto(f"{live_server.url}/submit/")
    page.fill("#id_name", "Mallory")
    page.fill("#id_email", VICTIM_EMAIL)
    page.fill("#id_subject", SUBJECT)
    page.fill("#id_description", DESCRIPTION + " Call me back.")
    page.check("#id_consent")
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/submit/done/")
    text = page.inner_text("main") if page.query_selector("main") else page.content()
    page.screenshot(
        path=str(screenshots / f"submit-receipt-neutral-{language}-{viewport}.png"), full_page=True
    )
    assert expected in text
    assert alice.reference not in page.content() and "/t/" not in page.content()
    assert Ticket.objects.count() == 1 and alice.messages.count() == 1


def test_a_first_time_customer_sees_reference_and_link(live_server, browser, screenshots):
    page = open_page(browser)
    page.goto(f"{live_server.url}/submit/")
    page.fill("#id_name", "New Person")
    page.fill("#id_email", "new.person@example.com")
    page.fill("#id_subject", SUBJECT)
    page.fill("#id_description", DESCRIPTION)
    page.check("#id_consent")
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/submit/done/")
    page.screenshot(path=str(screenshots / "submit-receipt-first-contact-en-desktop.png"), full_page=True)
    assert Ticket.objects.get().reference in page.content()
