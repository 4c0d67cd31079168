"""What a delivery says, in the customer's language: the templates' context, the short text of SMS,
WeChat and callbacks."""

import html

import nh3
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from complaints import extensions
from complaints.models import Resolution, Ticket

from ..models import OutboundMessage
from ..tokens import customer_ticket_url

Purpose = OutboundMessage.Purpose

# Template names (emails/customer_<name>[_subject|_sms].txt, .html) by purpose.
TEMPLATES = {
    Purpose.ACKNOWLEDGEMENT: "acknowledgement",
    Purpose.REPLY: "reply",
    Purpose.RESOLUTION: "resolution",
}


def plain(stored_html: str) -> str:
    """Text of a sanitised HTML body, paragraphs on their own lines."""
    return html.unescape(nh3.clean(stored_html.replace("</p>", "</p>\n"), tags=set())).strip()


def mail_html(stored_html: str) -> str:
    # Bodies were sanitised when stored; cleaned again because this is HTML sent outside.
    return mark_safe(nh3.clean(stored_html, tags={"p", "br", "b", "strong", "i", "em", "ul", "ol", "li"}))


def _resolution_context(resolution: Resolution, link: str) -> dict:
    """What a resolution notice says: the cause in the customer's language, the steps, the remedy."""
    remedy = resolution.remedy if resolution.remedy != Resolution.Remedy.NONE else ""
    return {
        "resolution": resolution,
        "cause": str(resolution.root_cause),
        "steps_text": plain(resolution.steps_taken),
        "steps_html": mail_html(resolution.steps_taken),
        "remedy": resolution.get_remedy_display() if remedy else "",
        "amount": resolution.amount if resolution.amount else None,
        "currency": resolution.currency,
        # The ticket page's resolution and dispute sections: confirming takes a click there, never a GET.
        "confirm_link": f"{link}#resolution",
        "dispute_link": f"{link}#dispute",
        "auto_close_days": settings.COMPLAINTS["AUTO_CLOSE_RESOLVED_AFTER_DAYS"],
        # Where else the customer may turn if they dispute it (12315, 12300 ...), as configured.
        "outside_routes": extensions.outside_routes(resolution.ticket),
    }


def context(delivery: OutboundMessage) -> dict:
    """The templates' context of an acknowledgement, reply or resolution notice."""
    ticket = delivery.ticket
    body = delivery.message.body if delivery.message else ""
    link = customer_ticket_url(ticket)
    values = {
        "ticket": ticket,
        "customer_name": ticket.customer.name,
        "link": link,
        "is_repeat": delivery.purpose == Purpose.ACKNOWLEDGEMENT and delivery.message is not None,
        "body_text": plain(body),
        "body_html": mail_html(body),
        "promise_hours": settings.INTAKE["ACK_PROMISE_HOURS"],
    }
    if delivery.purpose == Purpose.RESOLUTION and delivery.resolution is not None:
        values.update(_resolution_context(delivery.resolution, link))
    if delivery.purpose == Purpose.ACKNOWLEDGEMENT and delivery.message is None:
        # Composed when sent (after the opening commits), so what other apps linked on opening is there.
        values.update(extensions.acknowledgement_extras(ticket))
    return values


def customer_language(ticket: Ticket) -> str:
    return ticket.customer.preferred_language or settings.LANGUAGE_CODE


def _status_label(value: str) -> str:
    return str(dict(Ticket.Status.choices).get(value, value))


def sms_text(delivery: OutboundMessage) -> str:
    """The short text of a delivery (SMS, WeChat, the callback's `text`) in the customer's language."""
    ticket = delivery.ticket
    with translation.override(customer_language(ticket)):
        if delivery.purpose == Purpose.STATUS:
            return _("Your complaint %(ref)s is now: %(status)s. Follow it here: %(link)s") % {
                "ref": ticket.reference,
                "status": _status_label(delivery.detail.get("status", "")),
                "link": customer_ticket_url(ticket),
            }
        if delivery.purpose == Purpose.SURVEY:
            return _("How did we do with your complaint %(ref)s? Tell us here: %(url)s") % {
                "ref": ticket.reference,
                "url": delivery.detail.get("survey_url", ""),
            }
        name = TEMPLATES[delivery.purpose]
        return render_to_string(f"emails/customer_{name}_sms.txt", context(delivery)).strip()
