"""Thin Celery tasks of the customer pages: the "e-mail me my link" mail."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from complaints.models import Ticket

from ..tokens import customer_ticket_url, link_days_after_close


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=50,
    time_limit=60,
)
def send_ticket_link(reference: str) -> int:
    """Mail a fresh link to the ticket's customer, in their language; 0 when there is no such ticket
    or no address on file. Sending twice only sends a second valid link."""
    ticket = Ticket.objects.filter(reference=reference).select_related("customer").first()
    if ticket is None or not ticket.customer.email:
        return 0
    customer = ticket.customer
    with translation.override(customer.preferred_language or settings.LANGUAGE_CODE):
        context = {
            "ticket": ticket,
            "url": customer_ticket_url(ticket),
            "days_after_close": link_days_after_close(),
        }
        subject = render_to_string("emails/customer_link_subject.txt", context).strip()
        body = render_to_string("emails/customer_link.txt", context)
    send_mail(subject, body, None, [customer.email])
    return 1
