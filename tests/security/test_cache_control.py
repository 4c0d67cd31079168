"""Issue 15 item 10: nothing with personal data may be kept by a browser or a proxy cache."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channels_intake.tokens import ticket_token
from complaints import attachments, services
from complaints.models import Attachment, Message

from .helpers import victim_ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def assert_not_stored(response, url: str) -> None:
    cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "private"} <= cache_control, (url, response.get("Cache-Control"))
    assert not any(part.startswith("max-age=") and part != "max-age=0" for part in cache_control), url


@pytest.mark.django_db
def test_desk_admin_api_reveal_and_customer_pages_are_no_store(client, supervisor, agent):
    ticket = victim_ticket()
    services.add_message(
        ticket_id=ticket.pk,
        actor=agent,
        kind=Message.Kind.REPLY,
        body="photo attached",
        files=attachments.check_uploads([SimpleUploadedFile("p.png", PNG, content_type="image/png")]),
    )
    item = Attachment.objects.get(ticket=ticket)
    token = ticket_token(ticket)
    anonymous = [
        reverse("public:ticket", args=[token]),
        reverse("public:ticket_attachment", args=[token, item.pk]),
        "/track/",
        "/accounts/login/",
        "/admin/login/",
    ]
    for url in anonymous:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_not_stored(response, url)

    client.force_login(supervisor)
    staff = [
        "/desk/",
        f"/desk/tickets/{ticket.reference}/",
        f"/desk/tickets/{ticket.reference}/reveal/",
        reverse("desk:attachment", args=[item.pk]),  # was `private, max-age=300`
        "/admin/",
        f"/admin/complaints/ticket/{ticket.pk}/change/",
        "/api/v1/tickets/",
        f"/api/v1/tickets/{ticket.reference}/",
        "/api/docs/",
        "/faq/",  # a public page, but signed in: the header shows who is signed in
    ]
    for url in staff:
        response = client.get(url) if "reveal" not in url else client.post(url)
        assert response.status_code == 200, (url, response.status_code)
        assert_not_stored(response, url)


@pytest.mark.django_db
def test_api_answers_to_a_token_are_no_store(client, supervisor):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=supervisor)
    response = client.get("/api/v1/tickets/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert_not_stored(response, "/api/v1/tickets/")
    response = client.post(
        "/api/v1/auth/token/", {"username": "x", "password": "y"}, content_type="application/json"
    )
    assert_not_stored(response, "/api/v1/auth/token/")


@pytest.mark.django_db
def test_public_pages_for_visitors_keep_their_own_caching(client):
    """The home page and FAQ hold nothing personal for a visitor: the middleware leaves them alone."""
    response = client.get("/faq/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
