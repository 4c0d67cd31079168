"""Signed-in staff see the desk and the console in the language they chose (complaints.preferences)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation

from . import preferences
from .errors import ComplaintError


class StaffLanguageMiddleware:
    """After LocaleMiddleware and AuthenticationMiddleware: a signed-in person's stored language wins
    over the cookie and the browser's; a language they pick in the switcher is stored as theirs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in:
            language = request.session.get(preferences.SESSION_KEY)
            if language is None:  # a session from before the preference existed
                language = preferences.staff_language(user)
                preferences.remember(request, language)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        if signed_in and self._switched_language(request, response):
            chosen = response.cookies[settings.LANGUAGE_COOKIE_NAME].value
            try:
                preferences.set_staff_language(user=user, language=chosen)
            except ComplaintError:
                pass  # set_language only sets languages the site has; nothing to store otherwise
            else:
                preferences.remember(request, chosen)
        return response

    @staticmethod
    def _switched_language(request: HttpRequest, response: HttpResponse) -> bool:
        return (
            request.method == "POST"
            and settings.LANGUAGE_COOKIE_NAME in response.cookies
            and request.path == reverse("set_language")
        )
