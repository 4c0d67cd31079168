"""Signed survey links: /survey/<signed-token>/ carries the survey's random token under our own salt."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Survey

SALT = "feedback.survey-link"


def sign(survey: Survey) -> str:
    """The survey's token with a signature; short enough for an SMS."""
    return signing.Signer(salt=SALT).sign(survey.token)


def survey_from_signed(signed: str) -> Survey:
    """The survey a signed token names.

    Raises signing.BadSignature for a forged or mangled token and Survey.DoesNotExist
    for one whose survey is gone.
    """
    token = signing.Signer(salt=SALT).unsign(signed)
    return Survey.objects.select_related("ticket", "customer", "policy").get(token=token)


def survey_url(survey: Survey, *, rating: int | None = None) -> str:
    """Absolute link to the survey, optionally with a rating preselected (one-click links)."""
    url = settings.SITE_URL + reverse("feedback:survey", args=[sign(survey)])
    return f"{url}?rating={rating}" if rating is not None else url


def unsubscribe_url(survey: Survey) -> str:
    return settings.SITE_URL + reverse("feedback:unsubscribe", args=[sign(survey)])
