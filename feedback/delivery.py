"""Composing the survey message (e-mail with text + HTML, or a short text) in the customer's language,
and handing it to the outbound stack's backends: the batch's one mail connection, the one SMS backend
(INTAKE['SMS_BACKEND']), or the delivery queue for a customer on WeChat or an app's callback."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from channels_intake.outbound import sms
from channels_intake.outbound.email import BatchMailer

from . import tokens
from .channels import channel_for
from .models import Survey

RATINGS = (5, 4, 3, 2, 1)


class NoSmsGateway(Exception):
    """No SMS backend is configured (or only the console with DEBUG off), so nothing goes by SMS."""


def _context(survey: Survey, *, reminder: bool) -> dict:
    survey_url = tokens.survey_url(survey)
    return {
        "survey": survey,
        "ticket": survey.ticket,
        "reminder": reminder,
        "survey_url": survey_url,
        # The same signed link with the rating preselected (tokens.survey_url's form), signed once.
        "rating_links": [(rating, f"{survey_url}?rating={rating}") for rating in RATINGS],
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


def deliver(survey: Survey, *, mailer: BatchMailer, reminder: bool = False) -> None:
    """Hand the survey to the mail server (over the batch's connection) or the SMS gateway.

    Raises OSError (smtplib and SMS gateway errors included) when it was not accepted;
    NoSmsGateway when the survey is for SMS and no gateway is configured.
    """
    if survey.channel == Survey.Channel.CUSTOMER_CHANNEL:
        channel = channel_for(survey.ticket)
        if channel is None:
            raise OSError("The customer's channel no longer reaches them.")
        channel.send(
            survey=survey,
            url=tokens.survey_url(survey),
            text=survey_sms_text(survey, reminder=reminder),
            reminder=reminder,
        )
        return
    if survey.channel == Survey.Channel.SMS:
        if not sms.delivers():
            raise NoSmsGateway("No SMS backend is configured (SMS_BACKEND).")
        sms.backend().send(to=survey.customer.phone, text=survey_sms_text(survey, reminder=reminder))
        return
    mailer.send(survey_email(survey, reminder=reminder))
