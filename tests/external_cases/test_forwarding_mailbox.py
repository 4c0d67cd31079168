"""A mailbox configured as a source's forwarding address: mail arriving there (the IMAP intake) opens a
ticket with an external case of that source, numbered from the subject when the source has a
pattern, else flagged for an agent to fill in (issue 18)."""

from email.message import EmailMessage

import pytest
from django.test import Client
from django.urls import reverse

from channels_intake import services as intake_services
from channels_intake.models import InboundItem, Mailbox, OutboundMessage
from complaints.models import Message, Ticket
from external_cases import services
from external_cases.models import ExternalCase

pytestmark = pytest.mark.django_db


def forwarded(
    subject: str, *, message_id: str, body: str = "消费者张三（13800138000）投诉宽带断网三天未修复。"
):
    msg = EmailMessage()
    msg["From"] = "12315平台 <notice@12315.example.gov>"
    msg["To"] = "odr@desk.example"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg.set_content(body)
    return msg.as_bytes()


@pytest.fixture
def odr_mailbox(odr) -> Mailbox:
    mailbox = Mailbox.objects.create(
        name="12315 forwarding",
        address="odr@desk.example",
        host="127.0.0.1",
        port=143,
        security=Mailbox.Security.NONE,
        username="odr",
        password="secret",
    )
    odr.mailbox, odr.number_pattern = mailbox, r"(ODR\d{8,})"
    odr.allowed_senders = "12315.example.gov, odr-desk@samr.example"
    odr.save(update_fields=["mailbox", "number_pattern", "allowed_senders"])
    return mailbox


def test_a_mail_in_the_forwarding_mailbox_opens_a_ticket_with_its_numbered_case(odr, odr_mailbox):
    item = intake_services.take_email(
        raw=forwarded("【12315】转办工单 ODR2026092500017 请及时处理", message_id="<f1@12315.example>"),
        mailbox=odr_mailbox,
    )
    assert item.state == InboundItem.State.PROCESSED, item.error
    case = ExternalCase.objects.get()
    assert (case.source, case.number, case.ticket) == (odr, "ODR2026092500017", item.ticket)
    assert "notice@12315.example.gov" in case.regulator_contact
    ticket = Ticket.objects.get(pk=item.ticket_id)
    assert ticket.channel == Ticket.Channel.EMAIL and ticket.team == odr.team
    assert "13800138000" in ticket.description
    # The forwarding address is not the customer: nothing is sent to it, and it is no customer's contact.
    assert ticket.customer.email == ""
    assert not OutboundMessage.objects.filter(recipient__icontains="12315.example").exists()


def test_the_same_number_again_lands_on_that_cases_ticket_as_a_note(odr, odr_mailbox):
    first = intake_services.take_email(
        raw=forwarded("转办工单 ODR2026092500017", message_id="<f1@12315.example>"), mailbox=odr_mailbox
    )
    again = intake_services.take_email(
        raw=forwarded("催办：ODR2026092500017", message_id="<f2@12315.example>", body="请于今日反馈。"),
        mailbox=odr_mailbox,
    )
    assert again.ticket_id == first.ticket_id
    assert ExternalCase.objects.count() == 1 and Ticket.objects.count() == 1
    note = Message.objects.filter(
        ticket_id=first.ticket_id, kind=Message.Kind.NOTE, body__contains="请于今日反馈"
    )
    assert note.exists()


def test_without_a_number_the_case_waits_flagged_and_an_agent_fills_it_in(odr, odr_mailbox, boss):
    odr.number_pattern = ""
    odr.save(update_fields=["number_pattern"])
    first = intake_services.take_email(
        raw=forwarded("投诉转办", message_id="<n1@12315.example>"), mailbox=odr_mailbox
    )
    second = intake_services.take_email(
        raw=forwarded("投诉转办", message_id="<n2@12315.example>"), mailbox=odr_mailbox
    )
    assert first.ticket_id != second.ticket_id  # two blank numbers are two cases, not a duplicate
    case = ExternalCase.objects.get(ticket_id=first.ticket_id)
    assert case.number == "" and case.needs_number
    services.set_case_number(case_id=case.pk, actor=boss, number="odr-2026-555")
    case.refresh_from_db()
    assert case.number == "ODR-2026-555" and not case.needs_number
    other = ExternalCase.objects.get(ticket_id=second.ticket_id)
    with pytest.raises(services.DuplicateCase):
        services.set_case_number(case_id=other.pk, actor=boss, number="ODR-2026-555")
    with pytest.raises(services.CaseClosed):
        services.set_case_number(case_id=case.pk, actor=boss, number="ODR-2026-556")


def test_mail_to_an_ordinary_mailbox_is_a_customers_complaint(odr, odr_mailbox):
    ordinary = Mailbox.objects.create(
        name="Complaints",
        address="complaints@desk.example",
        host="127.0.0.1",
        port=143,
        security=Mailbox.Security.NONE,
        username="desk",
        password="secret",
    )
    item = intake_services.take_email(
        raw=forwarded("转办工单 ODR2026092500017", message_id="<c1@client.example>"), mailbox=ordinary
    )
    assert item.state == InboundItem.State.PROCESSED
    assert not ExternalCase.objects.exists()
    assert Ticket.objects.get().customer.email == "notice@12315.example.gov"


def test_a_regulators_system_mail_is_taken_though_automated_and_in_bulk(odr, odr_mailbox, settings):
    settings.INTAKE = {**settings.INTAKE, "EMAIL_SENDER_HOURLY_LIMIT": 2}
    for n in range(4):
        raw = forwarded(f"转办工单 ODR20260925000{n}", message_id=f"<auto{n}@12315.example>")
        raw = raw.replace(b"From: ", b"Auto-Submitted: auto-generated\nPrecedence: bulk\nFrom: ", 1)
        raw = raw.replace(b"notice@12315.example.gov", b"no-reply@12315.example.gov", 1)
        item = intake_services.take_email(raw=raw, mailbox=odr_mailbox)
        assert item.state == InboundItem.State.PROCESSED, item.error
    assert ExternalCase.objects.count() == 4
    # Our own mail coming back, and bounces, are still refused there.
    bounce = forwarded("Undelivered Mail", message_id="<b1@12315.example>").replace(
        b"notice@12315.example.gov", b"MAILER-DAEMON@12315.example.gov", 1
    )
    assert intake_services.take_email(raw=bounce, mailbox=odr_mailbox).state == InboundItem.State.IGNORED


def test_an_ordinary_mailbox_still_ignores_automated_mail(odr, odr_mailbox):
    ordinary = Mailbox.objects.create(
        name="Complaints",
        address="complaints@desk.example",
        host="127.0.0.1",
        port=143,
        security=Mailbox.Security.NONE,
        username="desk",
        password="secret",
    )
    raw = forwarded("转办工单", message_id="<a1@client.example>").replace(
        b"From: ", b"Auto-Submitted: auto-generated\nFrom: ", 1
    )
    assert intake_services.take_email(raw=raw, mailbox=ordinary).state == InboundItem.State.IGNORED


# --- red team F8: only the source's allowed, verified senders open cases; a cap still applies ---

OURS = "mx.desk.example"


def bulk(n: int, *, sender: bytes, verdict: str = "") -> bytes:
    raw = forwarded(f"转办工单 ODR2026092501{n:03d}", message_id=f"<flood{n}@{sender.decode()}>")
    extra = b"Auto-Submitted: auto-generated\nPrecedence: bulk\n"
    if verdict:
        extra += f"Authentication-Results: {OURS}; {verdict}\n".encode()
    return raw.replace(b"From: ", extra + b"From: ", 1).replace(b"notice@12315.example.gov", sender, 1)


def test_an_unknown_senders_flood_opens_no_case(odr, odr_mailbox, settings):
    settings.INTAKE = {**settings.INTAKE, "MAIL_AUTHSERV_IDS": [OURS]}
    items = [
        intake_services.take_email(
            raw=bulk(n, sender=b"no-reply@spam.example", verdict="dmarc=fail"), mailbox=odr_mailbox
        )
        for n in range(12)
    ]
    assert {item.state for item in items} == {InboundItem.State.FAILED}
    assert "not among the senders" in items[0].error and "no-reply@spam.example" in items[0].error
    assert not ExternalCase.objects.exists() and not Ticket.objects.exists()


def test_an_allowed_domain_failing_dmarc_opens_no_case_nor_a_note(odr, odr_mailbox, settings):
    settings.INTAKE = {**settings.INTAKE, "MAIL_AUTHSERV_IDS": [OURS]}
    genuine = bulk(1, sender=b"notice@12315.example.gov", verdict="dmarc=pass")
    assert intake_services.take_email(raw=genuine, mailbox=odr_mailbox).state == InboundItem.State.PROCESSED
    messages = Message.objects.count()
    forged = bulk(1, sender=b"notice@12315.example.gov", verdict="dmarc=fail").replace(
        b"<flood1@", b"<forged1@", 1
    )
    item = intake_services.take_email(raw=forged, mailbox=odr_mailbox)
    assert item.state == InboundItem.State.FAILED and "could not verify the sender" in item.error
    assert ExternalCase.objects.count() == 1 and Message.objects.count() == messages


def test_allowed_senders_are_domains_with_subdomains_or_exact_addresses(odr):
    odr.allowed_senders = "12315.cn, MIIT.gov.cn; odr-desk@samr.example"
    for address, allowed in (
        ("notice@12315.cn", True),
        ("a@sub.miit.gov.cn", True),
        ("odr-desk@samr.example", True),
        ("other@samr.example", False),
        ("x@evil12315.cn", False),
        ("x@12315.cn.evil.example", False),
        ("", False),
    ):
        assert odr.allows_sender(address) is allowed, address
    odr.allowed_senders = ""
    assert not odr.allows_sender("notice@12315.cn")


def test_the_forwarding_mailbox_still_caps_one_sender_per_hour(odr, odr_mailbox, settings):
    settings.INTAKE = {**settings.INTAKE, "FORWARDING_SENDER_HOURLY_LIMIT": 3}
    states = [
        intake_services.take_email(raw=bulk(n, sender=b"notice@12315.example.gov"), mailbox=odr_mailbox).state
        for n in range(5)
    ]
    assert states == [InboundItem.State.PROCESSED] * 3 + [InboundItem.State.IGNORED] * 2
    assert ExternalCase.objects.count() == 3


def test_a_refused_forwarded_mail_shows_in_the_admins_failed_items(odr, odr_mailbox, boss):
    item = intake_services.take_email(raw=bulk(1, sender=b"no-reply@spam.example"), mailbox=odr_mailbox)
    client = Client()
    client.force_login(boss)
    page = client.get(reverse("admin:channels_intake_inbounditem_changelist"), {"state__exact": "failed"})
    assert item.state == InboundItem.State.FAILED
    assert page.status_code == 200 and item.source_id in page.content.decode()
    detail = client.get(reverse("admin:channels_intake_inbounditem_change", args=[item.pk]))
    assert "not among the senders" in detail.content.decode()
