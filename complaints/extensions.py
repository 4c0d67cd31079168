"""Extension points the other apps fill in at start-up (AppConfig.ready): the one list of them.

The complaint core imports none of those apps; they register here what the API,
the portal and the reports should show of theirs.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# name -> fn(start, end, tickets queryset) -> JSON-ready dict, for /api/v1/stats/ and the dashboard.
STATS_SECTIONS: dict[str, Callable[..., dict[str, Any]]] = {}
# name -> fn(ticket) -> JSON-ready value, added to the API's ticket representation.
TICKET_FIELDS: dict[str, Callable[[Any], Any]] = {}
# Prefetches the registered ticket fields need, so lists stay at a constant query count.
TICKET_PREFETCHES: list[Any] = []
# (prefix, viewset, basename) added to /api/v1/ by other apps in ready(), before the URLconf loads.
API_ROUTES: list[tuple[str, Any, str]] = []


def register_stats_section(name: str, section: Callable[..., dict[str, Any]]) -> None:
    STATS_SECTIONS[name] = section


def register_ticket_field(name: str, field: Callable[[Any], Any], *, prefetch: Any = None) -> None:
    TICKET_FIELDS[name] = field
    if prefetch is not None and prefetch not in TICKET_PREFETCHES:
        TICKET_PREFETCHES.append(prefetch)


def register_api_route(prefix: str, viewset: Any, *, basename: str) -> None:
    if (prefix, viewset, basename) not in API_ROUTES:
        API_ROUTES.append((prefix, viewset, basename))


def stats(start: datetime, end: datetime, tickets: Any) -> dict[str, Any]:
    return {name: section(start, end, tickets) for name, section in STATS_SECTIONS.items()}


# --- added for external_cases (issue 18): closing, badges, ticket-page panels, dashboard panels ---

# fn(ticket) -> a refusal a person can act on, or None; consulted before any ticket closes.
CLOSE_GUARDS: list[Callable[[Any], str | None]] = []
# fn(tickets) -> {ticket_id: [{"css": ..., "label": ..., "title": ...}]}; one query per page of tickets.
TICKET_BADGES: list[Callable[[list[Any]], dict[int, list[dict[str, str]]]]] = []
# fn(request, ticket) -> {"template": name, **context} or None, shown on the desk's ticket page.
TICKET_PANELS: list[Callable[[Any, Any], dict[str, Any] | None]] = []
# fn(user, now) -> {"template": name, **context} or None, shown on the supervisor dashboard.
DASHBOARD_PANELS: list[Callable[[Any, datetime], dict[str, Any] | None]] = []


def _register(registry: list, fn: Callable) -> None:
    if fn not in registry:
        registry.append(fn)


def register_close_guard(guard: Callable[[Any], str | None]) -> None:
    _register(CLOSE_GUARDS, guard)


def close_refusal(ticket: Any) -> str | None:
    """The first guard's reason why `ticket` may not close now, or None."""
    return next((reason for guard in CLOSE_GUARDS if (reason := guard(ticket))), None)


# fn(tickets queryset) -> those tickets without the ones it holds open: the auto-close sweep narrows its
# query with it, so a batch is never filled with held tickets (the close guard still has the last word).
CLOSE_HOLDS: list[Callable[[Any], Any]] = []


def register_close_hold(without_held: Callable[[Any], Any]) -> None:
    _register(CLOSE_HOLDS, without_held)


def without_close_holds(tickets: Any) -> Any:
    for without_held in CLOSE_HOLDS:
        tickets = without_held(tickets)
    return tickets


def register_ticket_badges(badges: Callable[[list[Any]], dict[int, list[dict[str, str]]]]) -> None:
    _register(TICKET_BADGES, badges)


def ticket_badges(tickets: list[Any]) -> dict[int, list[dict[str, str]]]:
    found: dict[int, list[dict[str, str]]] = {}
    for badges in TICKET_BADGES:
        for ticket_id, items in badges(tickets).items():
            found.setdefault(ticket_id, []).extend(items)
    return found


def register_ticket_panel(panel: Callable[[Any, Any], dict[str, Any] | None]) -> None:
    _register(TICKET_PANELS, panel)


def ticket_panels(request: Any, ticket: Any) -> list[dict[str, Any]]:
    return [shown for panel in TICKET_PANELS if (shown := panel(request, ticket))]


def register_dashboard_panel(panel: Callable[[Any, datetime], dict[str, Any] | None]) -> None:
    _register(DASHBOARD_PANELS, panel)


def dashboard_panels(user: Any, now: datetime) -> list[dict[str, Any]]:
    return [shown for panel in DASHBOARD_PANELS if (shown := panel(user, now))]


# --- added for assist (issue 22): how alike a new complaint is to the customer's earlier ones ---

# fn(text, earlier texts) -> (one score each, the score from which a pair is a repeat), or (None, 0.0)
# for no opinion (no trained model); the last registered wins, else repeats.py uses its bigram Dice.
REPEAT_SIMILARITY: list[Callable[[str, list[str]], tuple[list[float] | None, float]]] = []


def register_repeat_similarity(scores: Callable[[str, list[str]], tuple[list[float] | None, float]]) -> None:
    _register(REPEAT_SIMILARITY, scores)


def repeat_scores(text: str, earlier: list[str]) -> tuple[list[float] | None, float]:
    return REPEAT_SIMILARITY[-1](text, earlier) if REPEAT_SIMILARITY else (None, 0.0)


# --- the desk's top bar: every app adds its own page here instead of the base template naming it ---


@dataclass(frozen=True)
class DeskLink:
    label: Any  # a lazy translation, rendered in the reader's language
    url_name: str
    # fn(user) -> bool; None shows the link to everyone who may use the desk.
    visible: Callable[[Any], bool] | None = None


# In registration order (INSTALLED_APPS order), after the core's own queue links.
DESK_LINKS: list[DeskLink] = []


def register_desk_link(label: Any, url_name: str, *, visible: Callable[[Any], bool] | None = None) -> None:
    if all(link.url_name != url_name for link in DESK_LINKS):
        DESK_LINKS.append(DeskLink(label, url_name, visible))


def desk_links(user: Any) -> list[DeskLink]:
    return [link for link in DESK_LINKS if link.visible is None or link.visible(user)]


# --- queues other apps add to the desk (feedback's return visits due) ---------------------------


@dataclass(frozen=True)
class DeskQueue:
    """A queue of the desk that another app owns: its tickets, its count, and an extra list column."""

    value: str  # the queue's name in the address (?queue=...)
    label: Any  # a lazy translation, rendered in the reader's language
    # fn(tickets the user may see) -> those of the queue, annotated with `column`'s attribute if any.
    tickets: Callable[[Any], Any]
    # fn(tickets the user may see) -> how many tickets the queue holds (counted per user, every poll).
    count: Callable[[Any], int]
    # (heading, attribute of the queue's rows, a date and time): a column the list shows for this queue only.
    column: tuple[Any, str] | None = None


# In registration order (INSTALLED_APPS order), after the core's "Awaiting customer" queue.
DESK_QUEUES: list[DeskQueue] = []


def register_desk_queue(queue: DeskQueue) -> None:
    if all(known.value != queue.value for known in DESK_QUEUES):
        DESK_QUEUES.append(queue)


def desk_queues() -> list[DeskQueue]:
    return list(DESK_QUEUES)


def desk_queue(value: str) -> DeskQueue | None:
    return next((queue for queue in DESK_QUEUES if queue.value == value), None)


# --- added for external_cases (issue 18): what POST /api/v1/tickets/ and its list take beyond the core ---


@dataclass(frozen=True)
class CreateField:
    # fn() -> a DRF serializer field (not required) that validates the value: a bad one is a 400.
    field: Callable[[], Any]
    # fn(*, ticket, actor, value) after the ticket opened, in the same transaction; a ComplaintError
    # (its 4xx) undoes the opening too.
    apply: Callable[..., None]


TICKET_CREATE_FIELDS: dict[str, CreateField] = {}
# name -> fn() -> a django-filter Filter (with `method` a callable) added to GET /api/v1/tickets/.
TICKET_LIST_FILTERS: dict[str, Callable[[], Any]] = {}


def register_ticket_create_field(name: str, *, field: Callable[[], Any], apply: Callable[..., None]) -> None:
    TICKET_CREATE_FIELDS[name] = CreateField(field, apply)


def apply_create_fields(*, ticket: Any, actor: Any, values: dict[str, Any]) -> None:
    """Apply the registered create fields present in `values` (the validated body) to the new ticket."""
    for name, extra in TICKET_CREATE_FIELDS.items():
        if values.get(name) is not None:
            extra.apply(ticket=ticket, actor=actor, value=values[name])


def register_ticket_list_filter(name: str, make_filter: Callable[[], Any]) -> None:
    TICKET_LIST_FILTERS[name] = make_filter


# --- added for external_cases (issue 18): where else a customer who disputes a resolution may turn ---

# fn(ticket) -> lines of plain text in the active language (12315, the MIIT appeal centre 12300 ...), told
# with the resolution: in its mail and on the customer's ticket page.
OUTSIDE_ROUTES: list[Callable[[Any], list[str]]] = []


def register_outside_routes(routes: Callable[[Any], list[str]]) -> None:
    _register(OUTSIDE_ROUTES, routes)


def outside_routes(ticket: Any) -> list[str]:
    return [line for routes in OUTSIDE_ROUTES for line in routes(ticket)]


# --- added for remedies (issue 19): a remedy that needs sign-off holds the resolution back ---

# fn(*, ticket, actor, root_cause, steps_taken, remedy, amount) -> True when it holds the resolution
# back (having stored it, in services.resolve's transaction); it may refuse with a ComplaintError.
RESOLVE_HOLDS: list[Callable[..., bool]] = []
# fn(ticket) -> lines of plain text (escaped) shown to the customer on their ticket page.
CUSTOMER_TICKET_NOTES: list[Callable[[Any], list[str]]] = []


def register_resolve_hold(hold: Callable[..., bool]) -> None:
    _register(RESOLVE_HOLDS, hold)


def resolve_held(**proposal: Any) -> bool:
    """Whether a registered hold keeps this resolution back; every hold sees it (and may record it)."""
    held = [hold(**proposal) for hold in RESOLVE_HOLDS]
    return any(held)


def register_customer_ticket_notes(notes: Callable[[Any], list[str]]) -> None:
    _register(CUSTOMER_TICKET_NOTES, notes)


def customer_ticket_notes(ticket: Any) -> list[str]:
    return [line for notes in CUSTOMER_TICKET_NOTES for line in notes(ticket)]


# --- added for incidents (issue 17): what the customer's acknowledgement of a new ticket also says ---

# fn(ticket) -> extra context for the acknowledgement's templates (rendered in the customer's language),
# e.g. {"known_issue": {"title": ..., "notice": ...}} when the new ticket joined an announced incident.
ACKNOWLEDGEMENT_EXTRAS: list[Callable[[Any], dict[str, Any]]] = []


def register_acknowledgement_extras(extras: Callable[[Any], dict[str, Any]]) -> None:
    _register(ACKNOWLEDGEMENT_EXTRAS, extras)


def acknowledgement_extras(ticket: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for extras in ACKNOWLEDGEMENT_EXTRAS:
        found.update(extras(ticket))
    return found


# --- added for handoffs (issue 19): inbound e-mail another app answers for, never a customer's message ---


@dataclass(frozen=True)
class ClaimedMail:
    """What a claimer made of an inbound e-mail: the ticket it landed on and the (internal) message."""

    ticket_id: int
    message: Any


# fn(parsed e-mail, files) -> ClaimedMail, or None to leave the mail to the customer threading; it may
# raise ComplaintError to keep the mail as failed. channels_intake asks these before it threads a mail.
INBOUND_MAIL_CLAIMERS: list[Callable[..., ClaimedMail | None]] = []


def register_inbound_mail_claimer(claimer: Callable[..., ClaimedMail | None]) -> None:
    _register(INBOUND_MAIL_CLAIMERS, claimer)


def claim_inbound_mail(parsed: Any, *, files: list[Any]) -> ClaimedMail | None:
    """The first claimer's answer for this mail, or None when no app claims it."""
    return next(
        (claimed for claimer in INBOUND_MAIL_CLAIMERS if (claimed := claimer(parsed, files=files))), None
    )


# --- added for external_cases (issue 18): mail to a mailbox another app answers for ---

# fn(*, mailbox, subject, body, sender, files, external_id, sender_verified) -> (ticket, message) when
# the app takes mail that arrived in `mailbox` (a channels_intake Mailbox: a regulator's forwarding
# address opens the forwarded case's ticket), else None for the customer intake; called in the intake's
# transaction. sender_verified: our mail server's verdict (None: unchecked). Raising a ComplaintError
# refuses the mail: the intake keeps it as a failed item with the error's message.
MAILBOX_TAKERS: list[Callable[..., tuple[Any, Any] | None]] = []
# fn(mailbox) -> whether the app takes that mailbox's mail: it is then read as a machine's (a regulator's
# system may send Auto-Submitted mail from no-reply@), not held to the customer's loop checks, and held
# to a higher per-sender hourly cap (INTAKE FORWARDING_SENDER_HOURLY_LIMIT).
MAILBOX_TAKES: list[Callable[[Any], bool]] = []


def register_mailbox_taker(
    taker: Callable[..., tuple[Any, Any] | None], *, takes: Callable[[Any], bool]
) -> None:
    _register(MAILBOX_TAKERS, taker)
    _register(MAILBOX_TAKES, takes)


def mailbox_is_taken(mailbox: Any) -> bool:
    return any(takes(mailbox) for takes in MAILBOX_TAKES)


def take_mailbox_mail(**mail: Any) -> tuple[Any, Any] | None:
    """The first taker's (ticket, message) for this mail, or None when no app takes its mailbox."""
    return next((taken for taker in MAILBOX_TAKERS if (taken := taker(**mail)) is not None), None)


# --- the customer's complaint form (/submit/): what other apps show beside its fields ---


@dataclass(frozen=True)
class FormAddition:
    after_field: str  # the form field it follows, e.g. "description"
    template: str  # rendered with the form page's context
    stylesheets: tuple[str, ...] = ()  # static paths, loaded in the page's head
    scripts: tuple[str, ...] = ()  # static paths, deferred (the CSP allows no inline script)


SUBMIT_FORM_ADDITIONS: list[FormAddition] = []


def register_submit_form_addition(addition: FormAddition) -> None:
    _register(SUBMIT_FORM_ADDITIONS, addition)


# --- added for assist (issue 22): forms other apps add to the customer's own ticket page ---

# fn(ticket, token) -> {"template": name, **context} or None; the template posts to the app's own URL
# under /t/<token>/ (the signed link is the customer's only credential).
CUSTOMER_TICKET_ACTIONS: list[Callable[[Any, str], dict[str, Any] | None]] = []


def register_customer_ticket_action(action: Callable[[Any, str], dict[str, Any] | None]) -> None:
    _register(CUSTOMER_TICKET_ACTIONS, action)


def customer_ticket_actions(ticket: Any, token: str) -> list[dict[str, Any]]:
    return [shown for action in CUSTOMER_TICKET_ACTIONS if (shown := action(ticket, token))]


# --- the workspace's one EXISTS: which apps hold anything for the ticket shown ---------------------

# name -> fn() -> an Exists(...) on rows of the app for OuterRef("pk") (the ticket). The workspace asks
# all of them in one query before its panels and badges run; those that find nothing skip their reads.
TICKET_PRESENCE: dict[str, Callable[[], Any]] = {}


def register_ticket_presence(name: str, exists: Callable[[], Any]) -> None:
    TICKET_PRESENCE[name] = exists


def load_presence(ticket: Any) -> None:
    """Ask every registered EXISTS about `ticket` in one query and keep the answers on it."""
    if not TICKET_PRESENCE:
        ticket._extension_presence = {}
        return
    found = (
        type(ticket)
        ._default_manager.filter(pk=ticket.pk)
        .values(**{f"has_{i}": exists() for i, exists in enumerate(TICKET_PRESENCE.values())})
        .first()
        or {}
    )
    ticket._extension_presence = {
        name: bool(found.get(f"has_{i}", True)) for i, name in enumerate(TICKET_PRESENCE)
    }


def present(ticket: Any, name: str) -> bool:
    """False only when `load_presence` found nothing of `name` for this ticket; True when not asked
    (lists of tickets, other pages), so the caller reads as before."""
    return getattr(ticket, "_extension_presence", {}).get(name, True)
