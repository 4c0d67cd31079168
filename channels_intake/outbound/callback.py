"""The webhook backend: a delivery POSTed, signed, to the callback URL of the customer's app or Weibo
channel (the HTTP part is channels_intake.callbacks)."""

from django.utils import translation

from complaints.naming import user_name_for_customers

from .. import callbacks
from ..models import OutboundMessage, WebhookChannel
from ..tokens import customer_ticket_url
from . import compose
from .errors import DeliveryRefused

Purpose = OutboundMessage.Purpose


def callback_payload(delivery: OutboundMessage) -> dict:
    """What an app's or Weibo's callback receives for one delivery."""
    ticket = delivery.ticket
    _channel_pk, _sep, user_id = delivery.recipient.partition(":")
    payload = {
        "event": delivery.purpose,
        "id": callbacks.idempotency_key(delivery.key),
        "user_id": user_id,
        "reference": ticket.reference,
        "status": ticket.status,
        "text": compose.sms_text(delivery),
        "link": customer_ticket_url(ticket),
        "created_at": delivery.created_at.isoformat(),
    }
    if delivery.message is not None:
        with translation.override(compose.customer_language(ticket)):
            author = user_name_for_customers(delivery.message.author) if delivery.message.author_id else ""
        payload["message"] = {
            "id": delivery.message.pk,
            "body": compose.plain(delivery.message.body),
            "author": author,
            "created_at": delivery.message.created_at.isoformat(),
        }
    if delivery.purpose == Purpose.STATUS:
        payload["status"] = delivery.detail.get("status", ticket.status)
    if delivery.purpose == Purpose.SURVEY:
        payload["survey_url"] = delivery.detail.get("survey_url", "")
    return payload


def send(delivery: OutboundMessage) -> None:
    channel_pk, _sep, _user = delivery.recipient.partition(":")
    channel = WebhookChannel.objects.filter(pk=int(channel_pk) if channel_pk.isdigit() else None).first()
    if channel is None or not channel.is_active:
        raise DeliveryRefused("The webhook channel of this customer is gone or inactive.")
    try:
        callbacks.post(channel=channel, payload=callback_payload(delivery), key=delivery.key)
    except callbacks.CallbackRefused as exc:
        raise DeliveryRefused(str(exc)) from None
