"""Fixtures for the intake channels: queued deliveries run on demand, real SMTP and IMAP servers."""

import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from channels_intake import outbound, tasks


@pytest.fixture(autouse=True)
def deliveries(monkeypatch):
    """send_delivery jobs queued on commit are recorded here; `run()` performs them as the worker would."""
    queued: list[int] = []
    monkeypatch.setattr(tasks.send_delivery, "delay", lambda delivery_id: queued.append(delivery_id))

    def run() -> None:
        while queued:
            outbound.send_delivery(delivery_id=queued.pop(0))

    return SimpleNamespace(queued=queued, run=run)


@pytest.fixture
def dovecot(settings):
    """A real Dovecot IMAP server for this test, installed from Debian's packages if missing."""
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]  # the test server is local: allowed explicitly
    from .servers import Dovecot, dovecot_binary

    binary = dovecot_binary()
    if binary is None:
        pytest.skip("Dovecot is not installed and cannot be installed here (needs root and apt-get)")
    # Not under pytest's private temp folder: Dovecot's unprivileged processes must read the config.
    root = Path(tempfile.mkdtemp(prefix="dovecot-"))
    server = Dovecot(root=root)
    try:
        server.start(binary)
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on a free loopback port, used as the default mailer."""
    from .servers import start_smtp

    controller, handler = start_smtp()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 10},
        }
    }
    yield handler
    controller.stop()
