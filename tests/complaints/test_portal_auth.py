"""Signing in to the desk, and resetting a forgotten password by e-mail."""

import re

import pytest
from django.core import mail

from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def test_agents_land_on_the_desk_after_signing_in(client, team):
    AgentFactory(username="li", team=team)
    page = client.get("/accounts/login/")
    assert "Forgot your password?" in page.content.decode()
    response = client.post("/accounts/login/", {"username": "li", "password": "pass-word-123"})
    assert response.status_code == 302
    assert response["Location"] == "/desk/"
    assert client.get("/desk/").status_code == 200


def test_a_wrong_password_is_refused_on_the_sign_in_page(client, team):
    AgentFactory(username="li", team=team)
    response = client.post("/accounts/login/", {"username": "li", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_password_reset_by_email(client, team):
    AgentFactory(username="li", email="li@staff.example.com", team=team)
    response = client.post("/accounts/password_reset/", {"email": "li@staff.example.com"}, follow=True)
    assert "Check your e-mail" in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Reset your complaint desk password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)

    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-Strong-pass-42", "new_password2": "a-new-Strong-pass-42"},
        follow=True,
    )
    assert "Password changed" in done.content.decode()
    # Through the sign-in page: client.login() has no request, which the lockout's backend needs.
    signed_in = client.post("/accounts/login/", {"username": "li", "password": "a-new-Strong-pass-42"})
    assert signed_in.status_code == 302


def test_signing_out(client, agent):
    client.force_login(agent)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/desk/").status_code == 302
