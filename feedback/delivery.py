"""Composing and handing over the survey message: e-mail (text + HTML) or SMS, in the customer's language."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from . import tokens
from .models import Survey
from .sms import SmsDeliveryError, get_sms_backend

RATINGS = (5, 4, 3, 2, 1)


class NoSmsGateway(SmsDeliveryError):
    """No SMS backend is configured, so nothing can be sent by SMS."""


def _context(survey: Survey, *, reminder: bool) -> dict:
    return {
        "survey": survey,
        "ticket": survey.ticket,
        "reminder": reminder,
        "survey_url": tokens.survey_url(survey),
        "rating_links": [(rating, tokens.survey_url(survey, rating=rating)) for rating in RATINGS],
        "unsubscribe_url": tokens.unsubscribe_url(survey),
    }


def survey_email(survey: Survey, *, reminder: bool = False) -> EmailMultiAlternatives:
    """The survey e-mail: reference, summary, five one-click rating links, the full survey, unsubscribe."""
    with translation.override(survey.customer.preferred_language or settings.LANGUAGE_CODE):
        context = _context(survey, reminder=reminder)
        subject = " ".join(render_to_string("emails/survey_subject.txt", context).split())
        text = render_to_string("emails/survey.txt", context)
        html = render_to_string("emails/survey.html", context)
    unsubscribe = context["unsubscribe_url"]
    message = EmailMultiAlternatives(
        subject,
        text,
        None,
        [survey.customer.email],
        headers={
            # RFC 2369 / RFC 8058: mail clients offer an unsubscribe button that POSTs here.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def survey_sms_text(survey: Survey, *, reminder: bool = False) -> str:
    with translation.override(survey.customer.preferred_language or settings.LANGUAGE_CODE):
        return " ".join(
            render_to_string("emails/survey_sms.txt", _context(survey, reminder=reminder)).split()
        )


def deliver(survey: Survey, *, reminder: bool = False) -> None:
    """Hand the survey to the mail server or SMS gateway.

    Raises OSError (smtplib errors included) or SmsDeliveryError when it was not accepted;
    NoSmsGateway when the survey is for SMS and no gateway is configured.
    """
    if survey.channel == Survey.Channel.SMS:
        backend = get_sms_backend()
        if backend is None:
            raise NoSmsGateway("No SMS backend is configured (FEEDBACK['SMS_BACKEND']).")
        backend.send(to=survey.customer.phone, text=survey_sms_text(survey, reminder=reminder))
        return
    survey_email(survey, reminder=reminder).send(using="default")
