"""Redis (broker and cache of the web process, the worker and beat) killed and started again while
customers submit and agents reply and resolve: every page and API call answers normally throughout
(the cache fails open, a publish that fails leaves the delivery to the outbox), and afterwards every
acknowledgement, reply, resolution notice and survey has gone, each once.

The Redis is this case's own server on a free port, without persistence: a restart loses every
queued task, as a real one without AOF does. The machine's Redis on 6379 is never touched."""

import re
import shutil
import signal
import subprocess
import time
import uuid
from collections import Counter
from datetime import time as time_of_day
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import requests
from django.utils import timezone
from rest_framework.authtoken.models import Token

from channels_intake.models import InboundItem, OutboundMessage
from complaints.models import Ticket
from feedback.models import Survey, SurveyPolicy
from tests.factories import RootCauseFactory, SupervisorFactory

from .conftest import FAULT_CASE, free_port, record, wait_for

pytestmark = FAULT_CASE

ROUNDS_BEFORE, OUTAGE_SECONDS, ROUNDS_AFTER = 3, 5, 3


class OwnRedis:
    """A redis-server of this case on a free loopback port; kill() is SIGKILL (nothing saved)."""

    def __init__(self, folder: Path) -> None:
        self.port, self.folder = free_port(), folder
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("the Redis restart case needs redis-server (apt-get install redis-server)")
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [*argv, "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        wait_for(lambda: self._pings(client), seconds=20, what="redis-server starting")

    @staticmethod
    def _pings(client: redis.Redis) -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


class Desk:
    """One customer's submission, then an agent's reply and resolution through the API."""

    def __init__(self, url: str, token: str, cause: str) -> None:
        self.url, self.cause = url, cause
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Token {token}"
        self.statuses: Counter = Counter()
        self.slowest_ms = 0
        self.emails: list[str] = []
        self.surveys_due: list[int] = []

    def _timed(self, what: str, call, expected: int) -> requests.Response:
        before = time.monotonic()
        response = call()
        self.slowest_ms = max(self.slowest_ms, int((time.monotonic() - before) * 1000))
        self.statuses[(what, response.status_code)] += 1
        assert response.status_code == expected, (what, response.status_code, response.text[:1500])
        return response

    def round(self) -> None:
        email = f"redis{len(self.emails)}-{uuid.uuid4().hex[:6]}@example.com"
        self.emails.append(email)
        customer = requests.Session()
        page = self._timed("form", lambda: customer.get(f"{self.url}/submit/", timeout=30), 200)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        submission = str(uuid.uuid4())
        data = {
            "csrfmiddlewaretoken": csrf,
            "name": "韩梅梅",
            "email": email,
            "subject": "Broadband down",
            "description": f"No broadband since Monday ({email}).",
            "consent": "on",
            "website": "",
            "submission_id": submission,
        }
        post = lambda: customer.post(f"{self.url}/submit/", data=data, allow_redirects=False, timeout=30)  # noqa: E731
        done = self._timed("submit", post, 302)
        self._timed("done page", lambda: customer.get(self.url + done.headers["Location"], timeout=30), 200)
        ticket = InboundItem.objects.get(source_id=f"web:{submission}").ticket
        base = f"{self.url}/api/v1/tickets/{ticket.reference}"
        reply = {"body": "We are checking the line.", "visibility": "public"}
        self._timed("api reply", lambda: self.api.post(f"{base}/messages/", json=reply, timeout=30), 201)
        seen = self._timed("api ticket", lambda: self.api.get(f"{base}/", timeout=30), 200)
        resolve = {"root_cause": self.cause, "steps_taken": "Replaced the line card."}
        headers = {"If-Match": seen.headers["ETag"]}
        call = lambda: self.api.post(f"{base}/resolve/", json=resolve, headers=headers, timeout=30)  # noqa: E731
        self._timed("api resolve", call, 200)
        # The survey is due at once (its policy waits a day after the resolution).
        self.surveys_due.append(
            Survey.objects.filter(ticket=ticket).update(send_after=timezone.now() - timedelta(seconds=1))
        )


def test_redis_restarted_while_customers_submit_and_agents_reply_loses_nothing(procs, smtp, own_redis):
    inbox, _port = smtp
    supervisor = SupervisorFactory()
    token = Token.objects.create(user=supervisor).key
    cause = RootCauseFactory(slug=f"line-{uuid.uuid4().hex[:6]}").slug
    # No quiet hours: the case must not depend on the hour it runs at (surveys wait out the night).
    SurveyPolicy.objects.update(quiet_start=time_of_day(0), quiet_end=time_of_day(0))
    started = timezone.now()
    env = {"REDIS_URL": own_redis.url, "CELERY_BROKER_URL": own_redis.url, "OUTBOX_REQUEUE_AFTER": "3"}
    url = procs.web(**env)
    procs.worker(**env)
    procs.beat(OUTBOX_REQUEUE_INTERVAL="1", SURVEY_SEND_INTERVAL="1", **env)
    wait_for(
        lambda: "holding the beat lock" in procs.log("beat"), seconds=40, what="beat running", procs=procs
    )
    desk = Desk(url, token, cause)

    for _ in range(ROUNDS_BEFORE):
        desk.round()
    own_redis.kill()
    outage_ends = time.monotonic() + OUTAGE_SECONDS
    rounds_during = 0
    while time.monotonic() < outage_ends:
        desk.round()
        rounds_during += 1
    own_redis.start()
    for _ in range(ROUNDS_AFTER):
        desk.round()

    tickets = Ticket.objects.filter(created_at__gte=started)
    assert tickets.count() == len(desk.emails)
    deliveries = OutboundMessage.objects.filter(ticket__in=tickets)
    surveys = Survey.objects.filter(ticket__in=tickets)
    wait_for(
        lambda: (
            not deliveries.exclude(state=OutboundMessage.State.SENT).exists()
            and surveys.filter(state=Survey.State.SENT).count() == len(desk.emails)
        ),
        seconds=120,
        what="every delivery and survey sent after the restart",
        procs=procs,
        detail=lambda: (
            Counter(deliveries.values_list("purpose", "state")),
            Counter(surveys.values_list("state", flat=True)),
            list(surveys.values_list("send_after", "channel", "ticket__status")),
            timezone.now(),
            desk.surveys_due,
        ),
    )
    time.sleep(4)  # more re-queue rounds: nothing sent goes again
    # Each customer: an acknowledgement, the reply, the resolution notice and the survey.
    purposes = Counter(deliveries.values_list("purpose", flat=True))
    per_ticket = {
        OutboundMessage.Purpose.ACKNOWLEDGEMENT: 1,
        OutboundMessage.Purpose.REPLY: 1,
        OutboundMessage.Purpose.RESOLUTION: 1,
    }
    assert purposes == {purpose: n * len(desk.emails) for purpose, n in per_ticket.items()}, purposes
    received = inbox.by_recipient()
    expected = sum(per_ticket.values()) + 1
    lost = sum(max(expected - received[email], 0) for email in desk.emails)
    duplicates = sum(max(received[email] - expected, 0) for email in desk.emails)
    server_errors = sum(n for (_what, status), n in desk.statuses.items() if status >= 500)
    record(
        "redis restarted under web load",
        customers=len(desk.emails),
        rounds_during_outage=rounds_during,
        server_errors=server_errors,
        slowest_request_ms=desk.slowest_ms,
        lost=lost,
        duplicates=duplicates,
    )
    assert rounds_during >= 1
    assert (lost, duplicates, server_errors) == (0, 0, 0), (received, desk.statuses)
