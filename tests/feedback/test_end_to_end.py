"""The whole follow-up with a real SMTP server: resolve, the sender mails the survey, the customer
clicks a rating link (nothing recorded), submits (recorded), and the outcomes and figures follow."""

import datetime as dt
import email
import email.policy
import re
import socket
import threading
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command

from complaints import extensions
from complaints.models import Ticket
from complaints.states import Status
from feedback.models import ReturnVisit, Survey, SurveyAnswer

SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = [pytest.mark.django_db, pytest.mark.e2e]


class Inbox:
    """aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free local port, with the default mailer pointed at it."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    try:
        yield inbox
    finally:
        controller.stop()


def test_resolve_mail_click_answer_outcomes_and_stats(
    smtp_server, ticket, lead, resolve, time_machine, client, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://desk.example.test"
    time_machine.move_to(dt.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=True)
    resolve(ticket)
    call_command("send_due_surveys")
    assert smtp_server.messages == []  # not due yet

    time_machine.move_to(dt.datetime(2026, 3, 3, 10, 1, tzinfo=SHANGHAI), tick=True)
    call_command("send_due_surveys")
    call_command("send_due_surveys")  # a second run sends nothing more

    [message] = smtp_server.messages
    assert smtp_server.envelopes[0][1] == ["li.lei@example.com"]
    assert ticket.reference in message["Subject"]
    assert message["List-Unsubscribe"].startswith("<http://desk.example.test/survey/")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    links = re.findall(r"http://desk\.example\.test/survey/\S+/\?rating=(\d)", text)
    assert sorted(links) == ["1", "2", "3", "4", "5"]
    assert "?rating=2" in html
    one_click = urlsplit(re.search(r"(http://desk\.example\.test/survey/\S+/\?rating=2)", text).group(1))
    stats_before = extensions.stats(
        dt.datetime(2026, 3, 1, tzinfo=SHANGHAI),
        dt.datetime(2026, 4, 1, tzinfo=SHANGHAI),
        Ticket.objects.all(),
    )["satisfaction"]

    # A mail scanner (or the customer) opens the link: the form shows, nothing is recorded.
    opened = client.get(f"{one_click.path}?{one_click.query}")
    assert opened.status_code == 200
    assert opened.context["form"].initial["rating"] == 2
    assert not SurveyAnswer.objects.exists()
    assert Survey.objects.get().state == Survey.State.SENT

    # One click on the page records it; "not solved" with a comment.
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(
            one_click.path, {"rating": "2", "solved": "no", "comment": "Still dropping at night"}
        )
    assert posted.status_code == 302

    answer = SurveyAnswer.objects.get()
    assert (answer.rating, answer.solved) == (2, False)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.messages.filter(body="Still dropping at night").exists()
    visit = ReturnVisit.objects.get()
    assert visit.assignee == lead
    stats_after = extensions.stats(
        dt.datetime(2026, 3, 1, tzinfo=SHANGHAI),
        dt.datetime(2026, 4, 1, tzinfo=SHANGHAI),
        Ticket.objects.all(),
    )["satisfaction"]
    assert (stats_before["answered"], stats_before["average_rating"]) == (0, None)
    assert (stats_after["answered"], stats_after["average_rating"], stats_after["csat"]) == (1, 2.0, 0.0)
    assert stats_after["solved_rate"] == 0.0


def test_unreachable_smtp_server_leaves_the_survey_for_a_later_run(ticket, resolve, time_machine, settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 5},
        }
    }
    time_machine.move_to(dt.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=True)
    resolve(ticket)
    time_machine.move_to(dt.datetime(2026, 3, 3, 10, 1, tzinfo=SHANGHAI), tick=True)

    call_command("send_due_surveys")

    survey = Survey.objects.get()
    assert survey.state == Survey.State.SCHEDULED
    assert survey.attempts == 1
    assert "Connection" in survey.last_error or "refused" in survey.last_error.lower()
