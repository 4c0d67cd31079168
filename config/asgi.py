"""The ASGI entry point: HTTP to Django, WebSockets (live chat, chat/routing.py) through the origin
check (chat/origins.py: only our own origin, scheme, host and port, and for the customer's socket the
embedding sites, may open a socket) and the session (agents sign in as on the desk).

Run with daphne (`daphne config.asgi:application`; `make run` serves it through runserver)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django is set up before the routing imports the consumers (and they the models).
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chat.origins import SiteOriginValidator  # noqa: E402
from chat.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": SiteOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
