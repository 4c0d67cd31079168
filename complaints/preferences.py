"""A staff member's own language: stored once, followed by the desk, the console and their e-mail.

The language is read once per sign-in into the session (so a page costs no extra query) and kept
there; choosing another one in the desk's or the console's switcher stores it for good.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.utils.translation import gettext

from .errors import ComplaintError
from .models import StaffPreference

SESSION_KEY = "staff_language"


def staff_language(user: AbstractBaseUser) -> str:
    """The language `user` chose, or "" when they chose none."""
    return StaffPreference.objects.filter(user=user).values_list("language", flat=True).first() or ""


def set_staff_language(*, user: AbstractBaseUser, language: str) -> StaffPreference:
    """Store `language` as `user`'s own ("" to follow the site's); refuses a language the site lacks."""
    if language and language not in dict(settings.LANGUAGES):
        raise ComplaintError(gettext("The desk is not available in %(language)s.") % {"language": language})
    preference, _ = StaffPreference.objects.update_or_create(user=user, defaults={"language": language})
    return preference


def remember(request: HttpRequest, language: str) -> None:
    """Keep the signed-in person's language in their session for the pages that follow."""
    if hasattr(request, "session"):
        request.session[SESSION_KEY] = language


def remember_on_login(sender: object, request: HttpRequest | None, user: AbstractBaseUser, **kwargs) -> None:
    """user_logged_in receiver: read the stored language once per sign-in."""
    if request is not None:
        remember(request, staff_language(user))


def recipients_by_language(users: Iterable[AbstractBaseUser]) -> list[tuple[str, list[str]]]:
    """The e-mail addresses of `users` grouped by the language each reads (the site's for those who
    chose none), in a stable order; one query for all their preferences."""
    users = [user for user in users if user.email]
    chosen = dict(
        StaffPreference.objects.filter(user__in=[user.pk for user in users]).values_list(
            "user_id", "language"
        )
    )
    grouped: dict[str, set[str]] = defaultdict(set)
    for user in users:
        grouped[chosen.get(user.pk) or settings.LANGUAGE_CODE].add(user.email)
    return [(language, sorted(grouped[language])) for language in sorted(grouped)]
