"""A ticket's timeline put into words in the reader's language.

Events store codes (statuses, team slugs, channels, SLA targets, system reasons with their
parameters); this module turns them into the labels the reader knows, at the time of reading,
so a Chinese-speaking agent and an English-speaking supervisor each read the same event in
their own language. The desk, the console and the customer's page all use it (the template
filters in complaints/templatetags/timeline.py).
"""

from collections.abc import Callable

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import config_cache
from .events import EventKind, SystemReason
from .models import Category, Message, Team, Ticket, TicketEvent
from .naming import user_name
from .states import Status

STATUS_KINDS = frozenset(
    {
        EventKind.OPENED,
        EventKind.ACKNOWLEDGED,
        EventKind.STATUS_CHANGED,
        EventKind.RESOLVED,
        EventKind.CONFIRMED,
        EventKind.REOPENED,
        EventKind.AUTO_CLOSED,
    }
)
TEAM_KINDS = frozenset({EventKind.ROUTED, EventKind.REROUTED, EventKind.REROUTE_REQUESTED})
SLA_KINDS = frozenset({EventKind.SLA_WARNING, EventKind.SLA_BREACHED})

# The SLA targets' codes; the sla app owns the targets, the core only names them.
SLA_TARGET_LABELS: dict[str, Callable[[], str]] = {
    "first_response": lambda: _("First response"),
    "next_response": lambda: _("Next response"),
    "resolution": lambda: _("Resolution"),
}


def _choice(choices: type, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def status_label(value: str) -> str:
    return _choice(Status, value)


def channel_label(value: str) -> str:
    return _choice(Ticket.Channel, value)


def _teams_by_slug() -> dict[str, Team]:
    return config_cache.cached("timeline.teams", lambda: {team.slug: team for team in Team.objects.all()})


def _categories_by_slug() -> dict[str, Category]:
    return config_cache.cached(
        "timeline.categories",
        lambda: {c.slug: c for c in Category.objects.select_related("parent")},
    )


def team_label(slug: str) -> str:
    team = _teams_by_slug().get(slug)
    return team.name if team is not None else slug


def category_label(value: str) -> str:
    category = _categories_by_slug().get(value)
    return str(category) if category is not None else value


def sla_target_label(value: str) -> str:
    label = SLA_TARGET_LABELS.get(value)
    return label() if label else value


def _level(value: str) -> str:
    return _("level %(level)s") % {"level": value} if value else ""


def _value_labeller(kind: str) -> Callable[[str], str]:
    if kind in STATUS_KINDS:
        return status_label
    if kind in TEAM_KINDS:
        return team_label
    if kind in SLA_KINDS:
        return sla_target_label
    if kind == EventKind.ESCALATED:
        return _level
    return str


# Reclassified fields: how each one's stored value reads.
FIELD_LABELS: dict[str, tuple[Callable[[], str], Callable[[str], str]]] = {
    "kind": (lambda: _("Kind"), lambda v: _choice(Ticket.Kind, v)),
    "category": (lambda: _("Category"), category_label),
    "priority": (lambda: _("Priority"), lambda v: _choice(Ticket.Priority, int(v)) if v.isdigit() else v),
    "complexity": (lambda: _("Complexity"), lambda v: _choice(Ticket.Complexity, v)),
    "is_spam": (
        lambda: _("Spam"),
        lambda v: pgettext("flag", "yes") if v == "True" else pgettext("flag", "no"),
    ),
}


def _pair(before: str, after: str) -> str:
    if before and after:
        return f"{before} → {after}"
    return after or before


def event_change(event: TicketEvent) -> str:
    """What changed, in words: "Resolved → In progress", "Customer service → Technical", "Web form"."""
    kind = event.kind
    detail = event.detail or {}
    if kind == EventKind.OPENED:
        return channel_label(detail.get("channel", "")) if detail.get("channel") else ""
    if kind == EventKind.REROUTE_REQUESTED:
        return _("from %(team)s") % {"team": team_label(event.from_value)} if event.from_value else ""
    if kind == EventKind.ASSIGNED:
        after = event.to_value or _("the team's queue")
        strategy = detail.get("strategy")
        text = _pair(event.from_value, after)
        if strategy:
            text += f" ({_choice(Team.AssignmentStrategy, strategy)})"
        return text
    if kind == EventKind.RECLASSIFIED:
        return "; ".join(_field_change(field, pair) for field, pair in (detail.get("changes") or {}).items())
    if kind == EventKind.SLA_RETARGETED:
        return "; ".join(
            f"{sla_target_label(target)}: {_pair(*pair)}"
            for target, pair in (detail.get("changes") or {}).items()
        )
    label = _value_labeller(kind)
    return _pair(
        label(event.from_value) if event.from_value else "", label(event.to_value) if event.to_value else ""
    )


def _field_change(field: str, pair: list[str]) -> str:
    name, value = FIELD_LABELS.get(field, (lambda: field, str))
    before, after = (value(str(v)) if v not in (None, "") else "—" for v in pair)
    return f"{name()}: {before} → {after}"


def event_reason(event: TicketEvent) -> str:
    """The reason in the reader's language: a system reason from its code, else what a person wrote."""
    if event.reason_code:
        try:
            template = str(SystemReason(event.reason_code).label)
        except ValueError:
            return event.reason
        params = {key: _param(key, value) for key, value in (event.reason_params or {}).items()}
        try:
            return template % params if params else template
        except (KeyError, TypeError, ValueError):
            return template
    return event.reason


def _param(key: str, value: object) -> object:
    if key == "due":
        return _due_label(str(value))
    if key == "target":
        return sla_target_label(str(value))
    if key == "team":
        return team_label(str(value))
    if key == "status":
        return status_label(str(value))
    return value


def _due_label(iso: str) -> str:
    """A due time stored as ISO 8601, in the reader's date format and the site's zone."""
    moment = parse_datetime(iso)
    if moment is None:
        return iso
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def actor_label(event: TicketEvent) -> str:
    """Who did it; the system when nobody did (a task, a rule, the SLA sweep)."""
    if event.actor_id is None:
        return _("the system") if event.kind not in CUSTOMER_KINDS else _("the customer")
    return user_name(event.actor)


CUSTOMER_KINDS = frozenset(
    {
        EventKind.CUSTOMER_MESSAGE,
        EventKind.CONFIRMED,
        EventKind.DISPUTED,
        EventKind.REROUTE_REQUESTED,
        EventKind.REPEAT_FOLDED,
    }
)


def message_meta(message: Message) -> list[str]:
    """The pieces of a message's heading: its kind, who wrote it and, for the customer's, how it came.

    Replies and notes are written in the desk: the ticket's channel says nothing about them.
    """
    parts = [str(message.get_kind_display())]
    if message.kind == Message.Kind.CUSTOMER:
        parts.append(
            pgettext("message came", "via %(channel)s") % {"channel": channel_label(message.channel)}
        )
    elif message.author_id is not None:
        parts.append(user_name(message.author))
    return [part for part in parts if part]
