"""The public complaint form /submit/: validation, evidence, honeypot, rate limit, idempotency, success page."""

import io
import uuid

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from channels_intake.models import InboundItem, OutboundMessage
from complaints.models import Attachment, Customer, Ticket

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def form_data(**overrides: object) -> dict:
    data = {
        "name": "王小明",
        "phone": "138 0013 8000",
        "email": "xiaoming@example.com",
        "order_number": "A-1001",
        "occurred_at": "2025-05-01T10:30",
        "location": "Shanghai store",
        "subject": "Broadband down",
        "description": "My broadband has been down for three days.",
        "desired_outcome": "Fix it and refund the days.",
        "consent": "on",
        "website": "",
        "submission_id": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_get_shows_every_field_limits_and_no_script_needed(client):
    response = client.get("/submit/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in (
        "name",
        "phone",
        "email",
        "order_number",
        "category",
        "occurred_at",
        "location",
        "description",
        "desired_outcome",
        "files",
        "consent",
        "submission_id",
    ):
        assert f'name="{name}"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "csrfmiddlewaretoken" in html
    assert "10.0\xa0MB" in html and "30.0\xa0MB" in html  # per-file and total limits shown
    assert "<script" not in html.split("<main", 1)[1]


@pytest.mark.django_db
def test_valid_submission_opens_ticket_acknowledges_and_shows_reference(
    client, django_capture_on_commit_callbacks, deliveries
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/submit/", form_data(files=[SimpleUploadedFile("photo.png", PNG)]))
    assert len(deliveries.queued) == 1
    deliveries.run()
    assert response.status_code == 302
    assert response.url == reverse("public:submit_done")
    ticket = Ticket.objects.get()
    assert ticket.channel == Ticket.Channel.WEB
    assert ticket.order_number == "A-1001"
    assert ticket.location == "Shanghai store"
    assert ticket.desired_outcome == "Fix it and refund the days."
    assert ticket.customer.phone == "13800138000"
    assert Attachment.objects.get(ticket=ticket).content_type == "image/png"
    item = InboundItem.objects.get()
    assert item.state == InboundItem.State.PROCESSED and item.ticket == ticket
    assert not item.files.exists()  # kept copies dropped once they became attachments

    page = client.get(response.url)
    text = page.content.decode()
    assert ticket.reference in text
    ticket.refresh_from_db()
    assert ticket.sla_due_at is not None  # the seeded complaint policy promises an acknowledgement
    # As the page's language writes a moment (config/formats): "4 Dec 2026, 05:45" in English.
    assert date_format(timezone.localtime(ticket.sla_due_at), "SHORT_DATETIME_FORMAT") in text
    assert "/t/" in text  # link to the customer's ticket page

    assert len(mail.outbox) == 1
    ack = mail.outbox[0]
    assert ack.to == ["xiaoming@example.com"]
    assert f"[{ticket.reference}]" in ack.subject
    assert OutboundMessage.objects.get().state == OutboundMessage.State.SENT


@pytest.mark.django_db
def test_invalid_input_keeps_every_field_with_a_message_per_field(client):
    response = client.post(
        "/submit/", form_data(phone="12345", email="", description="", consent="", order_number="KEEP-ME")
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"phone", "description", "consent"}
    html = response.content.decode()
    assert 'value="KEEP-ME"' in html
    assert 'value="王小明"' in html
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_one_of_email_or_phone_is_required(client):
    response = client.post("/submit/", form_data(phone="", email=""))
    assert response.status_code == 400
    assert "email" in response.context["form"].errors


@pytest.mark.parametrize(
    "phone", ["13800138000", "+86 138-0013-8000", "+44 20 7946 0958", "+1 (415) 555-2671"]
)
@pytest.mark.django_db
def test_chinese_mobile_and_international_numbers_are_accepted(client, phone):
    response = client.post("/submit/", form_data(phone=phone, email=""))
    assert response.status_code == 302, response.context["form"].errors


@pytest.mark.parametrize("phone", ["12800138000", "1380013800", "020-12345678x", "+0 123"])
@pytest.mark.django_db
def test_bad_numbers_are_refused(client, phone):
    response = client.post("/submit/", form_data(phone=phone))
    assert "phone" in response.context["form"].errors


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100),
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("notes.txt", b"<script>alert(1)</script>"),
    ],
)
@pytest.mark.django_db
def test_executables_html_and_scripted_svg_are_refused(client, name, content):
    response = client.post("/submit/", form_data(files=[SimpleUploadedFile(name, content)]))
    assert response.status_code == 400
    assert "files" in response.context["form"].errors
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_too_large_files_are_refused_with_the_limit(client, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 2000)
    response = client.post("/submit/", form_data(files=[big]))
    assert response.status_code == 400
    assert "1000" in str(response.context["form"].errors["files"]) or "KB" in str(
        response.context["form"].errors["files"]
    )


@pytest.mark.django_db
def test_script_tags_in_every_field_never_reach_a_page(
    client, django_capture_on_commit_callbacks, deliveries
):
    evil = "<script>alert('x')</script>"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/submit/",
            form_data(
                name=f"A{evil}",
                subject=f"S{evil}",
                description=f"D{evil}",
                location=f"L{evil}",
                desired_outcome=f"O{evil}",
                order_number="X<b>1</b>",
            ),
        )
    deliveries.run()
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert "<script" not in ticket.description
    page = client.get(response.url).content.decode()
    assert "<script>alert" not in page
    body = mail.outbox[0].alternatives[0].content
    assert "<script>alert" not in body


@pytest.mark.django_db
def test_honeypot_refuses_bots_without_a_ticket(client):
    response = client.post("/submit/", form_data(website="http://spam.example"))
    assert response.status_code == 400
    assert Ticket.objects.count() == 0
    assert InboundItem.objects.count() == 0


@pytest.mark.django_db
def test_csrf_is_enforced(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/submit/", form_data())
    assert response.status_code == 403
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_rate_limit_shows_a_try_again_page(client, settings):
    settings.INTAKE = {**settings.INTAKE, "WEB_FORM_RATE_LIMIT": 2, "WEB_FORM_RATE_WINDOW": 600}
    for _ in range(2):
        assert client.post("/submit/", form_data()).status_code == 302
    response = client.post("/submit/", form_data())
    assert response.status_code == 429
    text = response.content.decode()
    assert "try again in" in text.lower() or "请" in text
    assert "minute" in text or "分钟" in text
    assert Ticket.objects.count() == 1  # the two earlier ones were the same complaint: folded as a repeat


@pytest.mark.django_db
def test_behind_a_proxy_each_customer_has_their_own_limit(client, settings):
    """Behind nginx every request comes from 127.0.0.1: the limit must follow the forwarded address."""
    settings.INTAKE = {**settings.INTAKE, "WEB_FORM_RATE_LIMIT": 1, "WEB_FORM_RATE_WINDOW": 600}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    first = client.post("/submit/", form_data(), REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    other = client.post(
        "/submit/",
        form_data(subject="另一件事"),
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )
    again = client.post("/submit/", form_data(), REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert (first.status_code, other.status_code, again.status_code) == (302, 302, 429)


@pytest.mark.django_db
def test_the_same_submission_twice_is_one_ticket(client):
    data = form_data()
    first = client.post("/submit/", data)
    second = client.post("/submit/", data)
    assert first.status_code == second.status_code == 302
    assert Ticket.objects.count() == 1
    assert InboundItem.objects.count() == 1
    assert Customer.objects.count() == 1


@pytest.mark.django_db
def test_english_page_and_customer_language(client, django_capture_on_commit_callbacks, deliveries):
    client.cookies["django_language"] = "en"
    page = client.get("/submit/")
    assert "Submit a complaint" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/submit/", form_data())
    deliveries.run()
    assert Customer.objects.get().preferred_language == "en"
    assert "We have received your complaint" in mail.outbox[0].subject


@pytest.mark.django_db
def test_success_page_without_a_submission_goes_back_to_the_form(client):
    response = client.get("/submit/done/")
    assert response.status_code == 302 and response.url == "/submit/"


def test_files_io_is_rewound(db):
    """check_uploads reads the file; what is stored must still be the whole file."""
    upload = SimpleUploadedFile("photo.png", PNG)
    from channels_intake import services

    item, _ = services.receive(channel="web", source_id="web:x", raw="{}", files=[upload])
    assert io.BytesIO(item.files.get().file.read()).getvalue() == PNG


@pytest.mark.django_db
def test_an_image_named_as_a_page_is_kept_and_offered_under_its_real_type(client):
    polyglot = PNG + b"<script>alert(document.domain)</script>"
    client.post("/submit/", form_data(files=[SimpleUploadedFile("poly.html", polyglot)]))
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/png"
    assert attachment.original_name == "poly.png" and attachment.file.name.endswith(".png")
