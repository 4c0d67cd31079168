"""The WeChat backend: customer-service messages within the customer's 48-hour window; outside it a
reply or notice goes by e-mail or SMS instead, or waits for the customer's next message."""

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from .. import wechat as wechat_intake
from .. import wechat_api
from ..models import OutboundMessage, new_message_id
from . import compose, email, routing, sms
from .errors import HAS_EMAIL_FORM, DeliveryWaits

Transport = OutboundMessage.Transport

FALLBACK_SENDERS = {Transport.EMAIL: email.send, Transport.SMS: sms.send}


def _outside_window(delivery: OutboundMessage, *, seen: datetime | None) -> None:
    """The window is closed: switch the delivery to the customer's e-mail or SMS, or let it wait."""
    fallback = routing.fallback(delivery.ticket.customer) if delivery.purpose in HAS_EMAIL_FORM else None
    if fallback is None:
        raise DeliveryWaits(
            "Outside WeChat's 48-hour window: sent when the customer writes again.", seen=seen
        )
    delivery.transport, delivery.recipient = fallback
    if delivery.transport == Transport.EMAIL and not delivery.email_message_id:
        delivery.email_message_id = new_message_id()
    FALLBACK_SENDERS[delivery.transport](delivery)


def send(delivery: OutboundMessage) -> None:
    path = settings.INTAKE["WECHAT_SENDER"]
    if path:  # a site's own integration replaces the built-in API client
        import_string(path)().send(openid=delivery.recipient, text=compose.sms_text(delivery))
        return
    customer_id = delivery.ticket.customer_id
    account = routing.wechat_account_of(customer_id)
    last = routing.last_wechat_message_at(customer_id)
    if account is None:
        if routing.fallback(delivery.ticket.customer) is not None and delivery.purpose in HAS_EMAIL_FORM:
            return _outside_window(delivery, seen=last)
        raise wechat_intake.SenderNotConfigured(
            "The WeChat account has no AppSecret, so it cannot send customer-service messages; "
            "the message waits."
        )
    if last is None or timezone.now() - last > routing.WECHAT_WINDOW:
        return _outside_window(delivery, seen=last)
    try:
        wechat_api.send_text(account=account, openid=delivery.recipient, text=compose.sms_text(delivery))
    except wechat_api.WindowClosed:
        _outside_window(delivery, seen=last)
