"""The satisfaction survey in a real browser, from the link in the survey e-mail to the thanks page.

Chromium sends an Origin header on the form's POST; with "Referrer-Policy: no-referrer" it was
"Origin: null" and the CSRF check answered 403, which Django's test client never showed.
"""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from complaints import services as complaint_services
from complaints.models import Ticket
from complaints.states import Status
from feedback import services as feedback_services
from feedback.models import Survey, SurveyAnswer
from tests.browser.conftest import browser_marks, open_page
from tests.factories import AgentFactory, RootCauseFactory, TeamFactory

pytestmark = browser_marks()


def words(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


def survey_mail_for(language: str) -> tuple[Ticket, str]:
    """A resolved ticket whose survey e-mail has gone out, and that e-mail's text."""
    team = TeamFactory(slug="network", name_en="Network", name_zh="网络")
    agent = AgentFactory(username="agent-zhou", first_name="伟", last_name="周", team=team)
    ticket = complaint_services.open_ticket(
        actor=None,
        channel=Ticket.Channel.WEB,
        customer=complaint_services.CustomerDetails(
            name="李雷", email="li.lei@example.com", language=language
        ),
        subject="宽带每晚掉线" if language == "zh-hans" else "Broadband drops every evening",
        description="Since Monday the line drops at 8 p.m.",
        default_team=team,
    ).ticket
    complaint_services.assign(ticket_id=ticket.pk, actor=agent, assignee=agent, version=None)
    complaint_services.resolve(
        ticket_id=ticket.pk,
        actor=agent,
        version=None,
        root_cause=RootCauseFactory(slug="line-fault"),
        steps_taken="Replaced the faulty line card.",
    )
    # Sent as the beat would at 10:00 tomorrow: outside any quiet hours, whenever the suite runs.
    morning = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    Survey.objects.filter(ticket=ticket).update(send_after=morning - timedelta(minutes=1))
    mail.outbox.clear()
    assert feedback_services.send_due_surveys(now=morning).sent == 1
    return ticket, mail.outbox[-1].body


def rating_link(body: str, rating: int) -> str:
    return re.search(rf"^{rating}/5: https?://[^/\s]+(/survey/\S+)$", body, re.M).group(1)


@pytest.mark.parametrize(
    ("language", "screen"),
    [pytest.param("en", "desktop", id="en-desktop"), pytest.param("zh-hans", "phone", id="zh-phone")],
)
def test_a_customer_answers_the_survey_then_changes_the_answer(
    live_server, browser, screenshots, language, screen
):
    ticket, body = survey_mail_for(language)
    page = open_page(browser, viewport=screen, language=language)
    shot = f"customer-survey-{language}-{screen}"

    # The one-click link from the e-mail opens the form with that rating chosen; nothing is recorded yet.
    response = page.goto(live_server.url + rating_link(body, 4))
    assert response.status == 200 and response.headers["referrer-policy"] == "same-origin"
    assert page.locator("h1").inner_text() == words(language, "How did we do?")
    assert page.is_checked("input[name=rating][value='4']")
    assert not SurveyAnswer.objects.exists()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(screenshots / f"{shot}-1-form.png"), full_page=True)

    page.check("input[name=solved][value=yes]")
    page.fill("#id_comment", "Quick and friendly, thank you.")
    page.click(f"form.survey button:has-text('{words(language, 'Send my answer')}')")
    page.wait_for_selector(f"h1:has-text('{words(language, 'Thank you for your answer')}')")
    assert "CSRF" not in page.content()
    thanks = page.locator("main").inner_text()
    assert ticket.reference in thanks and "4" in thanks
    answer = SurveyAnswer.objects.get()
    assert (answer.rating, answer.solved, answer.comment) == (4, True, "Quick and friendly, thank you.")
    page.screenshot(path=str(screenshots / f"{shot}-2-thanks.png"), full_page=True)

    # Within the week the answer can be changed: "not solved" reopens the complaint.
    page.click(".card a[href*='/survey/']")
    assert words(language, "Change my answer") in page.locator("form.survey button").inner_text()
    page.check("input[name=rating][value='2']")
    page.check("input[name=solved][value=no]")
    page.click("form.survey button[type=submit]")
    page.wait_for_selector(f"h1:has-text('{words(language, 'Thank you for your answer')}')")
    assert (
        words(
            language,
            "You told us the problem is not solved. Your complaint has been reopened and we will get back to you.",
        )
        in page.locator("main").inner_text()
    )
    answer.refresh_from_db()
    assert (answer.rating, answer.solved) == (2, False)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS
    page.screenshot(path=str(screenshots / f"{shot}-3-changed.png"), full_page=True)
    page.context.close()
