"""Shared reads: querysets shaped for the pages, the admin and the API that show them."""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import models
from django.db.models import Count, F, Prefetch, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import extensions, pii, search
from .models import (
    Attachment,
    CannedReply,
    Category,
    Customer,
    KBArticle,
    Message,
    Team,
    TeamMembership,
    Ticket,
    TicketEvent,
)
from .states import OPEN_STATUSES, Status

SUPERVISORS_GROUP = "Supervisors"
AGENTS_GROUP = "Agents"


def _remembered[T](user: AbstractBaseUser, name: str, compute: Callable[[], T]) -> T:
    """`compute()` once per user object: a request asks the same question of request.user many times."""
    memo = user.__dict__.setdefault("_complaints_memo", {})
    if name not in memo:
        memo[name] = compute()
    return memo[name]


def ticket_by_reference(reference: str, *related: str, only: tuple[str, ...] = ()) -> Ticket | None:
    """The ticket with this reference (with the `related` rows joined, only the `only` fields when
    given), or None. No visibility check: the caller decides who may learn of it (intake threading,
    a customer's signed link)."""
    if not reference:
        return None
    tickets = Ticket.objects.select_related(*related).filter(reference=reference)
    return (tickets.only(*only) if only else tickets).first()


def is_supervisor(user: AbstractBaseUser) -> bool:
    return user.is_superuser or _remembered(
        user, "is_supervisor", lambda: user.groups.filter(name=SUPERVISORS_GROUP).exists()
    )


def team_ids_of(user: AbstractBaseUser) -> list[int]:
    """The teams the user works in. A list of ids rather than a subquery: with the teams known,
    PostgreSQL can walk a team's queue in index order instead of sorting all of it."""
    return sorted(team for team, _role in _memberships(user))


def led_team_ids(user: AbstractBaseUser) -> set[int]:
    return {team for team, role in _memberships(user) if role == TeamMembership.Role.LEAD}


def _memberships(user: AbstractBaseUser) -> list[tuple[int, str]]:
    if not user.is_authenticated:
        return []
    return _remembered(
        user,
        "memberships",
        lambda: list(TeamMembership.objects.filter(user=user).values_list("team_id", "role")),
    )


def tickets_visible_to(user: AbstractBaseUser) -> QuerySet[Ticket]:
    """Supervisors see everything; agents their teams' tickets and their own; integrations only what
    they opened (a claimed contact detail is not proof of identity: see complaints.policy)."""
    tickets = Ticket.objects.all()
    if not user.is_authenticated:
        return tickets.none()
    if is_supervisor(user):
        return tickets
    my_teams = team_ids_of(user)
    condition = Q(team_id__in=my_teams) | Q(assignee=user) | Q(created_by=user)
    return tickets.filter(condition)


def ticket_list(queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """A ticket list with everything a row shows, in a constant number of queries."""
    queryset = Ticket.objects.all() if queryset is None else queryset
    return queryset.select_related("customer", "category", "category__parent", "team", "assignee")


def ticket_queue_for(user: AbstractBaseUser) -> QuerySet[Ticket]:
    return ticket_list(tickets_visible_to(user))


def ticket_detail(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """One ticket with its messages, attachments, events and resolutions."""
    return (
        ticket_list(queryset)
        .select_related("duplicate_of", "related_to")
        .prefetch_related(
            Prefetch(
                "messages", queryset=Message.objects.select_related("author").prefetch_related("attachments")
            ),
            Prefetch("events", queryset=TicketEvent.objects.select_related("actor")),
            Prefetch("attachments", queryset=Attachment.objects.filter(message__isnull=True)),
            "resolutions__root_cause",
            "resolutions__resolved_by",
        )
    )


def ticket_timeline(ticket: Ticket, *, public_only: bool = False) -> list[Message | TicketEvent]:
    """Messages and events in time order; for the customer, internal notes and events are left out."""
    messages = [m for m in ticket.messages.all() if m.is_public or not public_only]
    events = [e for e in ticket.events.all() if e.is_public or not public_only]
    return sorted([*messages, *events], key=lambda item: (item.created_at, isinstance(item, TicketEvent)))


def customers_by_contact(contact: str) -> QuerySet[Customer]:
    """Customers whose e-mail or phone is exactly `contact` (through the blind index)."""
    kind = "email" if "@" in contact else "phone"
    index = pii.blind_index(kind, contact)
    if not index:
        return Customer.objects.none()
    return Customer.objects.filter(**{f"{kind}_index": index})


def looks_like_contact(term: str) -> bool:
    """An e-mail address or a phone number: looked up through the blind index, never kept in a URL."""
    term = term.strip()
    return "@" in term or sum(c.isdigit() for c in term) >= 7


# Without PostgreSQL's full-text search (SQLite), a search reads at most this many tickets' ids
# from matching messages (a word in a thousand messages is not a search an agent pages through).
MESSAGE_MATCHES = 500


def search_tickets(queryset: QuerySet[Ticket], term: str) -> QuerySet[Ticket]:
    """Reference, order or customer number, exact customer e-mail/phone, or words anywhere in the ticket.

    Words match the subject, the description or any message (replies and notes included: the
    agent may read them); several words must each appear somewhere. On PostgreSQL through the
    full-text indexes (complaints.search: at most its TICKET_MATCHES newest tickets), elsewhere as
    substrings.
    """
    term = term.strip()
    if not term:
        return queryset
    # References are stored upper-case: an exact match on the upper-cased term keeps the unique
    # index usable. Messages and customer numbers are looked up first and come in as lists of ids:
    # a subquery inside the OR would stop PostgreSQL from combining the trigram indexes.
    condition = Q(reference=term.upper()) | Q(order_number=term)
    if any(c.isdigit() for c in term) and not any(c.isspace() for c in term):
        numbered = list(Customer.objects.filter(customer_number=term).values_list("pk", flat=True)[:50])
        if numbered:
            condition |= Q(customer_id__in=numbered)
    if looks_like_contact(term):
        condition |= Q(customer__in=customers_by_contact(term))
    if search.available():
        return queryset.filter(condition | Q(pk__in=search.matching_ticket_ids(queryset, term.split()[:8])))
    words = Q()
    for word in term.split()[:8]:
        in_messages = list(
            Message.objects.filter(body__icontains=word)
            .values_list("ticket_id", flat=True)
            .distinct()
            .order_by()[:MESSAGE_MATCHES]
        )
        matched = Q(subject__icontains=word) | Q(description__icontains=word)
        words &= matched | Q(pk__in=in_messages) if in_messages else matched
    return queryset.filter(condition | words)


# --- agent queues ------------------------------------------------------------------------


class Queue(models.TextChoices):
    MINE = "mine", _("My open tickets")
    TEAM_UNASSIGNED = "team", _("My team's unassigned")
    AT_RISK = "at_risk", _("At risk / breached")
    AWAITING = "awaiting", _("Awaiting customer")
    RESOLVED = "resolved", _("Recently resolved")
    TEAM_ALL = "team_all", _("All my team's tickets")
    VISIBLE = "visible", _("Everything I may see")
    ALL = "all", _("All tickets")


# Whole histories (closed tickets included): listed and searched, never counted on every page.
UNCOUNTED_QUEUES = (Queue.TEAM_ALL, Queue.VISIBLE)


def search_queue_for(user: AbstractBaseUser) -> Queue:
    """Where a search looks unless the agent narrows it to a queue: everything they may see."""
    return Queue.ALL if is_supervisor(user) else Queue.VISIBLE


RECENTLY_RESOLVED_DAYS = 7


class QueueSort(models.TextChoices):
    SLA_DUE = "sla", _("SLA due")
    PRIORITY = "priority", _("Priority")
    AGE = "age", _("Oldest first")
    UPDATED = "updated", _("Last update")


QUEUE_ORDERINGS = {
    QueueSort.SLA_DUE: (F("sla_due_at").asc(nulls_last=True), "priority", "pk"),
    QueueSort.PRIORITY: ("priority", F("sla_due_at").asc(nulls_last=True), "pk"),
    QueueSort.AGE: ("created_at", "pk"),
    QueueSort.UPDATED: ("-updated_at", "-pk"),
}


def queues_for(user: AbstractBaseUser) -> list[Queue | extensions.DeskQueue]:
    """The queues this user works from, in the order the desk shows them (the other apps' queues,
    complaints.extensions.DeskQueue, after the core's work queues)."""
    queues: list[Queue | extensions.DeskQueue] = [
        Queue.MINE,
        Queue.TEAM_UNASSIGNED,
        Queue.AT_RISK,
        Queue.AWAITING,
    ]
    queues += extensions.desk_queues()
    queues.append(Queue.RESOLVED)
    if team_ids_of(user):
        queues.append(Queue.TEAM_ALL)
    queues.append(Queue.ALL if is_supervisor(user) else Queue.VISIBLE)
    return queues


def _queue_condition(user: AbstractBaseUser, queue: str, now: datetime) -> Q:
    open_ = Q(status__in=OPEN_STATUSES)
    if queue == Queue.MINE:
        return open_ & Q(assignee=user)
    if queue == Queue.TEAM_UNASSIGNED:
        return open_ & Q(assignee__isnull=True, team_id__in=team_ids_of(user))
    if queue == Queue.AT_RISK:
        return open_ & Q(sla_state__in=[Ticket.SlaState.AT_RISK, Ticket.SlaState.BREACHED])
    if queue == Queue.AWAITING:
        return Q(status=Status.AWAITING_CUSTOMER)
    if queue == Queue.RESOLVED:
        since = now - timedelta(days=RECENTLY_RESOLVED_DAYS)
        return Q(status__in=[Status.RESOLVED, Status.CLOSED], resolved_at__gte=since)
    if queue == Queue.TEAM_ALL:
        return Q(team_id__in=team_ids_of(user))
    return Q()


VISIBLE_BY_DEFINITION = (Queue.MINE, Queue.TEAM_UNASSIGNED, Queue.TEAM_ALL)


def ticket_queue(user: AbstractBaseUser, queue: str, *, now: datetime | None = None) -> QuerySet[Ticket]:
    """The tickets of one queue that the user may see, shaped for a list row."""
    now = now or timezone.now()
    if queue not in {known.value for known in queues_for(user)}:
        raise ValueError(f"not a queue of {user}: {queue}")
    # My tickets and my teams' unassigned ones are visible by definition. Leaving out the
    # visibility filter (an OR over team, assignee and creator) lets PostgreSQL read these two
    # queues, count and page alike, from their partial indexes alone.
    visible = Ticket.objects.all() if queue in VISIBLE_BY_DEFINITION else tickets_visible_to(user)
    if (other_app := extensions.desk_queue(queue)) is not None:
        return other_app.tickets(ticket_list(visible))
    return ticket_list(visible).filter(_queue_condition(user, queue, now))


def queue_counts(user: AbstractBaseUser, *, now: datetime | None = None) -> dict[str, int]:
    """How many tickets each of the user's queues holds.

    Recounting every open ticket for each agent's page and 30-second poll does not scale, so the
    counts are kept in the cache for COMPLAINTS["QUEUE_COUNTS_SECONDS"]: the team-wide part
    (unassigned, at risk, awaiting, recently resolved: per team) once for all agents, the user's
    own part per user, dropped when the user acts on a ticket (forget_own_queue_counts) so their
    own actions show at once.
    """
    now = now or timezone.now()
    queues = queues_for(user)
    supervisor = is_supervisor(user)
    per_team = _team_queue_counts(now)
    my_teams = team_ids_of(user)
    counts = dict.fromkeys((queue.value for queue in queues if queue not in UNCOUNTED_QUEUES), 0)
    for team in per_team if supervisor else my_teams:
        for queue in TEAM_WIDE_QUEUES:
            counts[queue] += per_team.get(team, {}).get(queue, 0)
    # Unassigned tickets of the user's own teams only, even for a supervisor.
    counts[Queue.TEAM_UNASSIGNED] = sum(per_team.get(team, {}).get(UNASSIGNED, 0) for team in my_teams)
    own = cache.get_or_set(
        _own_counts_key(user),
        lambda: _own_queue_counts(user, now, outside_teams=None if supervisor else my_teams),
        settings.COMPLAINTS["QUEUE_COUNTS_SECONDS"],
    )
    for queue, count in own.items():
        counts[queue] += count
    # Other apps' queues count the tickets the user may see: per user, kept like the own counts.
    counts |= cache.get_or_set(
        _other_apps_counts_key(user),
        lambda: {queue.value: queue.count(tickets_visible_to(user)) for queue in extensions.desk_queues()},
        settings.COMPLAINTS["QUEUE_COUNTS_SECONDS"],
    )
    if Queue.ALL in queues:
        counts[Queue.ALL] = cache.get_or_set(
            "desk:queue-counts:all", Ticket.objects.count, settings.COMPLAINTS["QUEUE_COUNTS_SECONDS"]
        )
    return counts


def forget_own_queue_counts(user: AbstractBaseUser) -> None:
    cache.delete_many([_own_counts_key(user), _other_apps_counts_key(user)])


def _own_counts_key(user: AbstractBaseUser) -> str:
    return f"desk:queue-counts:user:{user.pk}"


def _other_apps_counts_key(user: AbstractBaseUser) -> str:
    return f"desk:queue-counts:apps:user:{user.pk}"


# Queues whose tickets a whole team shares; MINE and the other apps' queues are counted per user.
TEAM_WIDE_QUEUES = (Queue.AT_RISK, Queue.AWAITING, Queue.RESOLVED)
UNASSIGNED = "unassigned"
TEAM_QUEUE_COUNTS_KEY = "desk:queue-counts:teams"


def _countable(now: datetime) -> Q:
    """The tickets a queue count can include: open ones and those resolved lately."""
    since = now - timedelta(days=RECENTLY_RESOLVED_DAYS)
    return Q(status__in=OPEN_STATUSES) | Q(
        status__in=[Status.RESOLVED, Status.CLOSED], resolved_at__gte=since
    )


def _team_queue_counts(now: datetime) -> dict[int | None, dict[str, int]]:
    """Per team id (None: no team), the team-wide queue counts and its open unassigned tickets."""

    def count() -> dict[int | None, dict[str, int]]:
        conditions = {queue.value: _queue_condition(None, queue, now) for queue in TEAM_WIDE_QUEUES}
        conditions[UNASSIGNED] = Q(status__in=OPEN_STATUSES, assignee__isnull=True)
        rows = (
            Ticket.objects.filter(_countable(now))
            .values("team_id")
            .annotate(**{name: Count("pk", filter=condition) for name, condition in conditions.items()})
            .order_by()
        )
        return {row.pop("team_id"): row for row in rows}

    return cache.get_or_set(TEAM_QUEUE_COUNTS_KEY, count, settings.COMPLAINTS["QUEUE_COUNTS_SECONDS"])


def _own_queue_counts(
    user: AbstractBaseUser, now: datetime, *, outside_teams: list[int] | None
) -> dict[str, int]:
    """MINE, and for an agent (outside_teams given) the tickets they see as assignee or creator
    outside their teams, which the team counts leave out."""
    conditions = {Queue.MINE.value: _queue_condition(user, Queue.MINE, now)}
    if outside_teams is not None:
        outside = ~Q(team_id__in=outside_teams) if outside_teams else Q()
        conditions |= {
            queue.value: outside & _queue_condition(user, queue, now) for queue in TEAM_WIDE_QUEUES
        }
    own = Ticket.objects.filter(Q(assignee=user) | Q(created_by=user)).filter(_countable(now))
    return own.aggregate(**{name: Count("pk", filter=condition) for name, condition in conditions.items()})


def filter_ticket_queue(
    queryset: QuerySet[Ticket],
    *,
    status: str = "",
    priority: int | None = None,
    kind: str = "",
    category: Category | None = None,
    channel: str = "",
    team: Team | None = None,
    assignee: AbstractBaseUser | None = None,
    unassigned: bool = False,
    sla_state: str = "",
    escalation_level: int | None = None,
    created_after: date | None = None,
    created_before: date | None = None,
) -> QuerySet[Ticket]:
    """Narrow a queue; a category includes its subcategories, dates are whole local days."""
    criteria = Q()
    if status:
        criteria &= Q(status=status)
    if priority:
        criteria &= Q(priority=priority)
    if kind:
        criteria &= Q(kind=kind)
    if category is not None:
        criteria &= Q(category=category) | Q(category__parent=category)
    if channel:
        criteria &= Q(channel=channel)
    if team is not None:
        criteria &= Q(team=team)
    if unassigned:
        criteria &= Q(assignee__isnull=True)
    elif assignee is not None:
        criteria &= Q(assignee=assignee)
    if sla_state:
        criteria &= Q(sla_state=sla_state)
    if escalation_level is not None:
        criteria &= Q(escalation_level=escalation_level)
    if created_after is not None:
        criteria &= Q(created_at__gte=_start_of_day(created_after))
    if created_before is not None:
        criteria &= Q(created_at__lt=_start_of_day(created_before + timedelta(days=1)))
    return queryset.filter(criteria)


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def order_ticket_queue(queryset: QuerySet[Ticket], sort: str = QueueSort.SLA_DUE) -> QuerySet[Ticket]:
    """Order a queue: SLA due first (tickets without a target last) unless another sort is asked for."""
    return queryset.order_by(*QUEUE_ORDERINGS.get(sort, QUEUE_ORDERINGS[QueueSort.SLA_DUE]))


def merge_candidates(
    user: AbstractBaseUser, source: Ticket, term: str, *, limit: int = 10
) -> QuerySet[Ticket]:
    """Open tickets the user may see that `source` could be merged into, matching the search term."""
    candidates = ticket_queue_for(user).open().exclude(pk=source.pk).filter(duplicate_of__isnull=True)
    if term.strip():
        candidates = search_tickets(candidates, term)
    else:
        candidates = candidates.filter(customer_id=source.customer_id)
    return candidates.order_by("-created_at", "-pk")[:limit]


def other_tickets_of_customer(user: AbstractBaseUser, ticket: Ticket, *, limit: int = 10) -> QuerySet[Ticket]:
    """The same customer's other tickets that the user may see, newest first (one query)."""
    return (
        tickets_visible_to(user)
        .filter(customer_id=ticket.customer_id)
        .exclude(pk=ticket.pk)
        .only("reference", "subject", "status", "created_at")
        .order_by("-created_at", "-pk")[:limit]
    )


def changes_since(ticket: Ticket, *, seen_event: int | None) -> list[TicketEvent]:
    """The events written on the ticket after the one a person last saw, oldest first."""
    events = TicketEvent.objects.filter(ticket=ticket).select_related("actor").order_by("pk")
    if seen_event:
        events = events.filter(pk__gt=seen_event)
    return list(events[:20])


def canned_replies_for(ticket: Ticket) -> QuerySet[CannedReply]:
    """Active canned replies in the ticket's language, for its team or for every team."""
    return CannedReply.objects.filter(
        Q(team__isnull=True) | Q(team_id=ticket.team_id), is_active=True, language=ticket.language
    ).order_by("title")


def kb_articles_for(ticket: Ticket) -> QuerySet[KBArticle]:
    """Published articles, those of the ticket's category (or its parent) first."""
    category_ids = [c for c in (ticket.category_id, getattr(ticket.category, "parent_id", None)) if c]
    return (
        KBArticle.objects.filter(is_published=True)
        .annotate(same_category=Q(category_id__in=category_ids) if category_ids else Value(False))
        .order_by("-same_category", "slug")
    )
