"""Who may do what in the desk, beyond seeing the ticket (selectors.tickets_visible_to decides that)."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from complaints import policy
from complaints.models import Ticket
from complaints.selectors import is_supervisor

from .forms import staff_users

# The rules themselves live in complaints.policy, which the services enforce.
leads_team = policy.leads_team
can_reassign = policy.can_reassign
can_take = policy.can_take


def assignable_users(user: AbstractBaseUser, ticket: Ticket) -> QuerySet:
    """Whom `user` may give the ticket to: anyone in a team for supervisors, the team's members for a lead."""
    if is_supervisor(user):
        return staff_users()
    return staff_users().filter(memberships__team_id=ticket.team_id)


def can_reveal_pii(user: AbstractBaseUser) -> bool:
    return user.has_perm("complaints.view_customer_pii")
