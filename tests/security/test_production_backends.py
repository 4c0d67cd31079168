"""Issue 15 item 14: production never 'delivers' to the console.

With DEBUG off the process refuses to start with a console e-mail or SMS backend unless
ALLOW_CONSOLE_BACKENDS is set, and what a console backend prints is never recorded as sent.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail

from channels_intake import outbound
from channels_intake.models import OutboundMessage
from channels_intake.outbound import sms
from complaints import services
from config.console_backends import NotDelivered

ROOT = Path(django_settings.BASE_DIR)
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "0",
    "SECRET_KEY": "a-real-production-secret-key-0123456789-abcdefghijklmnop",
    "FIELD_ENCRYPTION_KEYS": "q4sM0Q6gE7bWJ2o5WnB0h7kSxS9m3zTqvZbq9Yw0f1c=",
    "EMAIL_URL": "smtp://mail.example.com:25",
}


def start(tmp_path: Path, **env: str | None) -> subprocess.CompletedProcess:
    """`manage.py check` in a fresh process with production settings and `env` on top (None: unset)."""
    outside = {k: v for k, v in os.environ.items() if k not in {"SMS_BACKEND", "ALLOW_CONSOLE_BACKENDS"}}
    merged = {**outside, **PRODUCTION, "VAR_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={k: v for k, v in merged.items() if v is not None},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "env",
    [
        {"EMAIL_URL": "console://"},
        {"EMAIL_URL": None},  # unset: the console default
        {"SMS_BACKEND": "channels_intake.outbound.sms.ConsoleSmsBackend"},
    ],
    ids=["console-mail", "default-mail", "console-sms"],
)
def test_production_refuses_to_start_with_a_console_backend(tmp_path, env):
    result = start(tmp_path, **env)
    assert result.returncode != 0
    assert "console backend" in result.stderr and "ALLOW_CONSOLE_BACKENDS" in result.stderr


def test_production_starts_with_real_backends_or_when_console_is_explicitly_allowed(tmp_path):
    assert start(tmp_path).returncode == 0  # no SMS gateway: SMS is simply not delivered
    allowed = start(tmp_path, EMAIL_URL="console://", ALLOW_CONSOLE_BACKENDS="1")
    assert allowed.returncode == 0, allowed.stderr


@pytest.fixture
def phone_only_ticket(db, django_capture_on_commit_callbacks, monkeypatch):
    from channels_intake import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.send_delivery, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        services.open_ticket(
            actor=None,
            channel="web",
            subject="No signal",
            description="No signal at home",
            customer=services.CustomerDetails(phone="13800138000", language="en"),
        )
    return queued


@pytest.mark.django_db
def test_a_console_sms_in_production_is_not_marked_sent(settings, phone_only_ticket, capsys):
    settings.DEBUG = False
    settings.INTAKE = {**settings.INTAKE, "SMS_BACKEND": "channels_intake.outbound.sms.ConsoleSmsBackend"}
    (delivery_id,) = phone_only_ticket
    with pytest.raises(NotDelivered):
        outbound.send_delivery(delivery_id=delivery_id, final_attempt=True)
    delivery = OutboundMessage.objects.get(pk=delivery_id)
    assert delivery.state == OutboundMessage.State.FAILED and delivery.sent_at is None
    assert "13800138000" not in capsys.readouterr().out  # nothing personal printed either


@pytest.mark.django_db
def test_no_sms_gateway_in_production_is_not_delivered(settings, phone_only_ticket):
    settings.DEBUG = False
    settings.INTAKE = {**settings.INTAKE, "SMS_BACKEND": ""}
    (delivery_id,) = phone_only_ticket
    with pytest.raises(NotDelivered):
        outbound.send_delivery(delivery_id=delivery_id)
    assert OutboundMessage.objects.get(pk=delivery_id).state != OutboundMessage.State.SENT


@pytest.mark.django_db
def test_the_console_still_prints_and_sends_in_development(settings, phone_only_ticket, capsys):
    settings.DEBUG = True
    settings.INTAKE = {**settings.INTAKE, "SMS_BACKEND": "channels_intake.outbound.sms.ConsoleSmsBackend"}
    (delivery_id,) = phone_only_ticket
    outbound.send_delivery(delivery_id=delivery_id)
    assert OutboundMessage.objects.get(pk=delivery_id).state == OutboundMessage.State.SENT
    assert "SMS to 13800138000" in capsys.readouterr().out


def test_console_mail_and_survey_sms_are_not_delivered_in_production(settings):
    settings.DEBUG = False
    settings.MAILERS = {"default": {"BACKEND": "config.console_backends.ConsoleEmailBackend"}}
    with pytest.raises(NotDelivered):
        mail.EmailMessage("s", "b", to=["a@example.com"]).send()
    settings.INTAKE = {**settings.INTAKE, "SMS_BACKEND": "channels_intake.outbound.sms.ConsoleSmsBackend"}
    assert not sms.delivers()  # surveys are cancelled as "no SMS gateway", never reported sent
