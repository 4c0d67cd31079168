"""Composing and handing over the survey message: e-mail (text + HTML) or SMS, in the customer's language."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.utils import translation

from . import tokens
from .channels import channel_for
from .models import Survey
from .sms import SmsDeliveryError, get_sms_backend

logger = logging.getLogger(__name__)

RATINGS = (5, 4, 3, 2, 1)


class NoSmsGateway(SmsDeliveryError):
    """No SMS backend is configured, so nothing can be sent by SMS."""


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


class SurveyMailer:
    """One connection to the default mailer for a whole batch of surveys.

    Opened on the first e-mail (a batch of SMS or of nothing due never connects), kept open for
    the following ones, and dropped by `reset()` after a failure so the next e-mail reconnects.
    Use it as a context manager: the connection is closed when the batch ends, however it ends.
    """

    def __init__(self) -> None:
        self.connection: BaseEmailBackend | None = None
        self.opened = 0  # connections opened (or tried), for the run's report
        self.failures = 0  # failures of the mail server (or SMS gateway) so far in this run

    def send(self, message: EmailMultiAlternatives) -> int:
        if self._server_hung_up():
            self.reset()
        if self.connection is None:
            # Kept before open() so that reset() also closes a half-opened one (refused login, say).
            self.connection, self.opened = mailers["default"], self.opened + 1
            self.connection.open()
        return self.connection.send_messages([message])

    def _server_hung_up(self) -> bool:
        # smtplib closes the socket itself when the server answers 421 (closing): reconnect then,
        # rather than fail the next survey on a dead connection. Django's SMTP backend keeps
        # smtplib's object as `connection`; other backends have nothing to hang up.
        smtp = getattr(self.connection, "connection", None)
        return isinstance(smtp, smtplib.SMTP) and smtp.sock is None

    def reset(self) -> None:
        """Drop the connection (after an error it may be half-open); the next send reconnects."""
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.close()
            except OSError as error:  # smtplib and ssl errors included
                logger.info("Closing the mail connection failed: %s", error)

    def __enter__(self) -> "SurveyMailer":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.reset()


def deliver(survey: Survey, *, mailer: SurveyMailer, reminder: bool = False) -> None:
    """Hand the survey to the mail server (over the batch's connection) or the SMS gateway.

    Raises OSError (smtplib errors included) or SmsDeliveryError when it was not accepted;
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
        backend = get_sms_backend()
        if backend is None:
            raise NoSmsGateway("No SMS backend is configured (FEEDBACK['SMS_BACKEND']).")
        backend.send(to=survey.customer.phone, text=survey_sms_text(survey, reminder=reminder))
        return
    mailer.send(survey_email(survey, reminder=reminder))
