"""/track/: reference + contact shows where the complaint stands (the page itself goes to the contact on
file); misses look alike; attempts are limited; "send me my link" never says whether the reference exists."""

import re

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_intake import tokens
from channels_intake.customer import tasks as customer_tasks
from complaints.models import Ticket
from tests.channels_intake.test_customer_ticket import open_complaint

TRACK = "/track/"
EMAIL_LINK = "/track/email-link/"
UNKNOWN = "CMP-ZZZZZZZZ"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def without_csrf(html: bytes) -> str:
    """The page with its per-response CSRF tokens blanked (they are masked anew on every render)."""
    return CSRF.sub('name="csrfmiddlewaretoken" value=""', html.decode())


@pytest.fixture
def ticket(db) -> Ticket:
    return open_complaint(email="Li.Lei@Example.com", phone="+86 138-0013-8000", language="en")


@pytest.fixture
def queued_links(monkeypatch):
    """Run send_ticket_link's body when it is queued, and remember which references were queued."""
    queued: list[tuple[str, str]] = []

    def run(reference: str, via: str = "email") -> int:
        queued.append((reference, via))
        return customer_tasks.send_ticket_link(reference, via)

    monkeypatch.setattr(customer_tasks.send_ticket_link, "delay", run)
    return queued


class RecordingSms:
    """An SMS backend that keeps what it is given (the one INTAKE['SMS_BACKEND'] names is used)."""

    sent: list[tuple[str, str]] = []

    def send(self, *, to: str, text: str) -> None:
        RecordingSms.sent.append((to, text))


@pytest.fixture
def texts(settings) -> list[tuple[str, str]]:
    """(number, text) of every SMS sent through the configured SMS backend."""
    settings.INTAKE = {**settings.INTAKE, "SMS_BACKEND": f"{__name__}.RecordingSms"}
    RecordingSms.sent = []
    return RecordingSms.sent


def test_track_page_has_the_lookup_and_the_link_forms(client, db):
    html = client.get(TRACK).content.decode()
    assert 'action="/track/"' in html and 'action="/track/email-link/"' in html
    assert '<label for="id_reference">' in html and '<label for="id_contact">' in html
    # The link form's fields have ids of their own: its label names its own input, not the lookup's.
    assert '<label for="id_link_reference">' in html and 'id="id_link_reference"' in html
    assert 'type="radio" name="via" value="email"' in html and 'type="radio" name="via" value="sms"' in html
    assert html.count("csrfmiddlewaretoken") >= 2


@pytest.mark.parametrize(
    "contact", ["li.lei@example.com", " LI.LEI@EXAMPLE.COM ", "13800138000", "138 0013 8000"]
)
def test_reference_and_contact_show_the_status_and_offer_the_link(client, ticket, contact):
    response = client.post(TRACK, {"reference": ticket.reference, "contact": contact})
    assert response.status_code == 200
    html = response.content.decode()
    assert ticket.reference in html and "Received" in html and "Status:" in html
    # A claimed contact proves nothing: no subject, no conversation, no link to the page or its forms.
    assert ticket.subject not in html and "/t/" not in html
    assert 'action="/track/email-link/"' in html
    assert f'type="hidden" name="reference" value="{ticket.reference}"' in html


def test_the_status_lookup_lets_the_customer_have_the_page_sent_to_the_contact_on_file(
    client, ticket, queued_links, django_capture_on_commit_callbacks
):
    client.post(TRACK, {"reference": ticket.reference, "contact": "13800138000"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(EMAIL_LINK, {"reference": ticket.reference, "via": "email"})
    [sent] = mail.outbox
    assert sent.to == ["Li.Lei@Example.com"]


def test_reference_is_read_as_people_type_it(client, ticket):
    typed = ticket.reference.removeprefix("CMP-").lower().replace("1", "l").replace("0", "o")
    response = client.post(TRACK, {"reference": typed, "contact": "13800138000"})
    assert response.status_code == 200 and ticket.reference in response.content.decode()


def test_wrong_contact_and_unknown_reference_get_identical_pages(client, ticket):
    wrong_contact = client.post(TRACK, {"reference": ticket.reference, "contact": "someone@example.com"})
    unknown_reference = client.post(TRACK, {"reference": UNKNOWN, "contact": "li.lei@example.com"})
    wrong_phone = client.post(TRACK, {"reference": ticket.reference, "contact": "13900000000"})
    assert wrong_contact.status_code == unknown_reference.status_code == wrong_phone.status_code == 200
    assert without_csrf(wrong_contact.content) == without_csrf(unknown_reference.content)
    assert without_csrf(wrong_phone.content) == without_csrf(unknown_reference.content)
    assert (
        "We could not find a complaint with that reference and contact" in unknown_reference.content.decode()
    )
    assert ticket.reference not in wrong_contact.content.decode()


def test_wrong_contact_and_unknown_reference_do_the_same_work(client, ticket):
    """Same queries in both branches (no decryption either), so the time does not tell them apart."""
    counts = []
    for reference, contact in ((ticket.reference, "someone@example.com"), (UNKNOWN, "li.lei@example.com")):
        with CaptureQueriesContext(connection) as queries:
            client.post(TRACK, {"reference": reference, "contact": contact})
        counts.append([re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in queries.captured_queries])
    assert counts[0] == counts[1]


def test_a_malformed_reference_is_explained(client, db):
    response = client.post(TRACK, {"reference": "hello", "contact": "a@example.com"})
    assert response.status_code == 200
    assert "A reference looks like CMP-7K3M9Q2X" in response.content.decode()


def test_lookups_are_limited_per_ip(client, ticket, settings):
    settings.COMPLAINTS = {**settings.COMPLAINTS, "TRACK_ATTEMPTS_PER_IP": 3, "TRACK_WINDOW_SECONDS": 600}
    with time_machine.travel("2026-03-02 10:00:00+08:00", tick=False) as clock:
        for n in range(3):
            assert (
                client.post(TRACK, {"reference": f"CMP-AAAAAAA{n}", "contact": "x@example.com"}).status_code
                == 200
            )
        response = client.post(TRACK, {"reference": ticket.reference, "contact": "li.lei@example.com"})
        assert response.status_code == 429
        assert "Please try again later" in response.content.decode()
        assert 0 < int(response["Retry-After"]) <= 600
        # Another address is not held up, and the limit lifts when the window has passed.
        other_ip = client.post(
            TRACK, {"reference": ticket.reference, "contact": "li.lei@example.com"}, REMOTE_ADDR="10.9.8.7"
        )
        assert other_ip.status_code == 200 and "Status:" in other_ip.content.decode()
        clock.shift(601)
        again = client.post(TRACK, {"reference": ticket.reference, "contact": "li.lei@example.com"})
        assert again.status_code == 200 and "Status:" in again.content.decode()


def test_lookups_are_limited_per_reference_whatever_the_ip(client, ticket, settings):
    settings.COMPLAINTS = {**settings.COMPLAINTS, "TRACK_ATTEMPTS_PER_REFERENCE": 2}
    for n in range(2):
        client.post(
            TRACK, {"reference": ticket.reference, "contact": f"guess{n}@x.com"}, REMOTE_ADDR=f"10.0.0.{n}"
        )
    response = client.post(
        TRACK, {"reference": ticket.reference, "contact": "li.lei@example.com"}, REMOTE_ADDR="10.0.0.99"
    )
    assert response.status_code == 429
    # An unknown reference is limited just the same, so the limit does not reveal which exist.
    for n in range(2):
        client.post(TRACK, {"reference": UNKNOWN, "contact": "x@x.com"}, REMOTE_ADDR=f"10.1.0.{n}")
    assert (
        client.post(TRACK, {"reference": UNKNOWN, "contact": "x@x.com"}, REMOTE_ADDR="10.1.0.9").status_code
        == 429
    )


def test_email_link_sends_a_working_link_in_the_customers_language(
    client, ticket, queued_links, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(EMAIL_LINK, {"reference": ticket.reference.lower()})
    assert response.status_code == 200
    assert queued_links == [(ticket.reference, "email")]
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["Li.Lei@Example.com"]
    assert ticket.reference in sent.subject and "your link" in sent.subject  # English, the customer's choice
    path = re.search(r"https?://[^/\s]+(/t/\S+/)", sent.body).group(1)
    assert client.get(path).status_code == 200


def test_email_link_in_chinese_for_a_chinese_speaking_customer(
    client, db, queued_links, django_capture_on_commit_callbacks
):
    chinese = open_complaint(email="wang@example.com", phone="13700137000", language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(EMAIL_LINK, {"reference": chinese.reference}, HTTP_ACCEPT_LANGUAGE="en")
    # Dates follow the mail's language even before our own catalogues are translated.
    assert "年" in mail.outbox[0].body


def test_email_link_in_english_for_an_english_speaking_customer(
    client, ticket, queued_links, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(EMAIL_LINK, {"reference": ticket.reference}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "年" not in mail.outbox[0].body and str(ticket.created_at.year) in mail.outbox[0].body


def test_email_link_answers_the_same_for_unknown_and_phone_only_references(
    client, ticket, queued_links, texts, django_capture_on_commit_callbacks
):
    phone_only = open_complaint(email="", phone="13600136000")
    pages = []
    for reference in (ticket.reference, UNKNOWN, phone_only.reference):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(EMAIL_LINK, {"reference": reference})
        assert response.status_code == 200
        pages.append(without_csrf(response.content))
    assert pages[0] == pages[1] == pages[2]
    assert "If a complaint with this reference has an e-mail address on file" in pages[0]
    assert [m.to for m in mail.outbox] == [["Li.Lei@Example.com"]]  # only the real address got mail
    # The phone-only customer asked for e-mail and has none on file: the link went by SMS instead.
    assert [to for to, _text in texts] == ["13600136000"]


def test_email_link_is_rate_limited_per_reference(
    client, ticket, queued_links, settings, django_capture_on_commit_callbacks
):
    settings.COMPLAINTS = {**settings.COMPLAINTS, "TRACK_ATTEMPTS_PER_REFERENCE": 2}
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            response = client.post(EMAIL_LINK, {"reference": ticket.reference}, REMOTE_ADDR=f"10.2.0.{n}")
    assert response.status_code == 429
    assert len(mail.outbox) == 2


def test_posts_to_track_need_csrf(ticket):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(TRACK, {"reference": ticket.reference, "contact": "13800138000"}).status_code == 403
    assert strict.post(EMAIL_LINK, {"reference": ticket.reference}).status_code == 403


def test_send_ticket_link_is_harmless_for_a_vanished_reference(db):
    assert customer_tasks.send_ticket_link(UNKNOWN) == 0
    assert mail.outbox == []


def test_a_phone_only_customer_gets_the_link_by_sms(
    client, db, queued_links, texts, django_capture_on_commit_callbacks
):
    phone_only = open_complaint(email="", phone="+86 136-0013-6000", language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(EMAIL_LINK, {"reference": phone_only.reference, "via": "sms"})
    assert response.status_code == 200
    assert "Check your phone" in response.content.decode()
    assert mail.outbox == []
    [(to, text)] = texts
    assert to == "+86 136-0013-6000"  # the number on file, as stored
    assert phone_only.reference in text and "链接" in text  # in the customer's language
    path = re.search(r"https?://[^/\s]+(/t/\S+/)", text).group(1)
    assert tokens.ticket_from_token(path.removeprefix("/t/").removesuffix("/")) == phone_only
    assert client.get(path).status_code == 200


def test_sms_asked_for_goes_to_the_phone_on_file_even_when_there_is_an_email(
    client, ticket, queued_links, texts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(EMAIL_LINK, {"reference": ticket.reference, "via": "sms"})
    assert [to for to, _text in texts] == ["+86 138-0013-8000"] and mail.outbox == []


def test_sms_link_answers_the_same_whether_or_not_a_ticket_or_phone_exists(
    client, ticket, queued_links, texts, django_capture_on_commit_callbacks
):
    email_only = open_complaint(email="only.mail@example.com", phone="")
    pages = []
    for reference in (ticket.reference, UNKNOWN, email_only.reference):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(EMAIL_LINK, {"reference": reference, "via": "sms"})
        assert response.status_code == 200
        pages.append(without_csrf(response.content))
    assert pages[0] == pages[1] == pages[2]
    assert ticket.reference not in pages[0]
    # Each link went to the contact on file only: SMS to the phone, e-mail to the one without a phone.
    assert [to for to, _text in texts] == ["+86 138-0013-8000"]
    assert [m.to for m in mail.outbox] == [["only.mail@example.com"]]


def test_sms_link_is_rate_limited_like_the_email_link(
    client, db, queued_links, texts, settings, django_capture_on_commit_callbacks
):
    settings.COMPLAINTS = {**settings.COMPLAINTS, "TRACK_ATTEMPTS_PER_REFERENCE": 2}
    phone_only = open_complaint(email="", phone="13600136000")
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            response = client.post(
                EMAIL_LINK, {"reference": phone_only.reference, "via": "sms"}, REMOTE_ADDR=f"10.3.0.{n}"
            )
    assert response.status_code == 429
    assert len(texts) == 2


def test_no_sms_gateway_sends_nothing_and_is_not_retried(db, settings, caplog):
    settings.INTAKE = {**settings.INTAKE, "SMS_BACKEND": ""}
    phone_only = open_complaint(email="", phone="13600136000")
    assert customer_tasks.send_ticket_link(phone_only.reference, "sms") == 0
    assert "link not sent by SMS" in caplog.text
