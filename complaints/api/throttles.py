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


class FixedWindowRateThrottle(SimpleRateThrottle):
    """Counts requests per fixed window with one atomic increment in the cache.

    DRF's default keeps the timestamp of every request of the window in one cache entry, read and
    rewritten whole on each request: at a few thousand requests a minute that list cost more than
    opening the ticket (the API made 50 tickets/s under load where the web form made 65). A fixed
    window may let up to twice the rate through across a window's edge; a limit is still a limit.
    """

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        window_key = f"{key}:{int(self.now // self.duration)}"
        try:
            count = self.cache.incr(window_key)  # one round trip for all but a window's first request
        except ValueError:  # no counter yet: open the window, unless a concurrent request just did
            # Kept past its window (never used after it), so it cannot expire between check and increment.
            count = 1 if self.cache.add(window_key, 1, 2 * self.duration) else self.cache.incr(window_key)
        return count <= self.num_requests

    def wait(self) -> float:
        return self.duration - (self.now % self.duration)


class TokenRateThrottle(FixedWindowRateThrottle):
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


class AnonymousRateThrottle(FixedWindowRateThrottle, AnonRateThrottle):
    scope = "anon"


class TicketCreateThrottle(TokenRateThrottle):
    """Opening tickets is the expensive write a misbehaving integration would flood."""

    scope = "ticket_create"


class LoginRateThrottle(FixedWindowRateThrottle):
    """Password guesses against the token endpoint, counted per client IP."""

    scope = "login"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
