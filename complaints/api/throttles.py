"""Rate limits: per API token (or session user), per anonymous IP, and a tighter one for logging in.

Rates are in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] under each class's scope.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

if TYPE_CHECKING:  # DRF imports this module while rest_framework.views is still loading
    from rest_framework.request import Request
    from rest_framework.views import APIView


class TokenRateThrottle(SimpleRateThrottle):
    """Counts each token separately, so two integrations of one account do not starve each other."""

    scope = "user"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not request.user.is_authenticated:
            return None
        from rest_framework.authtoken.models import Token

        if isinstance(request.auth, Token):
            ident = "token-" + hashlib.sha256(request.auth.key.encode()).hexdigest()[:32]
        else:
            ident = f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonymousRateThrottle(AnonRateThrottle):
    scope = "anon"


class TicketCreateThrottle(TokenRateThrottle):
    """Opening tickets is the expensive write a misbehaving integration would flood."""

    scope = "ticket_create"


class LoginRateThrottle(SimpleRateThrottle):
    """Password guesses against the token endpoint, counted per client IP."""

    scope = "login"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
