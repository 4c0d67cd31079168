"""Fixtures for the intake channels: queued deliveries run on demand, real SMTP and IMAP servers."""

import shutil
import tempfile
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _queued_deliveries(deliveries):
    """Every intake test queues its deliveries (tests/conftest.py): none is sent unless `run()`."""
    return deliveries


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
