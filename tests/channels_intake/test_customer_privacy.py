"""The privacy notice /privacy/ (what the consent box refers to), the links to it, and the web form's
customer/account number."""

import re
import uuid

import pytest
from django.urls import reverse

from channels_intake.models import Mailbox
from channels_intake.tokens import ticket_token
from complaints.models import RetentionPolicy, Ticket
from tests.channels_intake.test_customer_ticket import open_complaint

PRIVACY = "/privacy/"


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_notice_is_at_privacy_in_both_languages(client, db):
    assert reverse("public:privacy") == PRIVACY
    english = client.get(PRIVACY, HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.get(PRIVACY, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert english.status_code == chinese.status_code == 200
    english_text, chinese_text = text_of(english.content.decode()), text_of(chinese.content.decode())
    for heading in ("What we collect", "Why we use it", "How long we keep it", "Who sees it", "Your rights"):
        assert heading in english_text
    assert "Personal Information Protection Law" in english_text
    for heading in ("我们收集哪些信息", "我们保存多久", "您的权利", "个人信息保护法"):
        assert heading in chinese_text
    assert "What we collect" not in chinese_text


def test_the_notice_names_what_is_collected(client, db):
    page = text_of(client.get(PRIVACY).content.decode())
    for item in (
        "your name",
        "mobile number",
        "customer or account number",
        "order number",
        "Files you attach",
    ):
        assert item in page
    assert "recording" in page and "stored encrypted" in page


def test_the_notice_states_the_configured_periods(client, db, settings):
    settings.COMPLAINTS = {
        **settings.COMPLAINTS,
        "TICKET_LINK_DAYS_AFTER_CLOSE": 45,
        "AUTO_CLOSE_RESOLVED_AFTER_DAYS": 9,
        "TRACK_WINDOW_SECONDS": 900,
        "CUSTOMER_POST_WINDOW_SECONDS": 3600,
    }
    settings.INTAKE = {**settings.INTAKE, "WEB_FORM_RATE_WINDOW": 7200}
    RetentionPolicy.objects.update_or_create(pk=1, defaults={"enabled": True, "closed_ticket_days": 365})
    page = text_of(client.get(PRIVACY).content.decode())
    assert "for 45 days after it closes" in page
    assert "closes 9 days after the resolution" in page
    assert "for 365 days after it closes. Then it is anonymised automatically" in page
    assert "after at most 120 minutes" in page
    chinese = text_of(client.get(PRIVACY, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
    assert "关闭后保存 365 天" in chinese and "45 天内有效" in chinese


def test_without_a_retention_period_the_notice_says_so_and_creates_no_policy(client, db):
    RetentionPolicy.objects.all().delete()
    page = text_of(client.get(PRIVACY).content.decode())
    assert "no automatic deletion period is set" in page
    assert "anonymised automatically" not in page
    assert not RetentionPolicy.objects.exists()  # reading the notice writes nothing


def test_the_notice_tells_how_to_exercise_rights_and_whom_to_write_to(client, db, settings):
    page = text_of(client.get(PRIVACY).content.decode())
    assert "complaints@localhost" in page or settings.DEFAULT_FROM_EMAIL in page
    Mailbox.objects.create(
        name="Service", address="service@example.cn", host="imap.example.cn", username="service"
    )
    html = client.get(PRIVACY).content.decode()
    assert 'href="mailto:service@example.cn"' in html
    page = text_of(html)
    for right in ("get a copy of it", "corrected", "deleted", "withdraw your consent"):
        assert right in page
    assert "only to the e-mail address or mobile number you gave us" in page


def test_the_consent_box_links_to_the_notice(client, db):
    html = client.get("/submit/").content.decode()
    consent_box = html[html.index('<div class="field consent') : html.index('class="honeypot"')]
    assert 'name="consent"' in consent_box
    assert f'href="{PRIVACY}"' in consent_box and "Read the privacy notice" in consent_box
    chinese = client.get("/submit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "阅读隐私政策" in chinese


@pytest.mark.parametrize("path", ["/", "/submit/", "/track/", "/faq/", PRIVACY])
def test_customer_pages_link_to_the_notice_in_their_footer(client, db, path):
    html = client.get(path).content.decode()
    footer = html[html.index('<footer class="site-footer">') :]
    assert f'href="{PRIVACY}"' in footer and "Privacy notice" in footer


def test_the_ticket_page_footer_links_to_the_notice(client, db):
    ticket = open_complaint()
    html = client.get(reverse("public:ticket", args=[ticket_token(ticket)])).content.decode()
    assert f'href="{PRIVACY}"' in html[html.index('<footer class="site-footer">') :]


# --- the customer/account number on the web form -------------------------------------------------


def test_the_form_asks_for_a_customer_or_account_number_and_an_order_number(client, db):
    html = client.get("/submit/").content.decode()
    assert '<label for="id_customer_number">Customer or account number</label>' in html
    assert '<label for="id_order_number">Order number</label>' in html
    chinese = client.get("/submit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "客户号或账号" in chinese


def test_the_customer_number_is_kept_on_the_customer(client, db, deliveries):
    response = client.post(
        "/submit/",
        {
            "name": "王小明",
            "phone": "138 0013 8000",
            "email": "",
            "customer_number": " C12345678 ",
            "order_number": "A-1001",
            "description": "My broadband has been down for three days.",
            "consent": "on",
            "website": "",
            "submission_id": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.select_related("customer").get()
    assert ticket.customer.customer_number == "C12345678"
    assert ticket.order_number == "A-1001"


def test_a_too_long_customer_number_is_explained_and_outlined(client, db):
    response = client.post(
        "/submit/",
        {
            "name": "X",
            "email": "x@example.com",
            "customer_number": "9" * 65,
            "description": "d",
            "consent": "on",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    field = html[html.index('<div class="field has-error">') :]
    assert 'id="id_customer_number"' in field[:1500] and 'aria-invalid="true"' in field[:1500]
    assert "at most 64 characters" in html
