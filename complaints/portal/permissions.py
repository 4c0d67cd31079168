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


def access_required(allowed: Callable[[AbstractBaseUser], bool]) -> Callable:
    """A view decorator: signed in, and `allowed(user)` (a policy function); anyone else gets a 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def checked(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not allowed(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return checked

    return decorator


# The desk is for people who work tickets (policy.may_use_desk), not integration accounts.
desk_access_required = access_required(policy.may_use_desk)


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
