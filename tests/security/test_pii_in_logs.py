"""Issue 15 item 11: e-mail addresses and phone numbers never reach a log line the product writes."""

import io
import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from gunicorn.config import Config

from config.log_masking import ContactMaskingFilter, MaskingGunicornLogger, mask, mask_contacts

EMAIL, PHONE = "zhang.wei@example.com", "13812341234"


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        (f"GET /desk/?q={EMAIL} HTTP/1.1", EMAIL),
        ("GET /desk/?q=zhang.wei%40example.com HTTP/1.1", "zhang.wei"),
        (f"q={PHONE}&status=new", PHONE),
        ("q=%2B86+138-1234-1234", "1234-1234"),
        ("caller 010-12345678", "12345678"),
    ],
)
def test_contacts_are_masked(text, hidden):
    assert hidden not in mask_contacts(text)


@pytest.mark.parametrize(
    "text",
    ["ticket CMP-12345678 opened", "took 1234567 ms", "2026-12-03 05:02:11", "/desk/tickets/CMP-AB12CD34/"],
)
def test_references_dates_and_numbers_are_left_alone(text):
    assert mask_contacts(text) == text


def test_every_line_through_the_configured_handler_is_masked():
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, ContactMaskingFilter) for f in handler.filters)
    ]
    assert handlers, "settings.LOGGING's handler has no ContactMaskingFilter"
    stream = io.StringIO()
    handler = handlers[0]
    original, handler.stream = handler.stream, stream
    try:
        logging.getLogger("channels_intake.imap").warning("Mail from %s (%s) refused", EMAIL, PHONE)
        try:
            raise ValueError(f"bad address {EMAIL}")
        except ValueError:
            logging.getLogger("django.request").exception("Internal Server Error: /desk/?q=%s", PHONE)
    finally:
        handler.stream = original
    written = stream.getvalue()
    assert "z***@example.com" in written and "138****1234" in written
    assert EMAIL not in written and PHONE not in written


def test_the_gunicorn_access_log_masks_query_strings_and_referrers():
    logger = MaskingGunicornLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/desk/?q={EMAIL}&phone={PHONE}",
        "PATH_INFO": "/desk/",
        "QUERY_STRING": f"q={EMAIL}&phone={PHONE}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://desk.example/desk/?q={PHONE}",
    }
    resp = SimpleNamespace(status="200 OK", status_code=200, sent=10, response_length=10, headers=[])
    req = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    atoms = logger.atoms(resp, req, environ, timedelta(milliseconds=5))
    line = logger.cfg.access_log_format % atoms
    assert "/desk/" in line
    assert EMAIL not in line and PHONE not in line, line


def test_the_web_process_uses_the_masking_access_logger():
    root = Path(settings.BASE_DIR)
    for path in (root / "Procfile", root / "docs/deploy/systemd/complaint-desk-web.service"):
        assert "--logger-class config.log_masking.MaskingGunicornLogger" in path.read_text(), path


def test_a_celery_workers_log_lines_are_masked_too(tmp_path):
    # The worker sets logging up itself (it replaces the root logger's handlers): done here as
    # `celery worker` does it, in a process of its own so this test run's logging is left alone.
    script = (
        "import logging, django; django.setup()\n"
        "from config.celery import app\n"
        "app.log.setup(loglevel='INFO', colorize=False)\n"
        f"logging.getLogger('celery.worker').info('worker: %s', {EMAIL!r})\n"
        "from celery.utils.log import get_task_logger\n"
        f"get_task_logger('feedback.tasks').warning('task: %s', {PHONE!r})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"},
    )
    written = done.stdout + done.stderr
    assert "worker: z***@example.com" in written and "task: 138****1234" in written, written
    assert EMAIL not in written and PHONE not in written


@pytest.mark.django_db
def test_customer_link_and_reset_tokens_are_masked_in_the_access_log_and_the_request_log():
    from channels_intake.tokens import ticket_token
    from tests.factories import TicketFactory

    token = ticket_token(TicketFactory())
    logger = MaskingGunicornLogger(Config())
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"/t/{token}/reply/",
        "PATH_INFO": f"/t/{token}/reply/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://desk.example/survey/{token}/?rating=5",
    }
    resp = SimpleNamespace(status="302 Found", status_code=302, sent=0, response_length=0, headers=[])
    req = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    line = logger.cfg.access_log_format % logger.atoms(resp, req, environ, timedelta(milliseconds=5))
    assert "/t/…/reply/" in line and "/survey/…/" in line
    assert token not in line and token.split(":")[-1] not in line, line
    reset = "Not Found: /accounts/reset/MQ/cfe2a1-5c6b8f0d8f2f1e3d4c5b6a79/"
    assert mask(reset) == "Not Found: /accounts/reset/…/"
