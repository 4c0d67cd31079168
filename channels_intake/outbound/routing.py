"""Where a customer is reached: the channel they wrote on (WeChat, an app's or Weibo's callback), else
their e-mail address, else their phone."""

from datetime import datetime, timedelta

from complaints.models import Customer, Ticket
from complaints.models.tickets import Channel

from .. import wechat
from ..models import CustomerIdentity, InboundItem, OutboundMessage, WebhookChannel, WeChatAccount

Transport = OutboundMessage.Transport

# WeChat lets an account write to a customer for 48 hours after the customer's last message.
WECHAT_WINDOW = timedelta(hours=48)

# The channels whose customers can be reached where they wrote (WeChat, an app's or Weibo's callback).
OWN_CHANNELS = (Channel.WECHAT, Channel.APP, Channel.WEIBO)


def fallback(customer: Customer) -> tuple[str, str] | None:
    """(transport, recipient) by e-mail, else SMS; None when the customer left neither."""
    if customer.email:
        return Transport.EMAIL, customer.email
    if customer.phone:
        return Transport.SMS, customer.phone
    return None


def _callback_identity(ticket: Ticket) -> CustomerIdentity | None:
    """The app or Weibo identity of the ticket's customer whose channel has a callback URL."""
    for identity in CustomerIdentity.objects.filter(customer=ticket.customer, channel=ticket.channel):
        channel_pk, _sep, _user = identity.external_id.partition(":")
        if channel_pk.isdigit() and (
            WebhookChannel.objects.filter(pk=int(channel_pk), is_active=True)
            .exclude(callback_url="")
            .exists()
        ):
            return identity
    return None


def route(ticket: Ticket, *, passive_allowed: bool) -> tuple[str, str] | None:
    """(transport, recipient) for this ticket's customer on the channel they used, or None if unreachable."""
    customer = ticket.customer
    if ticket.channel == Channel.WECHAT:
        identity = CustomerIdentity.objects.filter(customer=customer, channel=Channel.WECHAT).first()
        if identity is not None:
            if passive_allowed and wechat.passive_reply_open():
                return Transport.WECHAT_PASSIVE, identity.external_id
            if wechat_account_of(customer.pk) is not None or fallback(customer) is None:
                return Transport.WECHAT, identity.external_id
    if ticket.channel in (Channel.APP, Channel.WEIBO):
        identity = _callback_identity(ticket)
        if identity is not None:
            return Transport.CALLBACK, identity.external_id
    return fallback(customer)


def reaches_on_own_channel(ticket: Ticket) -> bool:
    """Whether the ticket's customer is reached on WeChat (an account that can send) or an app's callback."""
    found = route(ticket, passive_allowed=False)
    if found is None:
        return False
    if found[0] == Transport.WECHAT:
        return wechat_account_of(ticket.customer_id) is not None
    return found[0] == Transport.CALLBACK


def wechat_account_of(customer_id: int) -> WeChatAccount | None:
    """The WeChat account the customer last wrote to, if it can send customer-service messages."""
    item = (
        InboundItem.objects.filter(channel=Channel.WECHAT, ticket__customer_id=customer_id)
        .exclude(wechat_account=None)
        .select_related("wechat_account")
        .order_by("-received_at", "-pk")
        .first()
    )
    account = item.wechat_account if item else None
    if account is None or not account.is_active or not account.app_secret:
        return None
    return account


def last_wechat_message_at(customer_id: int) -> datetime | None:
    """When the customer last wrote on WeChat: the 48-hour window runs from there."""
    return (
        InboundItem.objects.filter(channel=Channel.WECHAT, ticket__customer_id=customer_id)
        .order_by("-received_at")
        .values_list("received_at", flat=True)
        .first()
    )
