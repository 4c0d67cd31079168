"""The known-issue banner's data for the public pages (registered in settings' context processors)."""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import selectors

# Staff pages and the API have their own views of incidents; the banner is for customers.
NOT_PUBLIC = ("/desk/", "/admin/", "/api/", "/intake/", "/accounts/")


def known_issues(request: HttpRequest) -> dict[str, Any]:
    """`known_issues`: confirmed incidents with a public notice, read only if a template asks."""
    if request.path.startswith(NOT_PUBLIC):
        return {}
    return {"known_issues": SimpleLazyObject(selectors.known_issues)}
