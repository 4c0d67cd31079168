"""/healthz: 200 when the database and the broker answer, 503 with the reason when one does not."""

import socket

import pytest
from django.db import OperationalError

from config.celery import app as celery_app


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker_down():
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = f"redis://127.0.0.1:{closed_port()}/0"
    yield
    celery_app.conf.broker_url = saved


def test_healthy_when_database_and_broker_answer(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_unreachable_broker_gives_503_with_the_reason(client, db, broker_down):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert len(body["problems"]) == 1 and body["problems"][0].startswith("broker:")


def test_unreachable_database_gives_503_with_the_reason(client, db, monkeypatch):
    class Unreachable:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("config.health.connection", Unreachable())
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["problems"] == ["database: OperationalError: connection refused"]
