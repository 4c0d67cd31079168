"""The delivery queue: every message to a customer (acknowledgement, reply, resolution notice, status
update, survey link) is an OutboundMessage row, sent by its medium's backend.

A row is written in the transaction of the event that causes it, under a unique key, and
channels_intake.tasks.send_delivery sends it after commit. The task locks the row and leaves a sent
delivery alone, so a retried or duplicated task never sends twice; a row whose publish was lost is
published again by `requeue_stranded` once its `requeue_after` has passed (the outbox).
"""

import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from complaints.events import SystemReason
from complaints.models import Message, Resolution, Ticket, TicketEvent
from complaints.models.tickets import Channel
from config.celery import queue_after_commit

from ..models import OutboundMessage, new_message_id, outbox_deadline
from . import callback, email, routing, sms, wechat
from .errors import DeliveryRefused, DeliveryWaits
from .routing import OWN_CHANNELS

logger = logging.getLogger(__name__)

Transport = OutboundMessage.Transport
Purpose = OutboundMessage.Purpose

SEND_TASK = "channels_intake.tasks.send_delivery"


def _delivery(
    *,
    key: str,
    ticket: Ticket,
    message: Message | None,
    purpose: str,
    passive: bool,
    resolution: Resolution | None = None,
    detail: dict | None = None,
    own_channel_only: bool = False,
) -> OutboundMessage | None:
    """The unsaved delivery row to the ticket's customer on their route, or None when they cannot be
    reached (or, `own_channel_only`, not on their own channel)."""
    route = routing.route(ticket, passive_allowed=passive)
    if own_channel_only and route is not None and route[0] not in (Transport.WECHAT, Transport.CALLBACK):
        return None
    if route is None:
        logger.info("Ticket %s: no way to reach the customer for %s", ticket.reference, purpose)
        return None
    transport, recipient = route
    return OutboundMessage(
        key=key,
        ticket=ticket,
        message=message,
        resolution=resolution,
        detail=detail or {},
        purpose=purpose,
        transport=transport,
        recipient=recipient,
        email_message_id=new_message_id() if transport == Transport.EMAIL else "",
    )


def _queue(*, key_is_new: bool = False, **fields: object) -> None:
    delivery = _delivery(**fields)
    if delivery is None:
        return
    transport = delivery.transport
    if key_is_new:
        delivery.save(force_insert=True)
    else:
        # The unique key decides, also between two transactions racing for the same key.
        try:
            with transaction.atomic():
                delivery.save(force_insert=True)
        except IntegrityError:
            return
    if transport == Transport.WECHAT_PASSIVE:
        # Answered in the HTTP response of the request that is running now (see views.wechat).
        delivery.state, delivery.sent_at = OutboundMessage.State.SENT, timezone.now()
        delivery.save(update_fields=["state", "sent_at"])
        return
    queue_after_commit(SEND_TASK, delivery.pk)


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
    """Send an agent's public reply to the customer: queue_replies_and_resolutions with one event."""
    queue_replies_and_resolutions(events=[event])


def queue_resolution(*, ticket: Ticket, event: TicketEvent) -> None:
    """Tell the customer how their ticket was resolved: queue_replies_and_resolutions with one event."""
    queue_replies_and_resolutions(events=[event])


def queue_replies_and_resolutions(*, events: Sequence[TicketEvent]) -> list[OutboundMessage]:
    """Send the batch's public replies (internal notes never reach this) and resolution notices (with
    links to confirm or dispute; once per resolution: a ticket resolved again after a dispute sends
    the new resolution), each to its customer on their route: the messages and resolutions read in
    one query each, the delivery rows written in one INSERT, each sent by its task after commit.

    The keys already delivered (an event handled twice) are looked up once for the batch, not with a
    savepoint per delivery, which an incident's fan-out or resolve-all would make thousands of."""
    reply_ids = [e.detail.get("message_id") for e in events if e.kind == TicketEvent.Kind.REPLIED]
    resolution_ids = [e.detail.get("resolution_id") for e in events if e.kind == TicketEvent.Kind.RESOLVED]
    messages = Message.objects.filter(kind=Message.Kind.REPLY).in_bulk(reply_ids) if reply_ids else {}
    resolutions = (
        Resolution.objects.select_related("root_cause").in_bulk(resolution_ids) if resolution_ids else {}
    )
    deliveries: list[OutboundMessage] = []
    for event in events:
        ticket = event.ticket
        delivery = None
        if event.kind == TicketEvent.Kind.REPLIED and (
            message := messages.get(event.detail.get("message_id"))
        ):
            if ticket.channel == Channel.CHAT and message.channel == Channel.CHAT and message.external_id:
                # Typed in the live chat (only a live chat's replies carry its message id): the customer
                # has it in the widget. Replies after the chat ended come from the desk, by their contact.
                continue
            delivery = _delivery(
                key=f"reply:{message.pk}",
                ticket=ticket,
                message=message,
                purpose=Purpose.REPLY,
                passive=False,
            )
        elif event.kind == TicketEvent.Kind.RESOLVED:
            resolution = resolutions.get(event.detail.get("resolution_id"))
            if resolution is None or resolution.ticket_id != ticket.pk:
                continue
            delivery = _delivery(
                key=f"resolution:{resolution.pk}",
                ticket=ticket,
                message=None,
                resolution=resolution,
                purpose=Purpose.RESOLUTION,
                passive=False,
            )
        if delivery is not None:
            deliveries.append(delivery)
    if len(deliveries) == 1:
        # The unique key decides, also for an event handled twice.
        try:
            with transaction.atomic():
                deliveries[0].save(force_insert=True)
        except IntegrityError:
            return []
    elif deliveries:
        # An event handled twice finds its delivery: one query for the batch instead of a savepoint each.
        taken = set(
            OutboundMessage.objects.filter(key__in=[d.key for d in deliveries]).values_list("key", flat=True)
        )
        deliveries = [d for d in deliveries if d.key not in taken]
        OutboundMessage.objects.bulk_create(deliveries)
    for delivery in deliveries:
        queue_after_commit(SEND_TASK, delivery.pk)
    return deliveries


# Status changes the customer is told of on their own channel; the first reply and the customer's own
# answer move the status too, and saying so again would only repeat what they just read or wrote.
QUIET_REASONS = {SystemReason.FIRST_REPLY, SystemReason.CUSTOMER_ANSWERED}


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
    """Hand a survey link to the customer's own channel (feedback's survey sender calls this)."""
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
    last = routing.last_wechat_message_at(customer_id)
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
    for pk in waiting:
        queue_after_commit(SEND_TASK, pk)
    return len(waiting)


# One backend module per medium; a passive WeChat reply is answered in the request itself.
SENDERS = {
    Transport.EMAIL: email.send,
    Transport.SMS: sms.send,
    Transport.WECHAT: wechat.send,
    Transport.CALLBACK: callback.send,
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


def send_again(*, delivery_ids: list[int]) -> list[int]:
    """Queue the unsent ones of these deliveries again (the console's "send again"); their ids."""
    with transaction.atomic():
        pending = list(
            OutboundMessage.objects.filter(pk__in=delivery_ids)
            .exclude(state=OutboundMessage.State.SENT)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        OutboundMessage.objects.filter(pk__in=pending).update(
            state=OutboundMessage.State.QUEUED, requeue_after=outbox_deadline()
        )
        for pk in pending:
            queue_after_commit(SEND_TASK, pk)
    return pending


def requeue_stranded(*, batch_size: int = 500) -> list[int]:
    """The outbox: publish again the queued deliveries nobody sent by their `requeue_after`.

    A delivery is written with its ticket's change and published after commit; when that publish
    fails (the broker down or restarting) the row stays queued and nothing would send it. Each pick
    moves the row's `requeue_after` on (SKIP LOCKED: a delivery being sent right now is left to its
    task), so a row is published at most once per OUTBOX_REQUEUE_AFTER. Sending is idempotent (the
    task locks the row and leaves a sent one alone), so a publish that did arrive costs a no-op.
    """
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
            queue_after_commit(SEND_TASK, pk)
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
