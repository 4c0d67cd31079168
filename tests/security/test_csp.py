"""Issue 15 item 2: a Content-Security-Policy on every page; files are served sandboxed.

The policy allows scripts, styles and requests from our own origin only (no inline script, no outside
origin), and no page may be framed. tests/browser/test_security_browser.py proves in Chromium that the
pages work under it without a single violation.
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channels_intake.tokens import ticket_token
from complaints import attachments, services
from complaints.models import Attachment, Message

from .helpers import victim_ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        if words := part.split():
            parsed[words[0]] = words[1:]
    return parsed


def assert_strict_policy(response, *, inline_styles: bool = False) -> None:
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no other origin
    assert policy["style-src"] == (["'self'", "'unsafe-inline'"] if inline_styles else ["'self'"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    for sources in policy.values():
        assert not [s for s in sources if s.startswith(("http:", "https:", "*")) or "." in s], policy


def assert_no_inline_code(html: str, *, inline_styles: bool = False) -> None:
    # JSON data islands (type="application/json") are not run.
    assert not re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", html), (
        "inline <script>"
    )
    if not inline_styles:
        assert not re.search(r"<style[\s>]", html), "inline <style>"
        assert not re.search(r"\sstyle\s*=", html), "style attribute"
    assert not re.search(r"\son[a-z]+\s*=", html), "event-handler attribute"


@pytest.fixture
def pages(db, supervisor):
    ticket = victim_ticket()
    return {
        "anonymous": [
            "/",
            "/submit/",
            "/track/",
            "/faq/",
            "/accounts/login/",
            "/accounts/password_reset/",
            "/admin/login/",
            reverse("public:ticket", args=[ticket_token(ticket)]),
        ],
        "supervisor": [
            "/desk/",
            f"/desk/tickets/{ticket.reference}/",
            "/admin/",
            "/admin/complaints/ticket/",
            f"/admin/complaints/ticket/{ticket.pk}/change/",
            "/api/docs/",
            "/desk/calls/new/",
        ],
    }


@pytest.mark.django_db
def test_every_page_carries_the_strict_policy_and_no_inline_code(client, pages, supervisor):
    for url in pages["anonymous"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict_policy(response)
        assert_no_inline_code(response.content.decode())
    client.force_login(supervisor)
    for url in pages["supervisor"]:
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        assert_strict_policy(response)
        assert_no_inline_code(response.content.decode())


@pytest.mark.django_db
def test_the_browsable_api_may_style_inline_but_runs_only_our_scripts(client, supervisor):
    client.force_login(supervisor)
    response = client.get("/api/v1/tickets/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert_strict_policy(response, inline_styles=True)
    assert_no_inline_code(response.content.decode(), inline_styles=True)
    assert_strict_policy(client.get("/api/v1/tickets/", HTTP_ACCEPT="application/json"))


@pytest.mark.django_db
def test_swagger_ui_loads_its_start_up_script_from_our_origin(client, supervisor):
    client.force_login(supervisor)
    html = client.get("/api/docs/").content.decode()
    script = re.search(r'<script src="(/api/docs/\?[^"]*script[^"]*)"', html)
    assert script, html
    response = client.get(script.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


@pytest.mark.django_db
def test_errors_and_api_answers_carry_the_policy_too(client):
    assert_strict_policy(client.get("/no-such-page/"))
    assert_strict_policy(client.get("/api/v1/tickets/"))


@pytest.mark.django_db
def test_customer_and_desk_files_are_served_sandboxed(client, supervisor, agent):
    ticket = victim_ticket()
    services.add_message(
        ticket_id=ticket.pk,
        actor=agent,
        kind=Message.Kind.REPLY,
        body="see the files",
        files=attachments.check_uploads(
            [
                SimpleUploadedFile("photo.png", PNG, content_type="image/png"),
                SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf"),
            ]
        ),
    )
    files = list(Attachment.objects.filter(ticket=ticket))
    assert len(files) == 2
    token = ticket_token(ticket)
    client.force_login(supervisor)
    for item in files:
        for url in (
            reverse("public:ticket_attachment", args=[token, item.pk]),
            reverse("desk:attachment", args=[item.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            policy = directives(response["Content-Security-Policy"])
            assert "sandbox" in policy and policy["sandbox"] == [], url
            assert policy["default-src"] == ["'none'"], url
            b"".join(response.streaming_content)
