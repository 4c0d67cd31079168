"""Issue 15 item 7: password guessing and reset-mail floods are stopped.

Failed sign-ins are counted per account name and per client address (django-axes, config/accounts.py)
on the desk's and the admin's sign-in pages and the API's token endpoint; a locked-out name is refused
even with the right password, whether the account exists or not. Reset mails are limited per address
and per client, behind a page that reads the same whatever happened.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client
from django.utils import timezone

from tests.factories import SupervisorFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"
LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]
PASSWORD_RESET_SUBJECT = "Reset your complaint desk password"


@pytest.fixture
def staff(db):
    # Staff, so the admin's sign-in accepts the account too.
    return SupervisorFactory(username="li", email="li@staff.example.com")


def sign_in(client: Client, url: str, username: str, password: str, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(client: Client, url: str, username: str, times: int, **extra) -> list[int]:
    return [sign_in(client, url, username, "wrong-guess", **extra).status_code for _ in range(times)]


def comparable(html: bytes) -> str:
    """A page without what differs per request: the CSRF token and the name typed, shown back in its field."""
    return re.sub(r'name="(csrfmiddlewaretoken|username)" value="[^"]*"', "", html.decode())


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_fifteen_wrong_passwords_then_the_right_one_is_refused(client, staff, url):
    statuses = fail(client, url, "li", 15)
    # The first four are the form's ordinary "wrong password"; from the fifth on the sign-in is paused.
    assert statuses[:4] == [200] * 4
    assert set(statuses[4:]) == {429}

    response = sign_in(client, url, "li", PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    page = response.content.decode()
    assert "Sign-in paused" in page
    assert "try again in about 15 minutes" in page
    assert int(response["Retry-After"]) == 15 * 60
    # A page of the site, not a bare line of text.
    assert "<html" in page and 'href="/accounts/password_reset/"' in page


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_an_unknown_account_gets_the_same_answers(staff, url):
    known, unknown = Client(), Client()
    known_answers = [sign_in(known, url, "li", "wrong-guess") for _ in range(6)]
    unknown_answers = [sign_in(unknown, url, "nobody-here", "wrong-guess") for _ in range(6)]
    for mine, theirs in zip(known_answers, unknown_answers, strict=True):
        assert mine.status_code == theirs.status_code
        assert comparable(mine.content) == comparable(theirs.content)
    assert sign_in(known, url, "li", PASSWORD).status_code == 429
    assert sign_in(unknown, url, "nobody-here", "anything").status_code == 429


def test_the_lock_is_per_account_whatever_the_address(staff):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    fail(attacker, "/accounts/login/", "li", 5)

    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    assert sign_in(elsewhere, "/accounts/login/", "li", PASSWORD).status_code == 429
    assert not signed_in(elsewhere)
    # The admin's sign-in shares the count.
    assert sign_in(elsewhere, "/admin/login/", "li", PASSWORD).status_code == 429

    # Another account on the attacker's address is not locked by one account's failures.
    UserFactory(username="wang")
    assert sign_in(attacker, "/accounts/login/", "wang", PASSWORD).status_code == 302
    assert signed_in(attacker)


def test_one_address_trying_many_accounts_is_locked_out(settings, staff):
    # Behind nginx (one proxy) the client is the address nginx forwards, as for the other rate limits.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    sprayer = Client(HTTP_X_FORWARDED_FOR="203.0.113.7", REMOTE_ADDR="10.0.0.2")
    # One guess per name never reaches any account's limit...
    statuses = [
        sign_in(sprayer, "/accounts/login/", f"user-{n}", "Password1").status_code
        for n in range(settings.LOGIN_FAILURES_PER_IP)
    ]
    assert statuses[:-1] == [200] * (settings.LOGIN_FAILURES_PER_IP - 1)
    # ...but the address's count does: even a right password is refused from it now.
    assert statuses[-1] == 429
    assert sign_in(sprayer, "/accounts/login/", "li", PASSWORD).status_code == 429

    colleague = Client(HTTP_X_FORWARDED_FOR="198.51.100.20", REMOTE_ADDR="10.0.0.2")
    assert sign_in(colleague, "/accounts/login/", "li", PASSWORD).status_code == 302


def test_rotating_addresses_inside_one_ipv6_64_still_counts_as_one_address(settings, staff):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    statuses = [
        sign_in(
            Client(HTTP_X_FORWARDED_FOR=f"2001:db8:1:2::{n:x}", REMOTE_ADDR="10.0.0.2"),
            "/accounts/login/",
            f"user-{n}",
            "Password1",
        ).status_code
        for n in range(settings.LOGIN_FAILURES_PER_IP)
    ]
    assert statuses[-1] == 429
    neighbour = Client(HTTP_X_FORWARDED_FOR="2001:db8:1:2:ffff::1", REMOTE_ADDR="10.0.0.2")
    assert sign_in(neighbour, "/accounts/login/", "li", PASSWORD).status_code == 429
    elsewhere = Client(HTTP_X_FORWARDED_FOR="2001:db8:1:3::1", REMOTE_ADDR="10.0.0.2")
    assert sign_in(elsewhere, "/accounts/login/", "li", PASSWORD).status_code == 302


def test_a_forwarded_header_that_is_no_address_still_counts_the_account(settings, staff):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    odd = Client(HTTP_X_FORWARDED_FOR="not-an-address")
    assert fail(odd, "/accounts/login/", "li", 5) == [200, 200, 200, 200, 429]
    assert sign_in(Client(), "/accounts/login/", "li", PASSWORD).status_code == 429


def test_a_few_typos_in_an_office_do_not_lock_its_address(staff):
    office = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(8):
        UserFactory(username=f"agent-{n}")
        assert fail(office, "/accounts/login/", f"agent-{n}", 2) == [200, 200]
    assert sign_in(office, "/accounts/login/", "li", PASSWORD).status_code == 302


def test_the_lockout_page_speaks_chinese(client, staff):
    fail(client, "/accounts/login/", "li", 5)
    response = sign_in(client, "/accounts/login/", "li", PASSWORD, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 429
    page = response.content.decode()
    assert "登录已暂停" in page
    assert "15 分钟" in page
    assert "Sign-in paused" not in page


def test_a_locked_out_account_signs_in_after_the_cool_off(client, staff):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        fail(client, "/accounts/login/", "li", 5)
        clock.shift(timedelta(minutes=10))
        # Trying during the pause starts it again.
        assert sign_in(client, "/accounts/login/", "li", PASSWORD).status_code == 429
        clock.shift(timedelta(minutes=10))
        assert sign_in(client, "/accounts/login/", "li", PASSWORD).status_code == 429
        clock.shift(timedelta(minutes=16))
        response = sign_in(client, "/accounts/login/", "li", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_an_administrator_can_lift_a_lockout_in_the_console(client, staff, admin_client):
    fail(client, "/accounts/login/", "li", 5)
    assert AccessAttempt.objects.filter(username="li").exists()
    listing = admin_client.get("/admin/axes/accessattempt/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "登录失败记录" in page and "失败次数" in page
    index = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "登录尝试" in index

    attempt = AccessAttempt.objects.get(username="li")
    admin_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert sign_in(client, "/accounts/login/", "li", PASSWORD).status_code == 302


# --- the API's token endpoint ------------------------------------------------------------------


def token(client: Client, username: str, password: str):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, content_type="application/json"
    )


def test_the_api_token_endpoint_counts_failures_and_answers_429_json(client, staff):
    statuses = [token(client, "li", "wrong-guess").status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429]

    response = token(client, "li", PASSWORD)
    assert response.status_code == 429
    body = response.json()
    assert body["error"]["code"] == "throttled"
    assert body["error"]["detail"] == {"retry_after_seconds": 15 * 60}
    assert "token" not in body
    # One count for the account, whichever door the guesses came through.
    assert sign_in(Client(), "/accounts/login/", "li", PASSWORD).status_code == 429


def test_the_api_answers_an_unknown_account_the_same(client, staff):
    known = [token(client, "li", "wrong-guess") for _ in range(6)]
    other = Client(REMOTE_ADDR="198.51.100.20")  # the endpoint also limits guesses per address
    unknown = [token(other, "nobody-here", "wrong-guess") for _ in range(6)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown]
    assert [r.json() for r in known] == [r.json() for r in unknown]


# --- password reset ------------------------------------------------------------------------------


def ask_reset(client: Client, email: str):
    return client.post("/accounts/password_reset/", {"email": email}, follow=True)


def reset_mails() -> list:
    return [m for m in mail.outbox if m.subject == PASSWORD_RESET_SUBJECT]


def test_reset_mails_stop_at_the_limit_and_the_page_reads_the_same(settings, client, staff):
    answers = [ask_reset(client, "li@staff.example.com") for _ in range(12)]
    assert len(reset_mails()) == settings.PASSWORD_RESETS_PER_ADDRESS == 3
    assert {a.redirect_chain[-1][0] for a in answers} == {"/accounts/password_reset/done/"}
    assert len({comparable(a.content) for a in answers}) == 1
    assert "If an active account uses that address" in answers[-1].content.decode()

    # The same address typed in another case is the same address.
    ask_reset(Client(REMOTE_ADDR="198.51.100.20"), "LI@staff.example.com")
    assert len(reset_mails()) == 3

    # An address without an account: no mail, the same page.
    unknown = ask_reset(Client(REMOTE_ADDR="198.51.100.21"), "nobody@example.com")
    assert comparable(unknown.content) == comparable(answers[0].content)
    assert len(reset_mails()) == 3


def test_reset_requests_are_limited_per_client(settings, staff):
    flooder = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(settings.PASSWORD_RESETS_PER_IP):
        ask_reset(flooder, f"someone-{n}@example.com")
    assert (
        ask_reset(flooder, "li@staff.example.com").redirect_chain[-1][0] == "/accounts/password_reset/done/"
    )
    assert reset_mails() == []

    ask_reset(Client(REMOTE_ADDR="198.51.100.20"), "li@staff.example.com")
    assert len(reset_mails()) == 1


def test_the_reset_limit_lifts_after_an_hour(client, staff):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            ask_reset(client, "li@staff.example.com")
        assert len(reset_mails()) == 3
        clock.shift(timedelta(hours=1, minutes=1))
        ask_reset(client, "li@staff.example.com")
    assert len(reset_mails()) == 4
