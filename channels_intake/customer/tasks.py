"""Thin Celery tasks of the customer pages: "send me my link" by e-mail or SMS."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from complaints import selectors
from complaints.models import Customer
from config.console_backends import NotDelivered

from ..outbound import sms
from ..tokens import customer_ticket_url, link_days_after_close

logger = logging.getLogger(__name__)

EMAIL, SMS = "email", "sms"


def _route(customer: Customer, via: str) -> str | None:
    """The way asked for when that contact is on file, else the other one; None without any."""
    order = (SMS, EMAIL) if via == SMS else (EMAIL, SMS)
    on_file = {EMAIL: bool(customer.email), SMS: bool(customer.phone)}
    return next((way for way in order if on_file[way]), None)


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),  # SMTP and the SMS gateway's transient failures (SmsError is one)
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=50,
    time_limit=60,
)
def send_ticket_link(reference: str, via: str = EMAIL) -> int:
    """Send a fresh link to the ticket's customer at the contact on file, in their language: by e-mail,
    or by SMS through the same SMS backend as acknowledgements. 0 when there is no such ticket or no
    contact. Sending twice only sends a second valid link."""
    ticket = selectors.ticket_by_reference(reference, "customer")
    if ticket is None:
        return 0
    customer = ticket.customer
    way = _route(customer, via)
    if way is None:
        return 0
    with translation.override(customer.preferred_language or settings.LANGUAGE_CODE):
        context = {
            "ticket": ticket,
            "url": customer_ticket_url(ticket),
            "days_after_close": link_days_after_close(),
        }
        if way == SMS:
            text = render_to_string("emails/customer_link_sms.txt", context).strip()
        else:
            subject = render_to_string("emails/customer_link_subject.txt", context).strip()
            body = render_to_string("emails/customer_link.txt", context)
    if way == SMS:
        try:
            sms.backend().send(to=customer.phone, text=text)
        except NotDelivered as exc:  # no gateway configured: retrying would not change that
            logger.warning("Ticket %s: link not sent by SMS: %s", reference, exc)
            return 0
    else:
        send_mail(subject, body, None, [customer.email])
    return 1
