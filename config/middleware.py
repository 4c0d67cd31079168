"""Response headers that keep personal data out of caches and downloaded files out of our origin.

Placed below django.middleware.csp in MIDDLEWARE, so its answer on the way out is seen by the CSP
middleware (which leaves a Content-Security-Policy header that is already set alone).
"""

from collections.abc import Callable
from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.utils.csp import CSP

# A downloaded or inline-shown file runs nothing and loads nothing, even if it is HTML or SVG.
DOWNLOAD_POLICY = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'"


def is_private_path(path: str) -> bool:
    """True for the pages that carry personal data: desk, admin, API, accounts, the customer's own pages."""
    return path.startswith(tuple(settings.PRIVATE_PATH_PREFIXES))


def is_download(response: HttpResponseBase) -> bool:
    return isinstance(response, FileResponse) or response.has_header("Content-Disposition")


def is_browsable_api(response: HttpResponseBase) -> bool:
    renderer = getattr(response, "accepted_renderer", None)
    return getattr(renderer, "format", None) == "api"


class PrivateResponseMiddleware:
    """`Cache-Control: no-store` on private pages and for signed-in users; a sandbox CSP on every file."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        private = is_private_path(request.path_info) or (user is not None and user.is_authenticated)
        # Replaces what a view said (desk files were `private, max-age=300`) unless it forbids storing.
        if private and "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "private, no-store"
        if is_download(response):
            response["Content-Security-Policy"] = DOWNLOAD_POLICY
        elif is_browsable_api(response):
            # DRF's HTML pages style with attributes and a <style>; scripts stay ours only.
            response._csp_config = {**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]}
        return response


class RefuseNulBytesMiddleware:
    """A NUL character in the path or the query string is refused with a 400 before any view runs:
    PostgreSQL cannot store or compare text holding one, so a lookup with it would end in a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in unquote(query):
            raise SuspiciousOperation("NUL character in the request address")
        return self.get_response(request)
