"""A database that cannot be reached answers 503: a page in the reader's language, or the API's JSON,
never the 500 page or a traceback (the fault suite, tests/faults, proves it against a real outage)."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.urls import path

from config import urls as project_urls


def lost_connection(request):
    raise OperationalError("connection failed: server closed the connection unexpectedly")


def closed_connection(request):
    raise InterfaceError("connection already closed")


urlpatterns = [
    path("public/", lost_connection),
    path("api/v1/thing/", closed_connection),
    *project_urls.urlpatterns,
]
handler500 = project_urls.handler500


@pytest.fixture
def client_no_raise(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def test_a_page_answers_a_friendly_503_in_the_readers_language(client_no_raise):
    response = client_no_raise.get("/public/", headers={"accept-language": "zh-hans"})
    assert response.status_code == 503
    assert response["Retry-After"]
    text = response.content.decode()
    assert "服务暂时不可用" in text and "Traceback" not in text
    response = client_no_raise.get("/public/", headers={"accept-language": "en"})
    assert "Briefly unavailable" in response.content.decode()


def test_the_api_answers_503_json(client_no_raise):
    response = client_no_raise.get("/api/v1/thing/")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
