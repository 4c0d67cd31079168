"""A Celery worker killed with SIGKILL in the middle of an incident's fan-out (one public update to a few
hundred linked tickets) and in the middle of an IMAP poll (a batch of mails in a real Dovecot): after a
restart every ticket has the update once and every mail is one ticket; the customers' mails go once,
except the one the mail server may have accepted just before the kill (at most one per kill, counted)."""

import imaplib
import shutil
import tempfile
import time
import uuid
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

import pytest

from channels_intake.models import InboundItem, Mailbox
from complaints.models import Message, Ticket
from complaints.states import Status
from incidents import services as incident_services
from incidents.models import Incident, IncidentDelivery, IncidentLink
from tests.channels_intake.servers import Dovecot, dovecot_binary
from tests.factories import CustomerFactory, SupervisorFactory

from .conftest import FAULT_CASE, record, wait_for

pytestmark = FAULT_CASE

LINKED = 250  # two chunks (incidents.services.CHUNK_SIZE is 200)
MAILS = 40


def test_worker_killed_mid_incident_fan_out_tells_each_customer_once(procs, smtp):
    inbox, _port = smtp
    supervisor = SupervisorFactory()
    incident = incident_services.create_incident(
        actor=supervisor,
        title_zh="海淀区基站故障",
        title_en="Base station failure in Haidian",
        status=Incident.Status.CONFIRMED,
    )
    tag = uuid.uuid4().hex[:6]
    customers = [
        CustomerFactory(email=f"fan{n}-{tag}@example.com", preferred_language="en" if n % 2 else "zh-hans")
        for n in range(LINKED)
    ]
    tickets = Ticket.objects.bulk_create(
        [
            Ticket(
                customer=customer,
                channel=Ticket.Channel.WEB,
                subject="宽带断网",
                description="家里宽带断网了。",
                status=Status.IN_PROGRESS,
                language=customer.preferred_language,
            )
            for customer in customers
        ]
    )
    IncidentLink.objects.bulk_create([IncidentLink(incident=incident, ticket=ticket) for ticket in tickets])

    # A short visibility timeout: the killed worker's chunk comes back within seconds; the outbox
    # re-queue (beat) publishes a reply whose publish the kill cut off after its commit.
    env = {"FAULTS_VISIBILITY_TIMEOUT": "10", "OUTBOX_REQUEUE_AFTER": "20"}
    procs.worker(**env)
    procs.beat(OUTBOX_REQUEUE_INTERVAL="2", **env)
    with procs.publishing_here():
        update, created = incident_services.post_update(
            incident_id=incident.pk,
            actor=supervisor,
            body_zh="预计18点恢复。",
            body_en="Service back by 18:00.",
            idempotency_key=f"faults-{tag}",
        )
    assert created and update.total == LINKED
    deliveries = IncidentDelivery.objects.filter(update=update)
    # A chunk commits as one transaction: killed once the first is in, while the next one is written
    # and the first chunk's replies are being mailed.
    wait_for(lambda: deliveries.exists(), seconds=90, what="the fan-out under way", procs=procs)
    procs.kill("worker")
    told_before_kill = deliveries.count()
    accepted = inbox.count()
    assert told_before_kill < LINKED, "the fan-out had finished before the kill"

    procs.worker("worker-2", **env)
    addresses = [customer.email.lower() for customer in customers]
    wait_for(
        lambda: deliveries.count() == LINKED and len(inbox.by_recipient().keys() & set(addresses)) == LINKED,
        seconds=240,
        what="every linked customer told after the restart",
        procs=procs,
        detail=lambda: (deliveries.count(), len(inbox.by_recipient().keys() & set(addresses))),
    )
    time.sleep(3)  # a few more re-queue rounds and redelivered tasks: nothing goes again
    received = inbox.by_recipient()
    replies = Counter(
        Message.objects.filter(ticket__in=tickets, kind=Message.Kind.REPLY).values_list(
            "ticket_id", flat=True
        )
    )
    lost = sum(1 for address in addresses if received[address] == 0) + sum(
        1 for ticket in tickets if replies[ticket.pk] == 0
    )
    reply_duplicates = sum(max(n - 1, 0) for n in replies.values())
    smtp_duplicates = sum(max(received[address] - 1, 0) for address in addresses)
    record(
        "worker SIGKILL mid incident fan-out",
        linked=LINKED,
        told_before_kill=told_before_kill,
        accepted_before_kill=accepted,
        lost=lost,
        reply_duplicates=reply_duplicates,
        smtp_duplicates=smtp_duplicates,
    )
    assert (lost, reply_duplicates) == (0, 0), (replies, received)
    assert smtp_duplicates <= 1, received


@pytest.fixture
def dovecot():
    binary = dovecot_binary()
    if binary is None:
        pytest.fail("the fault suite's IMAP case needs Dovecot (scripts/system-packages installs it)")
    # Not under pytest's private temp folder: Dovecot's unprivileged processes must read the config.
    server = Dovecot(root=Path(tempfile.mkdtemp(prefix="faults-dovecot-")))
    try:
        server.start(binary)
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


def customer_mail(n: int, tag: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Customer {n} <imap{n}-{tag}@example.com>"
    msg["To"] = "complaints@desk.example"
    msg["Subject"] = f"Wrong bill number {n}"
    msg["Message-ID"] = f"<faults-{tag}-{n}@example.com>"
    msg.set_content(f"I was charged twice this month (case {n}).")
    return msg.as_bytes()


def test_worker_killed_mid_imap_poll_makes_each_mail_one_ticket(procs, smtp, dovecot):
    inbox, _port = smtp
    tag = uuid.uuid4().hex[:6]
    client = imaplib.IMAP4("127.0.0.1", dovecot.port)
    client.login(dovecot.user, dovecot.password)
    for n in range(MAILS):
        assert client.append("INBOX", None, None, customer_mail(n, tag))[0] == "OK"
    client.logout()
    Mailbox.objects.create(
        name="Complaints",
        address="complaints@desk.example",
        host="127.0.0.1",
        port=dovecot.port,
        security=Mailbox.Security.NONE,
        username=dovecot.user,
        password=dovecot.password,
        batch_size=MAILS,
    )
    items = InboundItem.objects.filter(channel=Ticket.Channel.EMAIL)
    env = {"FAULTS_VISIBILITY_TIMEOUT": "10", "OUTBOUND_ALLOWED_HOSTS": "127.0.0.1"}
    procs.worker(**env)
    procs.beat(MAILBOX_POLL_INTERVAL="2", **env)
    wait_for(lambda: items.count() >= 10, seconds=90, what="the poll under way", procs=procs)
    procs.kill("worker")
    stored_before_kill = items.count()
    assert stored_before_kill < MAILS, "the poll had finished before the kill"

    procs.worker("worker-2", **env)
    wait_for(
        lambda: items.filter(state=InboundItem.State.PROCESSED).count() >= MAILS,
        seconds=180,
        what="every mail taken after the restart",
        procs=procs,
        detail=lambda: items.count(),
    )
    senders = [f"imap{n}-{tag}@example.com" for n in range(MAILS)]
    wait_for(
        lambda: all(inbox.by_recipient()[address] for address in senders),
        seconds=120,
        what="every acknowledgement",
        procs=procs,
    )
    time.sleep(5)  # more polls: the mailbox is empty of new mail, nothing is taken twice
    tickets = Counter(
        Ticket.objects.filter(
            channel=Ticket.Channel.EMAIL, subject__startswith="Wrong bill number"
        ).values_list("subject", flat=True)
    )
    received = inbox.by_recipient()
    lost = sum(1 for n in range(MAILS) if tickets[f"Wrong bill number {n}"] == 0)
    ticket_duplicates = sum(max(count - 1, 0) for count in tickets.values())
    ack_duplicates = sum(max(received[address] - 1, 0) for address in senders)
    record(
        "worker SIGKILL mid IMAP poll",
        mails=MAILS,
        stored_before_kill=stored_before_kill,
        lost=lost,
        ticket_duplicates=ticket_duplicates,
        smtp_duplicates=ack_duplicates,
    )
    assert (lost, ticket_duplicates, items.count()) == (0, 0, MAILS), tickets
    assert ack_duplicates <= 1, received
