"""The one gate for outbound connections to hosts a supervisor configures (IMAP, SMS gateway, callbacks).

A host name is resolved and every address it resolves to must be public: loopback, private,
link-local (cloud metadata), shared, multicast and reserved addresses are refused unless the host or
address is in settings.OUTBOUND_ALLOWED_HOSTS (names, addresses or networks such as 10.0.0.0/8).
The socket is opened to the address that was checked, so a second DNS answer cannot swap it.
Failures read the same whether the port was closed, filtered or timed out: no port-scanning oracle.
"""

import http.client
import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundRefused(OSError):
    """The destination is not allowed, or could not be reached (said the same way for every cause)."""


def _allowed_entries() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names, networks = set(), []
    for entry in getattr(settings, "OUTBOUND_ALLOWED_HOSTS", []):
        entry = entry.strip().lower()
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.rstrip("."))
    return names, networks


def is_public(address: Address) -> bool:
    """True for an address on the public internet (IPv4-mapped IPv6 judged by its IPv4 address)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int) -> list[tuple[int, tuple]]:
    """(family, socket address) pairs for `host`, every one of them allowed; else OutboundRefused."""
    host = (host or "").strip()
    if not host:
        raise OutboundRefused("No host is configured.")
    names, networks = _allowed_entries()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        logger.info("Outbound %s:%s: not resolved (%s)", host, port, exc)
        raise OutboundRefused(f"Could not connect to {host}:{port}.") from None
    by_name = host.lower().rstrip(".") in names
    checked = []
    for family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if not (by_name or is_public(address) or any(address in network for network in networks)):
            raise OutboundRefused(
                f"Connections to {host} are not allowed: it is a loopback, private, link-local or reserved "
                "address. An operator can allow a real internal host in OUTBOUND_ALLOWED_HOSTS."
            )
        checked.append((family, sockaddr))
    return checked


def connect(host: str, port: int, *, timeout: object = None) -> socket.socket:
    """A TCP connection to an allowed address of `host`; one message for every way it can fail."""
    for family, sockaddr in resolve(host, port):
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if isinstance(timeout, int | float):
                sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            logger.info("Outbound %s:%s (%s): %s", host, port, sockaddr[0], exc)
            sock.close()
    raise OutboundRefused(f"Could not connect to {host}:{port}.")


def http_connection(url: str, *, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    """An HTTP(S) connection for `url` whose socket goes through `connect`, and the path to request."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise OutboundRefused("The address is not an http(s) URL.")
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname, parts.port, timeout=timeout)
    conn._create_connection = lambda address, timeout=None, source_address=None: connect(
        address[0], address[1], timeout=timeout
    )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return conn, path
