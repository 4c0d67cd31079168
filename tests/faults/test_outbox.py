"""The outbox: customers submit on the web form while the broker is unreachable; every submission is
answered normally, and once a worker and beat run again the periodic re-queue sends each
acknowledgement exactly once."""

import re
import time
import uuid

import requests
from django.utils import timezone

from channels_intake.models import OutboundMessage

from .conftest import FAULT_CASE, record, wait_for

pytestmark = FAULT_CASE

CUSTOMERS = 6


def submit(session: requests.Session, url: str, email: str) -> requests.Response:
    page = session.get(f"{url}/submit/", timeout=30)
    assert page.status_code == 200, page.text[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    data = {
        "csrfmiddlewaretoken": token,
        "name": "王小明",
        "email": email,
        "subject": "Broadband down",
        "description": f"My broadband has been down for three days ({email}).",
        "consent": "on",
        "website": "",
        "submission_id": str(uuid.uuid4()),
    }
    return session.post(f"{url}/submit/", data=data, allow_redirects=False, timeout=30)


def test_broker_down_while_customers_submit_then_each_acknowledgement_goes_once(procs, smtp):
    inbox, _port = smtp
    started = timezone.now()
    # The web process's broker is a closed port: every publish after commit fails.
    url = procs.web(CELERY_BROKER_URL="redis://127.0.0.1:1/7", OUTBOX_REQUEUE_AFTER="2")
    emails = [f"outbox{index}-{uuid.uuid4().hex[:6]}@example.com" for index in range(CUSTOMERS)]
    timings = []
    for address in emails:
        session = requests.Session()
        before = time.monotonic()
        response = submit(session, url, address)
        timings.append(int((time.monotonic() - before) * 1000))
        assert response.status_code == 302, (response.status_code, response.text[:2000], procs.tails())
        done = session.get(url + response.headers["Location"], timeout=30)
        assert done.status_code == 200
    assert "broker unavailable" in procs.log("web")

    acks = OutboundMessage.objects.filter(
        purpose=OutboundMessage.Purpose.ACKNOWLEDGEMENT, created_at__gte=started
    )
    assert acks.count() == CUSTOMERS
    assert set(acks.values_list("state", flat=True)) == {OutboundMessage.State.QUEUED}
    assert inbox.count() == 0

    # The broker is back for the worker and beat: the re-queue finds the stranded rows.
    procs.worker(OUTBOX_REQUEUE_AFTER="2")
    procs.beat(OUTBOX_REQUEUE_INTERVAL="1", OUTBOX_REQUEUE_AFTER="2")
    wait_for(
        lambda: acks.filter(state=OutboundMessage.State.SENT).count() == CUSTOMERS,
        seconds=60,
        what="every acknowledgement sent",
        procs=procs,
    )
    # A few more re-queue rounds: nothing already sent goes again.
    time.sleep(4)
    received = inbox.by_recipient()
    lost = sum(1 for address in emails if received[address] == 0)
    duplicates = sum(max(received[address] - 1, 0) for address in emails)
    record(
        "outbox: broker down during web submissions",
        submitted=CUSTOMERS,
        server_errors=0,
        lost=lost,
        duplicates=duplicates,
        submit_ms_first=timings[0],
        submit_ms_slowest_after_first=max(timings[1:]),
    )
    assert (lost, duplicates) == (0, 0), received
    assert "re-queueing" in procs.log("worker")
