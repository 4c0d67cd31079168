"""Who may sign a remedy off and who may record it fulfilled: the one place the desk, the API and the
admin ask (through the services, which call these before they write).

An agent never approves; a team lead approves up to their limit, only for their own team's tickets;
a supervisor approves anything below the ceiling; nobody approves their own proposal. Which level a
remedy needs is decided by the most specific active ApprovalRule (`approval_needed`); where none
applies (none is configured out of the box) the agent's remedy needs no sign-off. The amount judged
against the agent's and lead's limits is the ticket's whole: its approved and awaiting remedies plus
the new one, so resolving, reopening and resolving again does not stack past a limit. Who decides
follows the ticket's current team (after a reroute, the new team's lead; the old one no longer).
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import policy as core_policy
from complaints.errors import ComplaintError
from complaints.models import Ticket
from complaints.policy import NotPermitted
from complaints.selectors import is_supervisor, led_team_ids

from .models import MONEY_TYPES, ApprovalLevel, ApprovalRule, Remedy

Actor = AbstractBaseUser | None
# Without an active rule that applies, a remedy needs no sign-off, and this is the ceiling.
FALLBACK_CEILING = Decimal("10000.00")


class AmountRefused(ComplaintError):
    code = "amount_refused"
    http_status = 400


@dataclass(frozen=True)
class Needed:
    level: ApprovalLevel
    rule: ApprovalRule | None


def _applies(rule: ApprovalRule, ticket: Ticket, remedy_type: str, categories: set[int]) -> bool:
    return (not rule.remedy_type or rule.remedy_type == remedy_type) and (
        rule.category_id is None or rule.category_id in categories
    )


def _category_and_parents(ticket: Ticket) -> set[int]:
    found, category = set(), ticket.category
    while category is not None and category.pk not in found:
        found.add(category.pk)
        category = category.parent
    return found


def rule_for(ticket: Ticket, remedy_type: str) -> ApprovalRule | None:
    """The most specific active rule: type and category, then category, then type, then neither."""
    categories = _category_and_parents(ticket)
    rules = [
        rule
        for rule in ApprovalRule.objects.filter(is_active=True).order_by("pk")
        if _applies(rule, ticket, remedy_type, categories)
    ]
    return min(rules, key=lambda r: (r.category_id is None, not r.remedy_type, r.pk), default=None)


def ensure_amount_allowed(amount: Decimal, rule: ApprovalRule | None) -> None:
    ceiling = rule.ceiling if rule else FALLBACK_CEILING
    if amount < 0:
        raise AmountRefused(_("The remedy amount cannot be negative."))
    if amount > ceiling:
        raise AmountRefused(
            _("%(amount)s is above the ceiling of %(ceiling)s for this remedy; it is refused.")
            % {"amount": amount, "ceiling": ceiling}
        )


# What a ticket (or a customer) already has: approved, approved at a changed amount, or awaiting.
COUNTED_STATES = (Remedy.State.APPROVED, Remedy.State.CHANGED, Remedy.State.AWAITING_APPROVAL)


def earlier_paid_remedies(ticket: Ticket, days: int, *, excluding: int | None = None) -> int:
    """The customer's approved or awaiting remedies with an amount in the last `days` days (the abuse
    guard), leaving out the remedy being decided (`excluding`)."""
    since = timezone.now() - timedelta(days=days)
    return (
        Remedy.objects.filter(
            ticket__customer_id=ticket.customer_id,
            state__in=COUNTED_STATES,
            remedy_type__in=MONEY_TYPES,
            amount__gt=0,
            proposed_at__gte=since,
        )
        .exclude(pk=excluding)
        .count()
    )


def ticket_total(ticket: Ticket, *, excluding: int | None = None) -> Decimal:
    """What the ticket's approved and awaiting remedies add up to (leaving out `excluding`)."""
    total = (
        Remedy.objects.filter(ticket_id=ticket.pk, state__in=COUNTED_STATES)
        .exclude(pk=excluding)
        .aggregate(total=Sum("amount"))["total"]
    )
    return total or Decimal("0")


def approval_needed(
    ticket: Ticket, remedy_type: str, amount: Decimal, *, excluding: int | None = None
) -> Needed:
    """Who must sign this remedy off; refuses a negative amount or one above the rule's ceiling. The
    limits judge the ticket's total with this amount added (`excluding`: the remedy being changed)."""
    rule = rule_for(ticket, remedy_type)
    ensure_amount_allowed(amount, rule)
    if rule is None:
        return Needed(ApprovalLevel.AGENT, None)
    if (
        rule.abuse_count
        and amount > 0
        and ticket.customer_id
        and earlier_paid_remedies(ticket, rule.abuse_days, excluding=excluding) >= rule.abuse_count
    ):
        return Needed(ApprovalLevel.SUPERVISOR, rule)
    total = amount + ticket_total(ticket, excluding=excluding) if amount > 0 else amount
    if total <= rule.agent_limit:
        return Needed(ApprovalLevel.AGENT, rule)
    if total <= rule.lead_limit:
        return Needed(ApprovalLevel.TEAM_LEAD, rule)
    return Needed(ApprovalLevel.SUPERVISOR, rule)


def may_approve_any(user: Actor) -> bool:
    """Supervisors and team leads (the approvals queue's link and page)."""
    return core_policy.is_staff_agent(user) and (is_supervisor(user) or bool(led_team_ids(user)))


def refusal_to_decide(user: Actor, remedy: Remedy, *, amount: Decimal | None = None) -> str | None:
    """Why `user` may not approve, change or refuse `remedy` (at `amount`, when changed), or None."""
    if not core_policy.is_staff_agent(user):
        return _("Only a team lead or a supervisor may decide on a remedy.")
    if remedy.proposed_by_id == user.pk:
        return _("You proposed this remedy; someone else must approve it.")
    level = remedy.required_level
    if amount is not None and amount != remedy.amount:
        needed = approval_needed(remedy.ticket, remedy.remedy_type, amount, excluding=remedy.pk)
        level = max(level, needed.level)
    if is_supervisor(user):
        return None
    if level >= ApprovalLevel.SUPERVISOR:
        return _("This remedy needs a supervisor's approval.")
    # The ticket's team now, not the one the remedy was proposed under (a reroute moves the decision).
    team_id = remedy.ticket.team_id
    if team_id is None or team_id not in led_team_ids(user):
        return _("Only a lead of the ticket's team or a supervisor may decide on this remedy.")
    return None


def may_decide(user: Actor, remedy: Remedy) -> bool:
    return refusal_to_decide(user, remedy) is None


def ensure_can_decide(user: Actor, remedy: Remedy, *, amount: Decimal | None = None) -> None:
    if refusal := refusal_to_decide(user, remedy, amount=amount):
        raise NotPermitted(refusal)


def may_fulfil(user: Actor) -> bool:
    """Finance (the change_fulfilment permission, also an integration account) and supervisors."""
    return not core_policy.is_system(user) and (
        is_supervisor(user) or user.has_perm("remedies.change_fulfilment")
    )


def ensure_can_fulfil(user: Actor) -> None:
    if not may_fulfil(user):
        raise NotPermitted(_("Only finance or a supervisor may record a remedy as fulfilled."))
