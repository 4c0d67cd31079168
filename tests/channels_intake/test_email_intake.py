"""E-mail in: MIME parsing, charsets, threading, loop protection, throttling, idempotency, reprocessing."""

from email.header import Header
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from django.core import mail

from channels_intake import mailparse, services
from channels_intake.models import InboundItem, Mailbox, OutboundMessage
from complaints import services as complaint_services
from complaints.models import Attachment, Message, Ticket
from tests.factories import CustomerFactory

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def plain(
    *,
    subject: str = "Broken router",
    body: str = "My router stopped working yesterday.",
    sender: str = "Li Lei <lilei@example.com>",
    message_id: str = "<m1@client.example>",
    **headers: str,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "complaints@desk.example"
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def take(raw: bytes, mailbox: Mailbox | None = None) -> InboundItem:
    """What the IMAP poller does with a fetched mail (store and process in one transaction)."""
    return services.take_email(raw=raw, mailbox=mailbox)


@pytest.mark.django_db
def test_a_mail_taken_twice_is_one_item_and_one_ticket(mailbox):
    first = take(plain(), mailbox)
    again = take(plain(), mailbox)  # fetched again after a crash before it was marked on the server
    assert again.pk == first.pk and again.state == InboundItem.State.PROCESSED and again.attempts == 1
    assert InboundItem.objects.count() == 1 and Ticket.objects.count() == 1


@pytest.mark.django_db
def test_a_failed_mail_taken_again_is_processed_again(mailbox, monkeypatch):
    original = services.NORMALISERS["email"]
    monkeypatch.setitem(services.NORMALISERS, "email", lambda item: 1 / 0)
    failed = take(plain(), mailbox)
    assert failed.pk is not None and failed.state == InboundItem.State.FAILED
    assert "ZeroDivisionError" in InboundItem.objects.get(pk=failed.pk).error
    monkeypatch.setitem(services.NORMALISERS, "email", original)
    again = take(plain(), mailbox)
    assert again.pk == failed.pk and again.state == InboundItem.State.PROCESSED and again.attempts == 2
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_the_two_step_path_still_stores_then_processes(mailbox):
    item, created = services.receive_email(raw=plain(), mailbox=mailbox)
    assert created and item.state == InboundItem.State.RECEIVED
    assert services.process_item(item_id=item.pk).state == InboundItem.State.PROCESSED
    assert Ticket.objects.get().channel == "email"


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(
        name="Complaints",
        address="complaints@desk.example",
        host="127.0.0.1",
        port=143,
        security=Mailbox.Security.NONE,
        username="desk",
        password="secret",
    )


@pytest.mark.django_db
def test_a_new_mail_opens_a_ticket_and_is_acknowledged_in_thread(
    mailbox, django_capture_on_commit_callbacks, deliveries
):
    with django_capture_on_commit_callbacks(execute=True):
        item = take(plain(), mailbox)
    deliveries.run()
    assert item.state == InboundItem.State.PROCESSED
    ticket = item.ticket
    assert ticket.channel == Ticket.Channel.EMAIL
    assert ticket.subject == "Broken router"
    assert ticket.customer.email == "lilei@example.com" and ticket.customer.name == "Li Lei"
    ack = mail.outbox[0].message()
    assert ack["Subject"].startswith(f"[{ticket.reference}]")
    assert ack["In-Reply-To"] == "<m1@client.example>"
    assert "<m1@client.example>" in ack["References"]
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["Reply-To"] == "complaints@desk.example"
    assert ack["Message-ID"] == OutboundMessage.objects.get().email_message_id
    assert ack.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in ack.iter_parts()] == ["text/plain", "text/html"]


@pytest.mark.django_db
def test_gbk_subject_and_gb2312_body_are_read(mailbox):
    msg = MIMEText("我的宽带已经断了三天，请尽快处理。", "plain", "gb2312")
    msg["From"] = Header("张三", "gbk").encode() + " <zhangsan@example.cn>"
    msg["Subject"] = Header("宽带故障投诉", "gbk")
    msg["Message-ID"] = "<gbk@client.example>"
    item = take(msg.as_bytes(), mailbox)
    assert item.state == InboundItem.State.PROCESSED
    assert item.ticket.subject == "宽带故障投诉"
    assert "宽带已经断了三天" in item.ticket.description
    assert item.ticket.customer.name == "张三"
    assert item.ticket.customer.preferred_language == "zh-hans"


@pytest.mark.parametrize("charset", ["gbk", "gb18030", "big5", "utf-8"])
def test_chinese_charsets_decode(charset):
    text = "退款" if charset != "big5" else "退款申請"
    msg = MIMEText(text, "plain", charset)
    msg["From"] = "a@example.com"
    msg["Subject"] = Header(text, charset)
    parsed = mailparse.parse(msg.as_bytes())
    assert parsed.text == text
    assert parsed.subject == text


def test_mislabelled_gb2312_with_gbk_characters_still_decodes():
    body = "镕".encode("gbk")  # in GBK but not in GB2312
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=gb2312\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    )
    assert mailparse.parse(raw).text == "镕"


def test_html_only_mail_becomes_safe_text():
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["Subject"] = "html"
    msg.set_content(
        "<p>Hello <b>there</b></p><script>alert(1)</script><style>p{}</style><p>Second&nbsp;line</p>",
        subtype="html",
    )
    parsed = mailparse.parse(msg.as_bytes())
    assert "alert" not in parsed.text and "<" not in parsed.text
    assert "Hello there" in parsed.text and "Second line" in parsed.text


def test_rfc2231_attachment_name_inline_image_and_forwarded_message():
    outer = MIMEMultipart("mixed")
    outer["From"] = "a@example.com"
    outer["Subject"] = "fwd"
    outer.attach(MIMEText("see below", "plain", "utf-8"))
    part = MIMEApplication(PNG, "png")
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "发票 照片.png"))
    outer.attach(part)
    inner = EmailMessage()
    inner["From"] = "shop@example.com"
    inner["Subject"] = "Your order"
    inner.set_content("Order 42 shipped")
    forwarded = EmailMessage()
    forwarded.set_content(inner)
    outer.attach(forwarded.get_payload()[0] if forwarded.is_multipart() else _rfc822(inner))
    parsed = mailparse.parse(outer.as_bytes())
    assert [a.filename for a in parsed.attachments] == ["发票 照片.png"]
    assert "see below" in parsed.text and "Order 42 shipped" in parsed.text


def _rfc822(inner: EmailMessage):
    from email.mime.message import MIMEMessage

    return MIMEMessage(inner)


def test_quoted_history_is_trimmed():
    body = "Still broken, please call me.\n\nOn Mon, 1 May 2025 at 10:00, Desk <d@x> wrote:\n> We received it\n> thanks"
    assert mailparse.trim_quoted(body) == "Still broken, please call me."
    zh = "还是没修好。\n\n------------------ 原始邮件 ------------------\n发件人: 客服"
    assert mailparse.trim_quoted(zh) == "还是没修好。"


@pytest.mark.django_db
def test_malformed_mime_is_kept_as_failed_and_reprocessable(mailbox):
    item = take(b"\x00\x01 this is not an e-mail at all", mailbox)
    assert item.state == InboundItem.State.FAILED
    assert "cannot be read" in item.error
    assert item.raw_bytes.startswith(b"\x00\x01")
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_a_12_mb_attachment_is_refused_but_the_mail_still_opens_a_ticket(mailbox):
    outer = MIMEMultipart("mixed")
    outer["From"] = "big@example.com"
    outer["Subject"] = "Video of the fault"
    outer["Message-ID"] = "<big@client.example>"
    outer.attach(MIMEText("See the video.", "plain", "utf-8"))
    # Over the 10 MB file limit, under the mail's own limit (a larger mail is refused whole).
    video = MIMEApplication(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (12 * 1024 * 1024), "mp4")
    video.add_header("Content-Disposition", "attachment", filename="fault.mp4")
    outer.attach(video)
    item = take(outer.as_bytes(), mailbox)
    assert item.state == InboundItem.State.PROCESSED
    assert Attachment.objects.count() == 0
    assert "fault.mp4" in item.ticket.description and "too large" in item.ticket.description


@pytest.mark.django_db
def test_accepted_attachment_becomes_evidence(mailbox):
    outer = MIMEMultipart("mixed")
    outer["From"] = "pic@example.com"
    outer["Subject"] = "Photo"
    outer.attach(MIMEText("photo attached", "plain", "utf-8"))
    part = MIMEApplication(PNG, "png")
    part.add_header("Content-Disposition", "attachment", filename="photo.png")
    outer.attach(part)
    item = take(outer.as_bytes(), mailbox)
    assert Attachment.objects.get(ticket=item.ticket).content_type == "image/png"


@pytest.mark.parametrize(
    ("headers", "sender"),
    [
        ({"Auto_Submitted": "auto-replied"}, "lilei@example.com"),
        ({"Precedence": "bulk"}, "lilei@example.com"),
        ({"Precedence": "auto_reply"}, "lilei@example.com"),
        ({"X_Autoreply": "yes"}, "lilei@example.com"),
        ({"X_Auto_Response_Suppress": "All"}, "lilei@example.com"),
        ({"List_Id": "<news.example.com>"}, "lilei@example.com"),
        ({"Return_Path": "<>"}, "lilei@example.com"),
        ({}, "MAILER-DAEMON@mx.example.com"),
        ({}, "complaints@desk.example"),  # our own address: a loop
        ({}, "complaints@localhost"),  # DEFAULT_FROM_EMAIL
    ],
)
@pytest.mark.django_db
def test_auto_replies_bounces_lists_and_loops_are_recorded_never_answered(
    mailbox, headers, sender, django_capture_on_commit_callbacks, deliveries
):
    with django_capture_on_commit_callbacks(execute=True):
        item = take(plain(sender=sender, **headers), mailbox)
    deliveries.run()
    assert item.state == InboundItem.State.IGNORED
    assert item.error.startswith("Not answered")
    assert Ticket.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_bounce_report_is_ignored(mailbox):
    raw = (
        b"From: postmaster@mx.example.com\r\nSubject: Undelivered\r\nMessage-ID: <b@mx>\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=XX\r\n\r\n--XX\r\n"
        b"Content-Type: text/plain\r\n\r\nDelivery failed\r\n--XX--\r\n"
    )
    assert take(raw, mailbox).state == InboundItem.State.IGNORED


@pytest.mark.django_db
def test_auto_submitted_no_is_a_person(mailbox):
    assert take(plain(Auto_Submitted="no"), mailbox).state == InboundItem.State.PROCESSED


@pytest.mark.django_db
def test_a_mail_loop_attempt_stops_at_our_acknowledgement(
    mailbox, django_capture_on_commit_callbacks, deliveries
):
    """Our acknowledgement bounced back into the mailbox (a forwarding loop) opens nothing and sends nothing."""
    with django_capture_on_commit_callbacks(execute=True):
        take(plain(), mailbox)
    deliveries.run()
    ack = mail.outbox[0].message()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        looped = take(ack.as_bytes(), mailbox)
    deliveries.run()
    assert looped.state == InboundItem.State.IGNORED
    assert Ticket.objects.count() == 1
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_sender_over_the_hourly_cap_is_throttled(mailbox, settings):
    settings.INTAKE = {**settings.INTAKE, "EMAIL_SENDER_HOURLY_LIMIT": 3}
    states = [
        take(
            plain(
                subject=f"Issue {n} about topic {n * 7}",
                body=f"Body number {n} " * (n + 1),
                message_id=f"<flood{n}@x>",
            ),
            mailbox,
        ).state
        for n in range(5)
    ]
    assert states == ["processed"] * 3 + ["ignored"] * 2
    assert InboundItem.objects.filter(error__startswith="Throttled").count() == 2


@pytest.mark.django_db
def test_a_duplicate_message_id_is_one_item_and_one_ticket(mailbox):
    first = take(plain(), mailbox)
    second = take(plain(), mailbox)
    assert first.pk == second.pk
    assert InboundItem.objects.count() == 1
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_mail_without_message_id_is_keyed_by_its_bytes(mailbox):
    raw = plain(message_id="")
    assert take(raw, mailbox).pk == take(raw, mailbox).pk
    assert InboundItem.objects.get().source_id.startswith("sha256:")


@pytest.mark.django_db
def test_a_reply_to_our_acknowledgement_threads_by_in_reply_to(
    mailbox, django_capture_on_commit_callbacks, deliveries
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = take(plain(), mailbox).ticket
    deliveries.run()
    ours = OutboundMessage.objects.get().email_message_id
    reply = plain(
        subject="Re: something else entirely",
        body="Here is more detail.\n\n> quoted",
        sender="someone.else@example.com",
        message_id="<r1@client>",
        In_Reply_To=ours,
        References=ours,
    )
    item = take(reply, mailbox)
    assert item.ticket == ticket and item.message is not None
    assert item.message.body == "Here is more detail."
    assert item.message.external_id == "r1@client"
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_the_reference_in_the_subject_threads_only_for_the_ticket_customer(mailbox):
    ticket = take(plain(), mailbox).ticket
    same = take(
        plain(subject=f"Re: [{ticket.reference}] router", body="It is worse now", message_id="<r2@client>"),
        mailbox,
    )
    assert same.ticket == ticket and same.message is not None
    stranger = take(
        plain(
            subject=f"[{ticket.reference}] hello",
            body="Unrelated complaint about billing",
            sender="x@evil.example",
            message_id="<r3@client>",
        ),
        mailbox,
    )
    assert stranger.ticket != ticket


@pytest.mark.django_db
def test_a_reply_to_a_closed_ticket_opens_a_new_one(mailbox):
    ticket = take(plain(), mailbox).ticket
    complaint_services.transition(ticket_id=ticket.pk, actor=None, to="closed", version=None, reason="spam")
    item = take(
        plain(subject=f"Re: [{ticket.reference}]", body="New problem with my bill", message_id="<r4@c>"),
        mailbox,
    )
    assert item.ticket != ticket and item.message is None


@pytest.mark.django_db
def test_failed_item_is_reprocessed_by_the_same_code(mailbox, monkeypatch):
    original = services.NORMALISERS["email"]

    def broken(item):
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(services.NORMALISERS, "email", broken)
    item = take(plain(), mailbox)
    assert item.state == InboundItem.State.FAILED and "database hiccup" in item.error
    assert Ticket.objects.count() == 0
    monkeypatch.setitem(services.NORMALISERS, "email", original)
    outcome = services.reprocess_items(item_ids=[item.pk])
    item.refresh_from_db()
    assert outcome == {"processed": 1}
    assert item.state == InboundItem.State.PROCESSED and item.attempts == 2 and item.error == ""
    assert Ticket.objects.count() == 1
    services.reprocess_items(item_ids=[item.pk])  # again: nothing new
    assert Ticket.objects.count() == 1 and Message.objects.count() == 0


@pytest.mark.django_db
def test_known_customer_is_reused_by_email(mailbox):
    customer = CustomerFactory(email="LiLei@Example.com")
    item = take(plain(), mailbox)
    assert item.ticket.customer == customer


@pytest.mark.django_db
def test_the_mailbox_default_team_takes_mail_no_rule_routes(mailbox, agent, team):
    mailbox.default_team = team
    mailbox.save(update_fields=["default_team"])
    item = take(plain(message_id="<team@client.example>"), mailbox)
    assert item.ticket.team == team
    assert item.ticket.assignee == agent  # and the team's auto-assignment picks it up
