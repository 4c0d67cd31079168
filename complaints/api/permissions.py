"""Who may do what through the API.

Reading is scoped by the selectors (`tickets_visible_to`), so a ticket outside a
user's reach answers 404; these classes decide what a user may do with a ticket
they can see. Agents and supervisors hold `complaints.change_ticket`; integration
accounts (the "Integrations" group) hold `complaints.add_ticket` and may only open
tickets, read the ones they opened and add the customer's messages to them.
"""

from django.contrib.auth.models import AbstractBaseUser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

INTEGRATIONS_GROUP = "Integrations"


def can_work_tickets(user: AbstractBaseUser) -> bool:
    """Agents and supervisors: reply, add notes, assign, move and resolve tickets."""
    return user.is_authenticated and user.has_perm("complaints.change_ticket")


def can_open_tickets(user: AbstractBaseUser) -> bool:
    return user.is_authenticated and (user.has_perm("complaints.add_ticket") or can_work_tickets(user))


class CanOpenTickets(BasePermission):
    message = "Your account may not open tickets through the API."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_open_tickets(request.user)


class CanWorkTickets(BasePermission):
    message = "Only agents and supervisors may change tickets."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_work_tickets(request.user)


class CanSeeStatistics(CanWorkTickets):
    message = "Only agents and supervisors see statistics."
