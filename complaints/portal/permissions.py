"""Who may do what in the desk, beyond seeing the ticket (selectors.tickets_visible_to decides that)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from complaints import policy
from complaints.models import Ticket
from complaints.selectors import is_supervisor

from .forms import staff_users


def desk_access_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, and someone who works tickets (policy.may_use_desk); anyone else gets a 403."""

    @login_required
    @wraps(view)
    def checked(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not policy.may_use_desk(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return checked


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
