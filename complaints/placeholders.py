"""Placeholders in canned replies, filled for one ticket: {reference}, {customer_name}, {agent_name}, {due_time}.

The desk fills them when an agent picks a canned reply, so the agent sees the text the customer
will read; `add_message` fills what is left when a public reply is sent (the desk and the API
alike) and refuses a reply that still holds a placeholder it cannot fill, so "{reference}" never
reaches a customer.
"""

import re

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import ComplaintError
from .models import Ticket
from .naming import user_name

# {name}: an ASCII identifier in single braces; anything else in braces is left alone.
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
KNOWN = ("reference", "customer_name", "agent_name", "due_time")


class UnfilledPlaceholder(ComplaintError):
    code = "unfilled_placeholder"
    http_status = 400


def values_for(ticket: Ticket, agent: AbstractBaseUser | None) -> dict[str, str]:
    """What each placeholder stands for on this ticket; a placeholder without a value is left out."""
    values = {"reference": ticket.reference}
    name = (ticket.customer.name or "").strip() if ticket.customer_id else ""
    if name:
        values["customer_name"] = name
    if agent is not None and agent.is_authenticated:
        values["agent_name"] = user_name(agent)
    if ticket.sla_due_at:
        values["due_time"] = format_due(ticket)
    return values


def format_due(ticket: Ticket) -> str:
    """The due time as the customer reads it: local time with its offset from UTC, which says the zone."""
    moment = timezone.localtime(ticket.sla_due_at)
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with every placeholder that has a value filled in; the others stay as they are."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def fill_for_sending(text: str, *, ticket: Ticket, agent: AbstractBaseUser | None) -> str:
    """Fill the reply's placeholders, refusing one that would reach the customer unfilled."""
    if not PLACEHOLDER.search(text):
        return text
    filled = fill(text, values_for(ticket, agent))
    left = sorted({m.group(1) for m in PLACEHOLDER.finditer(filled)})
    if not left:
        return filled
    unknown = [name for name in left if name not in KNOWN]
    if unknown:
        message = _(
            "The reply still contains %(placeholders)s, which cannot be filled in. Replace or remove it; "
            "the placeholders that can be used are %(known)s."
        ) % {
            "placeholders": ", ".join(f"{{{name}}}" for name in unknown),
            "known": ", ".join(f"{{{name}}}" for name in KNOWN),
        }
    else:
        message = _(
            "This ticket has no value for %(placeholders)s (no customer name, or no due time yet): "
            "write the text in its place."
        ) % {"placeholders": ", ".join(f"{{{name}}}" for name in left)}
    raise UnfilledPlaceholder(message)
