"""REST API v1 refusals: bad input is a 4xx with the same JSON shape, never a 500; rate limits hold."""

import pytest
from rest_framework.test import APIClient

from complaints.models import Ticket
from tests.complaints.api_helpers import client_for, make_integration, ticket_payload

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


@pytest.fixture
def client():
    return client_for(make_integration())


def _assert_error(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] and error["message"]
    for field in fields:
        assert field in error["fields"], error
    return error


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"subject": "x",}', b"[" * 100_000 + b"]" * 100_000, b'{"subject": NaN}', b'"\\ud800"'],
    ids=["malformed", "trailing-comma", "deeply-nested", "nan", "lone-surrogate"],
)
def test_unparseable_json_is_400(client, body):
    response = client.generic("POST", TICKETS, body, content_type="application/json")
    assert _assert_error(response, 400)["code"] == "parse_error"


def test_lone_surrogate_inside_a_field_is_400(client):
    body = b'{"subject": "bad \\udc80 text", "description": "x", "customer": {"email": "a@example.com"}}'
    response = client.generic("POST", TICKETS, body, content_type="application/json")
    _assert_error(response, 400)
    assert Ticket.objects.count() == 0


def test_other_content_types_are_415(client):
    response = client.post(TICKETS, "subject=x", content_type="application/x-www-form-urlencoded")
    assert _assert_error(response, 415)["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"subject": ""}, ["subject"]),
        ({"subject": "x" * 201}, ["subject"]),
        ({"description": "y" * 20_001}, ["description"]),
        ({"order_number": "9" * 65}, ["order_number"]),
        ({"category": "no-such-category"}, ["category"]),
        ({"category": 12}, ["category"]),
        ({"channel": "fax"}, ["channel"]),
        ({"priority": 7}, ["priority"]),
        ({"priority": "urgent"}, ["priority"]),
        ({"kind": "rant"}, ["kind"]),
        ({"occurred_at": "last tuesday"}, ["occurred_at"]),
        ({"occurred_at": "2026-02-30T10:00:00"}, ["occurred_at"]),
        ({"occurred_at": "2999-01-01T00:00:00Z"}, ["occurred_at"]),
        ({"occurred_at": 1700000000}, ["occurred_at"]),
        ({"occurred_at": "1329-07-07T10:27:58+08:00"}, ["occurred_at"]),
        ({"customer": "lilei@example.com"}, ["customer"]),
        ({"customer": {"name": "李雷"}}, ["customer"]),
        ({"customer": {"email": "not-an-email"}}, ["customer"]),
        ({"customer": {"phone": "call me"}}, ["customer"]),
        ({"customer": {"email": "a@example.com", "name": "n" * 5000}}, ["customer"]),
        ({"subject": ["a", "list"]}, ["subject"]),
        ({"subject": "bad\x00byte"}, ["subject"]),
    ],
)
def test_invalid_ticket_fields_are_400_naming_them(client, overrides, fields):
    response = client.post(TICKETS, ticket_payload(**overrides), format="json")
    error = _assert_error(response, 400, *fields)
    assert error["code"] == "invalid"
    assert Ticket.objects.count() == 0


def test_nested_customer_errors_name_the_inner_field(client):
    response = client.post(TICKETS, ticket_payload(customer={"email": "nope"}), format="json")
    assert "email" in response.json()["error"]["fields"]["customer"]


def test_a_json_list_instead_of_an_object_is_400(client):
    response = client.post(TICKETS, [1, 2, 3], format="json")
    _assert_error(response, 400)


def test_a_huge_idempotency_key_is_400(client):
    response = client.post(TICKETS, ticket_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 300)
    _assert_error(response, 400, "Idempotency-Key")


def test_wrong_method_is_405_json(client):
    response = client.delete(TICKETS)
    assert _assert_error(response, 405)["code"] == "method_not_allowed"


def test_invalid_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert _assert_error(client.get(TICKETS), 401)["code"] == "authentication_failed"


# --- throttling -----------------------------------------------------------------------------------


def _rates(settings, **rates) -> None:
    from rest_framework.settings import api_settings

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }
    api_settings.reload()


@pytest.fixture
def restore_rates():
    yield
    from rest_framework.settings import api_settings

    api_settings.reload()


WITHIN_ONE_WINDOW = "2026-11-23 10:00:05+08:00"


def test_each_token_has_its_own_limit(settings, restore_rates, time_machine):
    time_machine.move_to(WITHIN_ONE_WINDOW, tick=False)  # limits count per fixed minute
    from rest_framework.throttling import SimpleRateThrottle

    _rates(settings, user="3/minute")
    SimpleRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        first, second = client_for(make_integration("a")), client_for(make_integration("b"))
        answers = [first.get(TICKETS).status_code for _ in range(4)]
        error = _assert_error(first.get(TICKETS), 429)

        assert answers == [200, 200, 200, 429]
        assert error["code"] == "throttled"
        assert error["detail"]["retry_after_seconds"] >= 1
        assert second.get(TICKETS).status_code == 200
    finally:
        from rest_framework.settings import api_settings

        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


def test_anonymous_clients_are_limited_per_ip(settings, restore_rates, time_machine):
    time_machine.move_to(WITHIN_ONE_WINDOW, tick=False)  # limits count per fixed minute
    from rest_framework.throttling import SimpleRateThrottle

    _rates(settings, anon="2/minute")
    SimpleRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        client = APIClient()
        # Anonymous requests to protected endpoints stop at 401 before any limit; the open ones count.
        answers = [client.get("/api/schema/", REMOTE_ADDR="10.0.0.1").status_code for _ in range(3)]
        other_ip = client.get("/api/schema/", REMOTE_ADDR="10.0.0.2").status_code
    finally:
        from rest_framework.settings import api_settings

        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert answers == [200, 200, 429]
    assert other_ip == 200


def test_password_guessing_on_the_token_endpoint_is_limited(settings, restore_rates, time_machine):
    time_machine.move_to(WITHIN_ONE_WINDOW, tick=False)  # limits count per fixed minute
    from rest_framework.throttling import SimpleRateThrottle

    _rates(settings, login="3/minute")
    SimpleRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        client = APIClient()
        answers = [
            client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json").status_code
            for _ in range(4)
        ]
    finally:
        from rest_framework.settings import api_settings

        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert answers == [400, 400, 400, 429]


def test_a_busy_token_costs_one_counter_not_a_list_of_requests(settings, restore_rates, time_machine):
    import hashlib
    import time

    from django.core.cache import cache
    from rest_framework.authtoken.models import Token
    from rest_framework.throttling import SimpleRateThrottle

    time_machine.move_to(WITHIN_ONE_WINDOW, tick=False)
    _rates(settings, user="1000/minute")
    SimpleRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        integration = make_integration("busy")
        client = client_for(integration)
        assert {client.get(TICKETS).status_code for _ in range(30)} == {200}
    finally:
        from rest_framework.settings import api_settings

        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    token = Token.objects.get(user=integration).key
    ident = "token-" + hashlib.sha256(token.encode()).hexdigest()[:32]
    # One integer per token and minute, whatever the rate (DRF's default keeps a list of 30 times).
    assert cache.get(f"throttle_user_{ident}:{int(time.time() // 60)}") == 30
