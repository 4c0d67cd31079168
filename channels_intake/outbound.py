"""Messages to customers: acknowledgements of new tickets, public replies and resolution notices, on the
customer's channel.

A delivery row (OutboundMessage) is written in the transaction of the event that causes it,
under a unique key, and a Celery task sends it after commit. The task locks the row and
leaves a sent delivery alone, so a retried or duplicated task never sends twice.
"""

import html
import logging
import time
from datetime import datetime, timedelta

import nh3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from complaints import extensions
from complaints.events import SystemReason
from complaints.models import Customer, Message, Resolution, Ticket, TicketEvent
from complaints.models.tickets import Channel
from complaints.naming import user_name_for_customers
from complaints.notifications import header_text

from . import callbacks, mailparse, sms, wechat, wechat_api
from .models import (
    CustomerIdentity,
    InboundItem,
    Mailbox,
    OutboundMessage,
    WebhookChannel,
    WeChatAccount,
    new_message_id,
    outbox_deadline,
)
from .tokens import customer_ticket_url

logger = logging.getLogger(__name__)

Transport = OutboundMessage.Transport
Purpose = OutboundMessage.Purpose


WECHAT_WINDOW = timedelta(hours=48)


def _fallback(customer: Customer) -> tuple[str, str] | None:
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


def _route(ticket: Ticket, *, passive_allowed: bool) -> tuple[str, str] | None:
    """(transport, recipient) for this ticket's customer on the channel they used, or None if unreachable."""
    customer = ticket.customer
    if ticket.channel == Channel.WECHAT:
        identity = CustomerIdentity.objects.filter(customer=customer, channel=Channel.WECHAT).first()
        if identity is not None:
            if passive_allowed and wechat.passive_reply_open():
                return Transport.WECHAT_PASSIVE, identity.external_id
            if wechat_account_of(customer.pk) is not None or _fallback(customer) is None:
                return Transport.WECHAT, identity.external_id
    if ticket.channel in (Channel.APP, Channel.WEIBO):
        identity = _callback_identity(ticket)
        if identity is not None:
            return Transport.CALLBACK, identity.external_id
    return _fallback(customer)


def reaches_on_own_channel(ticket: Ticket) -> bool:
    """Whether the ticket's customer is reached on WeChat (an account that can send) or an app's callback."""
    route = _route(ticket, passive_allowed=False)
    if route is None:
        return False
    if route[0] == Transport.WECHAT:
        return wechat_account_of(ticket.customer_id) is not None
    return route[0] == Transport.CALLBACK


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


def _queue(
    *,
    key: str,
    ticket: Ticket,
    message: Message | None,
    purpose: str,
    passive: bool,
    key_is_new: bool = False,
    resolution: Resolution | None = None,
    detail: dict | None = None,
    own_channel_only: bool = False,
) -> None:
    route = _route(ticket, passive_allowed=passive)
    if own_channel_only and route is not None and route[0] not in (Transport.WECHAT, Transport.CALLBACK):
        return
    if route is None:
        logger.info("Ticket %s: no way to reach the customer for %s", ticket.reference, purpose)
        return
    transport, recipient = route
    fields = {
        "key": key,
        "ticket": ticket,
        "message": message,
        "resolution": resolution,
        "detail": detail or {},
        "purpose": purpose,
        "transport": transport,
        "recipient": recipient,
        "email_message_id": new_message_id() if transport == Transport.EMAIL else "",
    }
    if key_is_new:
        delivery = OutboundMessage.objects.create(**fields)
    else:
        # The unique key decides, also between two transactions racing for the same key.
        try:
            with transaction.atomic():
                delivery = OutboundMessage.objects.create(**fields)
        except IntegrityError:
            return
    if transport == Transport.WECHAT_PASSIVE:
        # Answered in the HTTP response of the request that is running now (see views.wechat).
        delivery.state, delivery.sent_at = OutboundMessage.State.SENT, timezone.now()
        delivery.save(update_fields=["state", "sent_at"])
        return
    from .tasks import send_delivery

    send_delivery.delay_on_commit(delivery.pk)


def acknowledgement_key(ticket: Ticket) -> str:
    """The delivery key of a ticket's acknowledgement in the current window.

    A ticket has one customer, so one key per ticket and window is one acknowledgement per sender and
    ticket: the repeats and unmarked auto-replies folded into it within the window make no second one.
    """
    window = max(settings.INTAKE["ACK_WINDOW_SECONDS"], 1)
    return f"ack:{ticket.pk}:{int(time.time()) // window}"


def queue_acknowledgement(*, ticket: Ticket, event: TicketEvent) -> None:
    """Acknowledge a new ticket (or a repeat folded into an open one) to the customer, at most once per
    ticket and acknowledgement window (INTAKE["ACK_WINDOW_SECONDS"])."""
    message = None
    if event.kind == TicketEvent.Kind.REPEAT_FOLDED and event.detail.get("message_id"):
        message = Message.objects.filter(pk=event.detail["message_id"]).first()
    # A ticket opened a moment ago in this transaction can have no acknowledgement yet (the unique key
    # still guards it): one savepoint less on every new ticket.
    _queue(
        key=acknowledgement_key(ticket),
        ticket=ticket,
        message=message,
        purpose=Purpose.ACKNOWLEDGEMENT,
        passive=True,
        key_is_new=event.kind == TicketEvent.Kind.OPENED,
    )


def queue_reply(*, ticket: Ticket, event: TicketEvent) -> None:
    """Send an agent's public reply to the customer (internal notes never reach this)."""
    message = Message.objects.filter(pk=event.detail.get("message_id"), kind=Message.Kind.REPLY).first()
    if message is None:
        return
    if ticket.channel == Channel.CHAT and message.channel == Channel.CHAT and message.external_id:
        # Typed in the live chat (only a live chat's replies carry its message id): the customer has
        # it in the widget. Replies after the chat ended come from the desk and go by their contact.
        return
    _queue(key=f"reply:{message.pk}", ticket=ticket, message=message, purpose=Purpose.REPLY, passive=False)


def queue_resolution(*, ticket: Ticket, event: TicketEvent) -> None:
    """Tell the customer how their complaint was resolved, with links to confirm or dispute; once per
    resolution (a ticket resolved again after a dispute sends the new resolution)."""
    resolution = (
        Resolution.objects.filter(pk=event.detail.get("resolution_id"), ticket=ticket)
        .select_related("root_cause")
        .first()
    )
    if resolution is None:
        return
    _queue(
        key=f"resolution:{resolution.pk}",
        ticket=ticket,
        message=None,
        resolution=resolution,
        purpose=Purpose.RESOLUTION,
        passive=False,
    )


# Status changes the customer is told of on their own channel; the first reply and the customer's own
# answer move the status too, and saying so again would only repeat what they just read or wrote.
QUIET_REASONS = {SystemReason.FIRST_REPLY, SystemReason.CUSTOMER_ANSWERED}


# The channels whose customers can be reached where they wrote (WeChat, an app's or Weibo's callback).
OWN_CHANNELS = (Channel.WECHAT, Channel.APP, Channel.WEIBO)


def queue_status_update(*, ticket: Ticket, event: TicketEvent) -> None:
    """Tell a customer on WeChat or an app's callback that their ticket's status changed (e-mail and
    SMS customers hear of replies and resolutions only, as before). A resolution has its own notice."""
    if event.to_value in ("", Ticket.Status.RESOLVED) or event.reason_code in QUIET_REASONS:
        return
    if ticket.channel not in OWN_CHANNELS:
        return  # e-mail, SMS, web and phone customers are told of replies and resolutions only
    _queue(
        key=f"status:{event.pk}",
        ticket=ticket,
        message=None,
        purpose=Purpose.STATUS,
        passive=False,
        detail={"status": event.to_value, "previous": event.from_value},
        own_channel_only=True,
    )


def queue_survey(*, survey_id: int, ticket: Ticket, url: str, reminder: bool) -> None:
    """Hand a survey link to the customer's own channel (feedback/channels.py calls this)."""
    _queue(
        key=f"survey:{survey_id}:{'reminder' if reminder else 'first'}",
        ticket=ticket,
        message=None,
        purpose=Purpose.SURVEY,
        passive=False,
        detail={"survey_url": url, "reminder": reminder},
        own_channel_only=True,
    )


def _flush_if_written_since(customer_id: int, seen: datetime | None) -> None:
    last = last_wechat_message_at(customer_id)
    if last is not None and (seen is None or last > seen):
        flush_waiting(customer_id=customer_id)


def flush_waiting(*, customer_id: int) -> int:
    """The customer wrote on WeChat again: their window is open, so what waited for it goes out now."""
    waiting = list(
        OutboundMessage.objects.filter(
            ticket__customer_id=customer_id,
            transport=Transport.WECHAT,
            state=OutboundMessage.State.WAITING,
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    if not waiting:
        return 0
    OutboundMessage.objects.filter(pk__in=waiting, state=OutboundMessage.State.WAITING).update(
        state=OutboundMessage.State.QUEUED, requeue_after=outbox_deadline()
    )
    from .tasks import send_delivery

    for pk in waiting:
        send_delivery.delay_on_commit(pk)
    return len(waiting)


# Template names (emails/customer_<name>[_subject|_sms].txt, .html) by purpose.
TEMPLATES = {
    Purpose.ACKNOWLEDGEMENT: "acknowledgement",
    Purpose.REPLY: "reply",
    Purpose.RESOLUTION: "resolution",
}


def _plain(stored_html: str) -> str:
    """Text of a sanitised HTML body, paragraphs on their own lines."""
    return html.unescape(nh3.clean(stored_html.replace("</p>", "</p>\n"), tags=set())).strip()


def _mail_html(stored_html: str) -> str:
    # Bodies were sanitised when stored; cleaned again because this is HTML sent outside.
    return mark_safe(nh3.clean(stored_html, tags={"p", "br", "b", "strong", "i", "em", "ul", "ol", "li"}))


def _resolution_context(resolution: Resolution, link: str) -> dict:
    """What a resolution notice says: the cause in the customer's language, the steps, the remedy."""
    remedy = resolution.remedy if resolution.remedy != Resolution.Remedy.NONE else ""
    return {
        "resolution": resolution,
        "cause": str(resolution.root_cause),
        "steps_text": _plain(resolution.steps_taken),
        "steps_html": _mail_html(resolution.steps_taken),
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


# --- composing ---------------------------------------------------------------------------


def _context(delivery: OutboundMessage) -> dict:
    ticket = delivery.ticket
    body = delivery.message.body if delivery.message else ""
    link = customer_ticket_url(ticket)
    context = {
        "ticket": ticket,
        "customer_name": ticket.customer.name,
        "link": link,
        "is_repeat": delivery.purpose == Purpose.ACKNOWLEDGEMENT and delivery.message is not None,
        "body_text": _plain(body),
        "body_html": _mail_html(body),
        "promise_hours": settings.INTAKE["ACK_PROMISE_HOURS"],
    }
    if delivery.purpose == Purpose.RESOLUTION and delivery.resolution is not None:
        context.update(_resolution_context(delivery.resolution, link))
    if delivery.purpose == Purpose.ACKNOWLEDGEMENT and delivery.message is None:
        # Composed when sent (after the opening commits), so what other apps linked on opening is there.
        context.update(extensions.acknowledgement_extras(ticket))
    return context


def _thread_headers(delivery: OutboundMessage) -> dict[str, str]:
    """In-Reply-To / References so the customer's mail program shows one conversation per ticket."""
    ticket = delivery.ticket
    inbound = list(
        InboundItem.objects.filter(ticket=ticket, channel=Channel.EMAIL)
        .order_by("received_at", "pk")
        .values_list("source_id", flat=True)
    )
    inbound = [f"<{i}>" for i in inbound if not i.startswith("sha256:")]
    ours = list(
        OutboundMessage.objects.filter(
            ticket=ticket, transport=Transport.EMAIL, state=OutboundMessage.State.SENT
        )
        .exclude(pk=delivery.pk)
        .order_by("created_at", "pk")
        .values_list("email_message_id", flat=True)
    )
    chain = [*inbound, *ours][-10:]
    if not chain:
        return {}
    parent = inbound[-1] if inbound else chain[-1]
    return {"In-Reply-To": parent, "References": " ".join(chain)}


def reply_to_address(ticket: Ticket) -> str:
    """Where the customer's answer should go: the mailbox they wrote to, else the first active one."""
    item = InboundItem.objects.filter(ticket=ticket, mailbox__isnull=False).select_related("mailbox").first()
    if item is not None:
        return item.mailbox.address
    mailbox = Mailbox.objects.filter(is_active=True).order_by("pk").first()
    return mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL


def build_email(delivery: OutboundMessage) -> EmailMultiAlternatives:
    """The e-mail for a delivery: text and HTML alternatives in the customer's language."""
    ticket = delivery.ticket
    name = TEMPLATES[delivery.purpose]
    with translation.override(ticket.customer.preferred_language or settings.LANGUAGE_CODE):
        context = _context(delivery)
        subject = render_to_string(f"emails/customer_{name}_subject.txt", context).strip()
        text = render_to_string(f"emails/customer_{name}.txt", context)
        html_body = render_to_string(f"emails/customer_{name}.html", context)
    reply_to = reply_to_address(ticket)
    headers = {
        "Message-ID": delivery.email_message_id,
        **_thread_headers(delivery),
        # Our loop markers: mail that comes back carrying them is never answered (mailparse.loop_reason).
        "X-Loop": reply_to,
        mailparse.OWN_LOOP_HEADER: settings.INTAKE["MESSAGE_ID_DOMAIN"],
    }
    if delivery.purpose == Purpose.ACKNOWLEDGEMENT:
        # RFC 3834: an automatic answer, which well-behaved auto-responders do not answer in turn.
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    email = EmailMultiAlternatives(
        subject=header_text(f"[{ticket.reference}] {subject}"),
        body=text,
        to=[delivery.recipient],
        reply_to=[reply_to],
        headers=headers,
    )
    email.attach_alternative(html_body, "text/html")
    return email


def _status_label(value: str) -> str:
    return str(dict(Ticket.Status.choices).get(value, value))


def sms_text(delivery: OutboundMessage) -> str:
    """The short text of a delivery (SMS, WeChat, the callback's `text`) in the customer's language."""
    ticket = delivery.ticket
    with translation.override(ticket.customer.preferred_language or settings.LANGUAGE_CODE):
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
        context = _context(delivery)
        name = TEMPLATES[delivery.purpose]
        return render_to_string(f"emails/customer_{name}_sms.txt", context).strip()


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
        "text": sms_text(delivery),
        "link": customer_ticket_url(ticket),
        "created_at": delivery.created_at.isoformat(),
    }
    if delivery.message is not None:
        with translation.override(ticket.customer.preferred_language or settings.LANGUAGE_CODE):
            author = user_name_for_customers(delivery.message.author) if delivery.message.author_id else ""
        payload["message"] = {
            "id": delivery.message.pk,
            "body": _plain(delivery.message.body),
            "author": author,
            "created_at": delivery.message.created_at.isoformat(),
        }
    if delivery.purpose == Purpose.STATUS:
        payload["status"] = delivery.detail.get("status", ticket.status)
    if delivery.purpose == Purpose.SURVEY:
        payload["survey_url"] = delivery.detail.get("survey_url", "")
    return payload


# --- sending -------------------------------------------------------------------------------


class DeliveryRefused(Exception):
    """A delivery that can never go as it stands: marked failed at once, not retried."""


class DeliveryWaits(Exception):
    """A WeChat delivery outside the customer's 48-hour window with no other way to them; `seen` is
    the customer's last message the decision was made on."""

    def __init__(self, message: str, *, seen: datetime | None) -> None:
        super().__init__(message)
        self.seen = seen


def _send_email(delivery: OutboundMessage) -> None:
    build_email(delivery).send()


def _send_sms(delivery: OutboundMessage) -> None:
    sms.backend().send(to=delivery.recipient, text=sms_text(delivery))


# Purposes with an e-mail and SMS form: the others only exist on the customer's own channel.
HAS_EMAIL_FORM = {Purpose.ACKNOWLEDGEMENT, Purpose.REPLY, Purpose.RESOLUTION}


def _outside_window(delivery: OutboundMessage, *, seen: datetime | None) -> None:
    """The window is closed: switch the delivery to the customer's e-mail or SMS, or let it wait."""
    fallback = _fallback(delivery.ticket.customer) if delivery.purpose in HAS_EMAIL_FORM else None
    if fallback is None:
        raise DeliveryWaits(
            "Outside WeChat's 48-hour window: sent when the customer writes again.", seen=seen
        )
    delivery.transport, delivery.recipient = fallback
    if delivery.transport == Transport.EMAIL and not delivery.email_message_id:
        delivery.email_message_id = new_message_id()
    SENDERS[delivery.transport](delivery)


def _send_wechat(delivery: OutboundMessage) -> None:
    path = settings.INTAKE["WECHAT_SENDER"]
    if path:  # a site's own integration replaces the built-in API client
        import_string(path)().send(openid=delivery.recipient, text=sms_text(delivery))
        return
    customer_id = delivery.ticket.customer_id
    account = wechat_account_of(customer_id)
    last = last_wechat_message_at(customer_id)
    if account is None:
        if _fallback(delivery.ticket.customer) is not None and delivery.purpose in HAS_EMAIL_FORM:
            return _outside_window(delivery, seen=last)
        raise wechat.SenderNotConfigured(
            "The WeChat account has no AppSecret, so it cannot send customer-service messages; "
            "the message waits."
        )
    if last is None or timezone.now() - last > WECHAT_WINDOW:
        return _outside_window(delivery, seen=last)
    try:
        wechat_api.send_text(account=account, openid=delivery.recipient, text=sms_text(delivery))
    except wechat_api.WindowClosed:
        _outside_window(delivery, seen=last)


def _send_callback(delivery: OutboundMessage) -> None:
    channel_pk, _sep, _user = delivery.recipient.partition(":")
    channel = WebhookChannel.objects.filter(pk=int(channel_pk) if channel_pk.isdigit() else None).first()
    if channel is None or not channel.is_active:
        raise DeliveryRefused("The webhook channel of this customer is gone or inactive.")
    try:
        callbacks.post(channel=channel, payload=callback_payload(delivery), key=delivery.key)
    except callbacks.CallbackRefused as exc:
        raise DeliveryRefused(str(exc)) from None


SENDERS = {
    Transport.EMAIL: _send_email,
    Transport.SMS: _send_sms,
    Transport.WECHAT: _send_wechat,
    Transport.CALLBACK: _send_callback,
}


def send_delivery(*, delivery_id: int, final_attempt: bool = False) -> OutboundMessage | None:
    """Send one queued delivery. A sent delivery is left alone; a failure is recorded and re-raised
    (the task retries it), and marks the delivery failed on the last attempt or when it can never
    go. A WeChat delivery outside the 48-hour window waits for the customer's next message."""
    try:
        with transaction.atomic():
            delivery = (
                OutboundMessage.objects.select_for_update(of=("self",))
                .select_related("ticket__customer", "message__author", "resolution__root_cause")
                .filter(pk=delivery_id)
                .first()
            )
            if delivery is None or delivery.state in (
                OutboundMessage.State.SENT,
                OutboundMessage.State.WAITING,
            ):
                return delivery
            try:
                SENDERS[delivery.transport](delivery)
            except DeliveryWaits as exc:
                delivery.state, delivery.last_error = OutboundMessage.State.WAITING, str(exc)
                delivery.save(update_fields=["state", "last_error"])
                # The customer may have written while this was decided, and that message's flush ran
                # before this row was waiting: look once more after commit.
                customer_id, seen = delivery.ticket.customer_id, exc.seen
                transaction.on_commit(lambda: _flush_if_written_since(customer_id, seen))
                return delivery
            delivery.state, delivery.sent_at = OutboundMessage.State.SENT, timezone.now()
            delivery.attempts += 1
            delivery.last_error = ""
            delivery.save(
                update_fields=[
                    "state",
                    "sent_at",
                    "attempts",
                    "last_error",
                    "transport",
                    "recipient",
                    "email_message_id",
                ]
            )
            return delivery
    except Exception as exc:
        failed = final_attempt or isinstance(exc, DeliveryRefused)
        OutboundMessage.objects.filter(pk=delivery_id).update(
            attempts=F("attempts") + 1,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            state=OutboundMessage.State.FAILED if failed else OutboundMessage.State.QUEUED,
            # The task's own retry comes within its longest backoff; the outbox steps in after that.
            requeue_after=timezone.now() + timedelta(seconds=settings.OUTBOX_RETRY_GRACE),
        )
        if isinstance(exc, DeliveryRefused):
            logger.warning("Delivery %s refused: %s", delivery_id, exc)
            return OutboundMessage.objects.filter(pk=delivery_id).first()
        raise


def requeue_stranded(*, batch_size: int = 500) -> list[int]:
    """The outbox: publish again the queued deliveries nobody sent by their `requeue_after`.

    A delivery is written with its ticket's change and published after commit; when that publish
    fails (the broker down or restarting) the row stays queued and nothing would send it. Each pick
    moves the row's `requeue_after` on (SKIP LOCKED: a delivery being sent right now is left to its
    task), so a row is published at most once per OUTBOX_REQUEUE_AFTER. Sending is idempotent (the
    task locks the row and leaves a sent one alone), so a publish that did arrive costs a no-op.
    """
    from .tasks import send_delivery

    with transaction.atomic():
        ids = list(
            OutboundMessage.objects.select_for_update(skip_locked=True)
            .filter(state=OutboundMessage.State.QUEUED, requeue_after__lte=timezone.now())
            .order_by("requeue_after", "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return []
        OutboundMessage.objects.filter(pk__in=ids).update(requeue_after=outbox_deadline())
        logger.warning("outbox: re-queueing %d stranded deliveries", len(ids))
        for pk in ids:
            send_delivery.delay_on_commit(pk)
    return ids


def outbox_age_seconds() -> float:
    """Seconds the oldest queued delivery has waited past its `requeue_after` (0: nothing stranded)."""
    oldest = (
        OutboundMessage.objects.filter(state=OutboundMessage.State.QUEUED, requeue_after__lte=timezone.now())
        .order_by("requeue_after")
        .values_list("requeue_after", flat=True)
        .first()
    )
    return (timezone.now() - oldest).total_seconds() if oldest else 0.0
