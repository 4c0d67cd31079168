"""Acknowledgements by SMS for customers who gave only a phone number; the HTTP gateway backend."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from channels_intake.models import OutboundMessage
from channels_intake.outbound import sms
from complaints import services as complaint_services


@pytest.mark.django_db
def test_phone_only_customer_is_acknowledged_by_sms(
    capsys, django_capture_on_commit_callbacks, deliveries, settings
):
    # The console backend delivers only in development (tests/security/test_production_backends.py).
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        opened = complaint_services.open_ticket(
            actor=None,
            channel="web",
            subject="No signal",
            description="No signal at home",
            customer=complaint_services.CustomerDetails(phone="13800138000", language="en"),
        )
    deliveries.run()
    delivery = OutboundMessage.objects.get()
    assert delivery.transport == "sms" and delivery.state == "sent"
    out = capsys.readouterr().out
    assert "SMS to 13800138000" in out and opened.ticket.reference in out and "/t/" in out


class Gateway(BaseHTTPRequestHandler):
    received: list[tuple[str, dict]] = []
    status = 200

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Gateway.received.append((self.headers["Authorization"], body))
        self.send_response(Gateway.status)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def gateway(settings):
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.INTAKE = {
        **settings.INTAKE,
        "SMS_BACKEND": "channels_intake.outbound.sms.HttpGatewaySmsBackend",
        "SMS_GATEWAY_URL": f"http://127.0.0.1:{server.server_port}/send",
        "SMS_GATEWAY_TOKEN": "tok",
    }
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]  # the fake gateway is local: allowed explicitly
    Gateway.received.clear()
    Gateway.status = 200
    yield Gateway
    server.shutdown()
    server.server_close()


def test_http_gateway_posts_json_with_the_token(gateway):
    sms.backend().send(to="+8613800138000", text="您好")
    assert gateway.received == [("Bearer tok", {"to": "+8613800138000", "text": "您好"})]


def test_http_gateway_error_is_a_retryable_failure(gateway):
    gateway.status = 503
    with pytest.raises(sms.SmsError):
        sms.backend().send(to="1", text="x")
