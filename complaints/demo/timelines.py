"""A demo ticket's timeline: the events and messages that lead it through its steps (all legal moves).

The events come from the services' own builder (`complaints.services.timeline.build_event`), dated in
the past; they are inserted in bulk with the batch and announced with `tickets_bulk_loaded` instead of
one `ticket_event` each.
"""

import random
from datetime import datetime

from complaints.events import EventKind
from complaints.models import Message, Ticket, TicketEvent
from complaints.services.timeline import build_event
from complaints.states import Status


def _event(ticket: Ticket, actor: object, kind: EventKind, at: datetime, **fields: object) -> TicketEvent:
    event = build_event(ticket, actor, kind, **fields)
    event.created_at = at
    return event


def _message(ticket: Ticket, kind: str, author: object, body: str, at: datetime) -> Message:
    return Message(ticket=ticket, kind=kind, author=author, channel=ticket.channel, body=body, created_at=at)


def build_timeline(
    rng: random.Random,
    ticket: Ticket,
    steps: list[tuple[str, datetime]],
    plan: dict,
    events: list[TicketEvent],
    messages: list[Message],
) -> None:
    """Append to `events` and `messages` what leads `ticket` through `steps`."""
    english = plan["english"]
    agent = ticket.assignee
    events.append(
        _event(
            ticket,
            None,
            EventKind.OPENED,
            ticket.created_at,
            after=Status.NEW,
            channel=ticket.channel,
            demo=True,
        )
    )
    messages.append(_message(ticket, Message.Kind.CUSTOMER, None, ticket.description, ticket.created_at))
    before = Status.NEW
    for to, at in steps:
        if to == Status.ACKNOWLEDGED:
            events.append(_event(ticket, agent, EventKind.ACKNOWLEDGED, at, before=before, after=to))
            if agent is not None:
                events.append(_event(ticket, agent, EventKind.ASSIGNED, at, after=agent.get_username()))
            body = (
                f"Hello, we have received your complaint (reference {ticket.reference}) and are on it."
                if english
                else f"您好，您的投诉已受理，受理编号 {ticket.reference}，我们正在处理。"
            )
            messages.append(_message(ticket, Message.Kind.REPLY, agent, body, at))
        elif to == Status.RESOLVED:
            resolution = plan["resolution"]
            events.append(
                _event(
                    ticket,
                    agent,
                    EventKind.RESOLVED,
                    at,
                    before=before,
                    after=to,
                    resolution_id=resolution.pk,
                    root_cause=resolution.root_cause.slug,
                    remedy=resolution.remedy,
                    amount=str(resolution.amount),
                )
            )
            body = "Your complaint is resolved." if english else "您的问题已处理完毕。"
            messages.append(_message(ticket, Message.Kind.REPLY, agent, body, at))
        elif to == Status.CLOSED:
            kind = EventKind.CONFIRMED if plan.get("confirmed") else EventKind.AUTO_CLOSED
            events.append(_event(ticket, None, kind, at, before=before, after=to))
        else:
            events.append(_event(ticket, agent, EventKind.STATUS_CHANGED, at, before=before, after=to))
            if to == Status.AWAITING_CUSTOMER:
                body = (
                    "Please send us the order number and a screenshot." if english else "请补充订单号和截图。"
                )
                messages.append(_message(ticket, Message.Kind.REPLY, agent, body, at))
            elif rng.random() < 0.3:
                body = (
                    "Called the customer, checking the records." if english else "已致电客户，正在核查记录。"
                )
                messages.append(_message(ticket, Message.Kind.NOTE, agent, body, at))
            if plan["escalated"] and to == Status.IN_PROGRESS:
                reason = "Customer mentioned a regulator." if english else "客户提及向监管部门投诉。"
                events.append(
                    _event(ticket, agent, EventKind.ESCALATED, at, before="0", after="1", reason=reason)
                )
        before = to
