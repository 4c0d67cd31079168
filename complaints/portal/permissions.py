"""Who may do what in the desk, beyond seeing the ticket (selectors.tickets_visible_to decides that)."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from complaints.models import Ticket
from complaints.selectors import is_supervisor, led_team_ids

from .forms import staff_users


def leads_team(user: AbstractBaseUser, team_id: int | None) -> bool:
    return team_id is not None and team_id in led_team_ids(user)


def can_reassign(user: AbstractBaseUser, ticket: Ticket) -> bool:
    """Supervisors reassign any ticket; a team lead reassigns within their team."""
    return is_supervisor(user) or leads_team(user, ticket.team_id)


def can_take(user: AbstractBaseUser, ticket: Ticket) -> bool:
    """An agent takes an unassigned ticket; taking one from a colleague is a reassignment."""
    if ticket.assignee_id == user.pk:
        return False
    return ticket.assignee_id is None or can_reassign(user, ticket)


def assignable_users(user: AbstractBaseUser, ticket: Ticket) -> QuerySet:
    """Whom `user` may give the ticket to: anyone in a team for supervisors, the team's members for a lead."""
    if is_supervisor(user):
        return staff_users()
    return staff_users().filter(memberships__team_id=ticket.team_id)


def can_reveal_pii(user: AbstractBaseUser) -> bool:
    return user.has_perm("complaints.view_customer_pii")
