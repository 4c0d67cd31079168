"""Issue 15 item 9: a poison mail is kept as failed, flagged on the server, and the poller goes on, against
the real Dovecot the intake suite uses; parsing stays within bounds (size, nesting, memory)."""

import imaplib
import shutil
import tempfile
import tracemalloc
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.management import call_command

from channels_intake import imap, mailparse, services
from channels_intake.models import InboundItem, Mailbox
from complaints.models import Ticket
from tests.channels_intake.servers import Dovecot, dovecot_binary


@pytest.fixture
def dovecot(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]  # the test server is local: allowed explicitly
    binary = dovecot_binary()
    if binary is None:
        pytest.skip("Dovecot is not installed and cannot be installed here (needs root and apt-get)")
    root = Path(tempfile.mkdtemp(prefix="dovecot-"))
    server = Dovecot(root=root)
    try:
        server.start(binary)
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def new_mailbox(dovecot, *, name: str = "Complaints", address: str = "complaints@desk.example") -> Mailbox:
    return Mailbox.objects.create(
        name=name,
        address=address,
        host="127.0.0.1",
        port=dovecot.port,
        security=Mailbox.Security.NONE,
        username=dovecot.user,
        password=dovecot.password,
    )


def customer_mail(
    *, message_id: str, subject: str = "Refund not received", body: str = "Still waiting."
) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Han Meimei <han@example.com>"
    msg["To"] = "complaints@desk.example"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg.set_content(body)
    return msg.as_bytes()


def nested_multipart(depth: int) -> bytes:
    raw = b"From: bomb@example.com\r\nSubject: nested\r\nMessage-ID: <bomb@example.com>\r\n"
    for level in range(depth):
        raw += b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level)
    raw += b"Content-Type: text/plain\r\n\r\nhello\r\n"
    for level in reversed(range(depth)):
        raw += b"--b%d--\r\n" % level
    return raw


def base64_mail(total_bytes: int) -> bytes:
    head = (
        b"From: big@example.com\r\nTo: complaints@desk.example\r\nSubject: Huge video\r\n"
        b"Message-ID: <huge@example.com>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nvideo\r\n'
        b"--XX\r\nContent-Type: video/mp4\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="v.mp4"\r\n\r\n'
    )
    line = b"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\r\n"
    return head + line * ((total_bytes - len(head)) // len(line)) + b"--XX--\r\n"


def imap_client(dovecot) -> imaplib.IMAP4:
    client = imaplib.IMAP4("127.0.0.1", dovecot.port)
    client.login(dovecot.user, dovecot.password)
    return client


def append(dovecot, *messages: bytes) -> None:
    client = imap_client(dovecot)
    for raw in messages:
        assert client.append("INBOX", None, None, raw)[0] == "OK"
    client.logout()


def search(dovecot, criterion: str) -> int:
    client = imap_client(dovecot)
    client.select("INBOX")
    found = len(client.uid("SEARCH", None, criterion)[1][0].split())
    client.logout()
    return found


def test_parsing_a_thousand_deep_multipart_is_a_malformed_mail_not_a_recursion_error():
    with pytest.raises(mailparse.MalformedEmail):
        mailparse.parse(nested_multipart(1000))


def test_nesting_deeper_than_the_depth_cap_is_refused_even_under_the_part_count_cap():
    assert mailparse.MAX_MIME_DEPTH < 60 < mailparse.MAX_MIME_CONTAINERS
    with pytest.raises(mailparse.MalformedEmail, match="levels deep"):
        mailparse.parse(nested_multipart(60))
    assert mailparse.parse(nested_multipart(3)).text == "hello"


def test_a_mail_over_the_size_cap_is_refused_before_parsing(settings):
    settings.INTAKE = {**settings.INTAKE, "EMAIL_MAX_BYTES": 10_000}
    with pytest.raises(mailparse.EmailTooLarge):
        mailparse.parse(base64_mail(20_000))


@pytest.mark.django_db
def test_a_poison_mail_is_stored_failed_flagged_and_the_next_mail_is_processed(dovecot):
    mailbox = new_mailbox(dovecot)
    append(dovecot, nested_multipart(1000), customer_mail(message_id="<after@example.com>"))
    result = imap.poll_mailbox(mailbox)
    assert (result.fetched, result.processed, result.failed) == (2, 1, 1)
    poison = InboundItem.objects.get(state=InboundItem.State.FAILED)
    assert poison.state == InboundItem.State.FAILED and "nest" in poison.error
    assert poison.raw_bytes == nested_multipart(1000)  # the raw mail is kept as it came
    assert Ticket.objects.get().subject == "Refund not received"
    assert search(dovecot, "UNSEEN") == 0 and search(dovecot, "FLAGGED") == 1
    # Later polls are not blocked by it, and it is not taken again.
    append(dovecot, customer_mail(message_id="<later@example.com>", subject="Second problem", body="Other."))
    assert imap.poll_mailbox(mailbox).fetched == 1
    assert InboundItem.objects.count() == 3


@pytest.mark.django_db
def test_a_50_mb_base64_mail_is_never_loaded_whole(dovecot, settings):
    mailbox = new_mailbox(dovecot)
    append(dovecot, base64_mail(50 * 1024 * 1024))
    append(dovecot, customer_mail(message_id="<small@example.com>"))
    tracemalloc.start()
    try:
        result = imap.poll_mailbox(mailbox)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (result.fetched, result.processed, result.failed) == (2, 1, 1)
    assert peak < 8 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB while polling a 50 MB mail"
    big = InboundItem.objects.get(state=InboundItem.State.FAILED)
    assert big.state == InboundItem.State.FAILED and "over the limit" in big.error
    assert b"Subject: Huge video" in big.raw_bytes and len(big.raw_bytes) < 100 * 1024
    assert search(dovecot, "UNSEEN") == 0 and search(dovecot, "FLAGGED") == 1
    # Reprocessing the kept head never makes a ticket of a truncated mail.
    assert services.process_item(item_id=big.pk).state == InboundItem.State.FAILED
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_one_mailbox_failing_never_stops_the_others(dovecot, monkeypatch, capsys):
    broken = new_mailbox(dovecot, name="Broken", address="broken@desk.example")
    working = new_mailbox(dovecot, name="Working", address="complaints@desk.example")
    append(dovecot, customer_mail(message_id="<w1@example.com>"))
    real_connect = imap.connect

    def connect(mailbox: Mailbox) -> imaplib.IMAP4:
        if mailbox.pk == broken.pk:
            raise RuntimeError("an unexpected failure in this mailbox")
        return real_connect(mailbox)

    monkeypatch.setattr(imap, "connect", connect)
    call_command("poll_mailboxes")
    assert "fetched 1, processed 1" in capsys.readouterr().out
    broken.refresh_from_db()
    working.refresh_from_db()
    assert "RuntimeError" in broken.last_error and working.last_error == ""
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_a_mail_that_fails_to_be_stored_is_left_for_the_next_poll_and_the_batch_goes_on(dovecot, monkeypatch):
    mailbox = new_mailbox(dovecot)
    append(
        dovecot,
        customer_mail(message_id="<s1@example.com>"),
        customer_mail(message_id="<s2@example.com>", subject="Another", body="Another problem."),
    )
    real_take = services.take_email

    def take_email(*, raw: bytes, mailbox: Mailbox | None) -> InboundItem:
        if b"<s1@example.com>" in raw:
            raise RuntimeError("database refused the row")
        return real_take(raw=raw, mailbox=mailbox)

    monkeypatch.setattr(services, "take_email", take_email)
    result = imap.poll_mailbox(mailbox)
    assert result.processed == 1
    assert search(dovecot, "UNSEEN") == 1  # the one not stored is fetched again next time
    monkeypatch.setattr(services, "take_email", real_take)
    assert imap.poll_mailbox(mailbox).processed == 1
    assert search(dovecot, "UNSEEN") == 0
