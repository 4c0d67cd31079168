"""Who works a ticket: assignment by hand, within a team, or by the team's strategy."""

from datetime import UTC, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import policy
from ..errors import ComplaintError, IllegalTransition
from ..events import EventKind
from ..models import (
    Team,
    TeamMembership,
    Ticket,
)
from ..states import OPEN_STATUSES
from .timeline import Actor, ensure_current, lock_ticket, record, save_ticket


def is_member(user: AbstractBaseUser, team_id: int | None) -> bool:
    return team_id is not None and TeamMembership.objects.filter(team_id=team_id, user=user).exists()


def assign(*, ticket_id: int, actor: Actor, assignee: AbstractBaseUser | None, version: int | None) -> Ticket:
    """Give the ticket to an agent of its team (or take it back to the team's queue with None)."""
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        in_team = assignee is None or is_member(assignee, ticket.team_id)
        policy.ensure_can_assign(actor, ticket, assignee, assignee_in_team=in_team)
        ensure_current(ticket, version)
        if not ticket.is_open:
            raise IllegalTransition(_("Only open tickets can be assigned."))
        if assignee is not None and not assignee.is_active:
            raise ComplaintError(_("%(user)s is not an active user.") % {"user": assignee})
        fields = ["assignee"]
        if not in_team:
            membership = TeamMembership.objects.filter(user=assignee).select_related("team").first()
            if membership is None:
                raise ComplaintError(
                    _("%(user)s is in no team and cannot take tickets.") % {"user": assignee}
                )
            # Assigning across teams moves the ticket to the assignee's team.
            ticket.team = membership.team
            fields.append("team")
        before = ticket.assignee.get_username() if ticket.assignee_id else ""
        ticket.assignee = assignee
        save_ticket(ticket, *fields)
        record(
            ticket,
            actor,
            EventKind.ASSIGNED,
            before=before,
            after=assignee.get_username() if assignee else "",
        )
    return ticket


AssignmentStrategy = Team.AssignmentStrategy


def _pick_agent(team_id: int, strategy: str) -> TeamMembership | None:
    members = (
        TeamMembership.objects.select_for_update()
        .filter(team_id=team_id, is_away=False, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    candidates = list(members)
    if not candidates:
        return None
    if strategy == AssignmentStrategy.LEAST_LOADED:
        loads = dict(
            Ticket.objects.filter(team_id=team_id, status__in=OPEN_STATUSES, assignee__isnull=False)
            .values_list("assignee")
            .annotate(n=Count("pk"))
        )
        return min(
            candidates,
            key=lambda m: (
                loads.get(m.user_id, 0),
                m.last_assigned_at or datetime.min.replace(tzinfo=UTC),
                m.pk,
            ),
        )
    # Round robin: whoever was handed a ticket longest ago (never first).
    return min(
        candidates, key=lambda m: (m.last_assigned_at is not None, m.last_assigned_at or timezone.now(), m.pk)
    )


def claim_agent(team: Team, strategy: str | None = None) -> tuple[TeamMembership, str] | None:
    """The team's next agent under the strategy (the team's own unless one is given), stamped as just
    handed a ticket; None if nobody is available."""
    strategy = strategy or team.assignment_strategy
    membership = _pick_agent(team.pk, strategy)
    if membership is None:
        return None
    membership.last_assigned_at = timezone.now()
    membership.save(update_fields=["last_assigned_at"])
    return membership, strategy


def _assign_automatically(ticket: Ticket, *, actor: Actor = None, strategy: str | None = None) -> bool:
    claimed = claim_agent(ticket.team, strategy)
    if claimed is None:
        return False
    membership, strategy = claimed
    ticket.assignee = membership.user
    save_ticket(ticket, "assignee")
    record(ticket, actor, EventKind.ASSIGNED, after=membership.user.get_username(), strategy=strategy)
    return True


def assign_within_team(
    *, ticket_id: int, actor: Actor, assignee: AbstractBaseUser, version: int | None
) -> Ticket:
    """`assign`, but only to a member of the ticket's own team: a bulk assignment never moves tickets between teams."""
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        if not is_member(assignee, ticket.team_id):
            raise ComplaintError(
                _("%(user)s is not a member of the ticket's team (%(team)s).")
                % {"user": assignee, "team": ticket.team or _("no team")}
            )
        return assign(ticket_id=ticket_id, actor=actor, assignee=assignee, version=version)
