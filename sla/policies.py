"""Which SLA policy covers a ticket: the most specific active match, ties broken by position."""

from collections.abc import Iterable
from dataclasses import dataclass

from complaints import config_cache
from complaints.models import Category, Ticket

from .calendars import CalendarSpec
from .models import BusinessCalendar, SlaPolicy


@dataclass(frozen=True)
class TicketFacts:
    """What policies match on; built from a Ticket or from values() rows (bulk loads)."""

    kind: str
    complexity: str
    priority: int
    category_id: int | None
    channel: str

    @classmethod
    def of(cls, ticket: Ticket) -> "TicketFacts":
        return cls(
            kind=ticket.kind,
            complexity=ticket.complexity,
            priority=int(ticket.priority),
            category_id=ticket.category_id,
            channel=ticket.channel,
        )


def category_ancestors() -> dict[int, frozenset[int]]:
    """Each category id → itself and all its ancestors (kept per process until a category changes)."""
    return dict(config_cache.cached("sla.category_ancestors", _load_category_ancestors))


def _load_category_ancestors() -> dict[int, frozenset[int]]:
    parents = dict(Category.objects.values_list("pk", "parent_id"))
    lineage: dict[int, frozenset[int]] = {}
    for pk in parents:
        chain, node, seen = [], pk, set()
        while node is not None and node not in seen:
            seen.add(node)
            chain.append(node)
            node = parents.get(node)
        lineage[pk] = frozenset(chain)
    return lineage


def matches(policy: SlaPolicy, facts: TicketFacts, lineage: dict[int, frozenset[int]]) -> bool:
    if policy.match_kind and policy.match_kind != facts.kind:
        return False
    if policy.match_complexity and policy.match_complexity != facts.complexity:
        return False
    if policy.match_priority and policy.match_priority != facts.priority:
        return False
    if policy.match_channel and policy.match_channel != facts.channel:
        return False
    if policy.match_category_id:
        return policy.match_category_id in lineage.get(facts.category_id or 0, frozenset())
    return True


def active_policies() -> list[SlaPolicy]:
    """Every active policy with its calendars (kept per process until a policy or calendar changes)."""
    return list(config_cache.cached("sla.active_policies", _load_active_policies))


def _load_active_policies() -> tuple[SlaPolicy, ...]:
    return tuple(
        SlaPolicy.objects.filter(is_active=True).select_related("calendar", "first_response_calendar")
    )


def calendar_specs() -> dict[int, CalendarSpec]:
    """Every business calendar as the business-time functions take it, by id (kept per process)."""
    return config_cache.cached("sla.calendar_specs", _load_calendar_specs)


def _load_calendar_specs() -> dict[int, CalendarSpec]:
    calendars = BusinessCalendar.objects.prefetch_related("intervals", "days")
    return {calendar.pk: calendar.spec() for calendar in calendars}


def choose(
    policies: Iterable[SlaPolicy], facts: TicketFacts, lineage: dict[int, frozenset[int]]
) -> SlaPolicy | None:
    """The most specific matching policy (most criteria set); among equals, the lowest position, then pk."""
    candidates = [p for p in policies if matches(p, facts, lineage)]
    if not candidates:
        return None
    return min(candidates, key=lambda p: (-p.specificity, p.position, p.pk))


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The policy that covers this ticket now."""
    return choose(active_policies(), TicketFacts.of(ticket), category_ancestors())
