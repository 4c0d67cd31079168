"""Which pages may open the chat's WebSockets: the full origin (scheme, host and port) must be
SITE_URL's, or for the customer's socket only, one of CHAT["EMBED_ORIGINS"] (the embed snippet's
sites); with DEBUG, also the request's own Host with the same scheme. Browsers send cookies to every
port of a host, so comparing the host name alone (channels' AllowedHostsOriginValidator) lets a page
on another port of the desk's host open the agent's console with the agent's session."""

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings

# Paths whose socket the embedding sites may open: the customer's chat, never the agent console.
EMBEDDABLE_PREFIX = "/ws/chat/"


def origin_of(url: str) -> str | None:
    """scheme://host[:port], lower-cased, default ports dropped; None when it is not a web origin."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[scheme]
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def allowed_origins(scope: dict[str, Any]) -> set[str]:
    allowed = {origin_of(settings.SITE_URL)}
    if scope.get("path", "").startswith(EMBEDDABLE_PREFIX):
        allowed |= {origin_of(o) for o in settings.CHAT["EMBED_ORIGINS"]}
    if settings.DEBUG:
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1")
        scheme = "https" if scope.get("scheme") == "wss" else "http"
        if host:
            allowed.add(origin_of(f"{scheme}://{host}"))
    allowed.discard(None)
    return allowed


def is_allowed(scope: dict[str, Any]) -> bool:
    headers = dict(scope.get("headers") or [])
    raw = headers.get(b"origin")
    if not raw:
        return False
    origin = origin_of(raw.decode("latin-1"))
    return origin is not None and origin in allowed_origins(scope)


class SiteOriginValidator:
    """ASGI middleware: a WebSocket whose Origin is not allowed (see the module) is refused (403)."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not is_allowed(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.application(scope, receive, send)
