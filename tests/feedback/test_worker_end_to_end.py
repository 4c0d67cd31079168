"""The survey path through a real Celery worker with its beat on Redis and a real SMTP server:
resolve → beat runs feedback.tasks.send_due_surveys → the mail arrives → a click records nothing →
the posted rating is stored, reopens the ticket, opens a return visit and changes the figures."""

import datetime as dt
import os
import re
from datetime import time as clock
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from complaints import extensions
from complaints import services as complaint_services
from complaints.models import Ticket
from complaints.states import Status
from feedback.models import ReturnVisit, Survey, SurveyAnswer, SurveyPolicy
from tests import workers
from tests.factories import AgentFactory, CustomerFactory, RootCauseFactory, TeamFactory, TicketFactory
from tests.workers import wait_for

from .test_end_to_end import free_port, smtp_server  # noqa: F401  (the SMTP server fixture)

pytestmark = workers.END_TO_END


@pytest.fixture
def worker(smtp_server, tmp_path):  # noqa: F811
    """A Celery worker with embedded beat on Redis, sharing the test database and sending to the SMTP server."""
    mailer = django_settings.MAILERS["default"]["OPTIONS"]
    env = workers.worker_env(
        tmp_path,
        FEEDBACK_E2E_KEYPREFIX=f"feedback-e2e-{os.getpid()}:",
        EMAIL_URL=f"smtp://{mailer['host']}:{mailer['port']}",
        SITE_URL="http://desk.example.test",
        SURVEY_SEND_INTERVAL="1",
    )
    command = workers.celery(
        "tests.feedback.celery_e2e_app",
        "worker",
        "-B",
        "--pool",
        "solo",
        *workers.QUIET_WORKER,
        "-s",
        str(tmp_path / "beat-schedule"),
    )
    with workers.running({"worker.log": command}, env=env, logs=tmp_path):
        yield smtp_server


def test_beat_and_worker_send_the_survey_and_the_answer_has_its_effects(worker, client, tmp_path):
    SurveyPolicy.objects.update(delay_minutes=0, quiet_start=clock(0, 0), quiet_end=clock(0, 0))
    team = TeamFactory()
    agent = AgentFactory(team=team)
    lead = AgentFactory(team=team, team__role="lead")
    ticket = TicketFactory(team=team, assignee=agent, customer=CustomerFactory(email="wang.fang@example.com"))
    start = timezone.now() - dt.timedelta(days=1)
    stats_before = extensions.stats(start, start + dt.timedelta(days=2), Ticket.objects.all())["satisfaction"]

    complaint_services.resolve(
        ticket_id=ticket.pk, actor=agent, version=None, root_cause=RootCauseFactory(), steps_taken="Fixed"
    )

    wait_for(lambda: worker.messages, seconds=90, what="the survey e-mail", logs=[tmp_path / "worker.log"])
    [message] = worker.messages
    assert worker.envelopes[0][1] == ["wang.fang@example.com"]
    # The mail leaves inside the worker's transaction; its state is visible once that commits.
    wait_for(
        lambda: Survey.objects.get().state == Survey.State.SENT,
        seconds=30,
        what="the survey marked sent",
        logs=[tmp_path / "worker.log"],
    )
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = urlsplit(re.search(r"http://desk\.example\.test(/survey/\S+/)\?rating=1", text).group(0))

    assert client.get(f"{link.path}?{link.query}").status_code == 200
    assert not SurveyAnswer.objects.exists()
    client.post(link.path, {"rating": "1", "solved": "no", "comment": "Nothing changed"})

    answer = SurveyAnswer.objects.get()
    assert (answer.rating, answer.solved) == (1, False)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS
    assert ReturnVisit.objects.get().assignee == lead
    stats_after = extensions.stats(start, start + dt.timedelta(days=2), Ticket.objects.all())["satisfaction"]
    assert (stats_before["sent"], stats_before["answered"]) == (0, 0)
    assert (stats_after["sent"], stats_after["answered"], stats_after["csat"]) == (1, 1, 0.0)
    log = tmp_path / "worker.log"
    runs = log.read_text().count("feedback.tasks.send_due_surveys[")
    wait_for(
        lambda: log.read_text().count("feedback.tasks.send_due_surveys[") >= runs + 4,
        seconds=60,
        what="two more runs of the sender",
        logs=[log],
    )
    assert len(worker.messages) == 1  # nothing is sent twice
