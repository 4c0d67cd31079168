"""Issue 15 item 15: hosts a supervisor configures cannot reach our own network, and failures say
nothing about which ports are open."""

import socket
import threading

import pytest

from channels_intake import imap
from channels_intake.models import Mailbox
from channels_intake.outbound import sms
from config import outbound_guard
from config.outbound_guard import OutboundRefused

BLOCKED = [
    "127.0.0.1",
    "localhost",
    "::1",
    "10.0.0.5",
    "172.16.3.4",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
    "::ffff:127.0.0.1",
    "fd00::1",
    "fe80::1",
    "240.0.0.1",
]


@pytest.fixture(autouse=True)
def _no_allowlist(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = []


@pytest.fixture
def listener():
    """An open local port that answers nothing (not IMAP, not HTTP)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True)
    thread.start()
    yield server.getsockname()[1]
    server.close()


def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.mark.parametrize("host", BLOCKED)
def test_internal_addresses_are_refused_before_any_connection(host, monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", lambda *a: pytest.fail("connected"))
    with pytest.raises(OutboundRefused, match="not allowed"):
        outbound_guard.connect(host, 143, timeout=1)


def test_a_name_resolving_to_a_private_address_among_public_ones_is_refused(monkeypatch):
    def getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(OutboundRefused, match="not allowed"):
        outbound_guard.resolve("imap.example.com", 993)


def test_the_allowlist_lets_a_real_internal_host_through(settings, listener):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1/32"]
    outbound_guard.connect("127.0.0.1", listener, timeout=2).close()
    settings.OUTBOUND_ALLOWED_HOSTS = ["localhost"]
    outbound_guard.connect("localhost", listener, timeout=2).close()


@pytest.mark.django_db
def test_a_mailbox_on_a_loopback_host_is_refused_and_says_so_in_the_admin(settings):
    Mailbox.objects.create(
        name="Inside",
        address="x@desk.example",
        host="127.0.0.1",
        port=22,
        security=Mailbox.Security.NONE,
        username="u",
        password="p",
    )
    imap.poll_all_mailboxes()
    error = Mailbox.objects.get().last_error
    assert "not allowed" in error and "OUTBOUND_ALLOWED_HOSTS" in error


@pytest.mark.django_db
def test_open_and_closed_ports_fail_in_the_same_words(settings, listener, monkeypatch):
    """Allowed for the test, a closed port and an open non-IMAP port read alike: no port scanner."""
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    monkeypatch.setattr(imap, "IMAP_TIMEOUT", 2)
    errors = []
    for port in (listener, closed_port()):
        mailbox = Mailbox(
            host="127.0.0.1", port=port, security=Mailbox.Security.NONE, username="u", password="p"
        )
        with pytest.raises(OutboundRefused) as raised:
            imap.connect(mailbox)
        errors.append(str(raised.value).replace(str(port), "PORT"))
    assert errors[0] == errors[1] == "Could not connect to 127.0.0.1:PORT."


def test_the_sms_gateway_cannot_point_inside(settings):
    settings.INTAKE = {
        **settings.INTAKE,
        "SMS_BACKEND": "channels_intake.outbound.sms.HttpGatewaySmsBackend",
        "SMS_GATEWAY_URL": "http://169.254.169.254/latest/meta-data/",
    }
    with pytest.raises(sms.SmsError, match="not allowed"):
        sms.backend().send(to="13800138000", text="hi")


def test_sms_gateway_failures_hide_the_socket_detail(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.INTAKE = {
        **settings.INTAKE,
        "SMS_BACKEND": "channels_intake.outbound.sms.HttpGatewaySmsBackend",
        "SMS_GATEWAY_URL": f"http://127.0.0.1:{closed_port()}/send",
    }
    with pytest.raises(sms.SmsError) as raised:
        sms.backend().send(to="13800138000", text="hi")
    assert "refused" not in str(raised.value).lower() and "errno" not in str(raised.value).lower()
