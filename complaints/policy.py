"""Who may do what to a ticket: the one place the desk, the API and the admin ask.

The services call these checks (`ensure_*`) before they write, so a rule cannot hold on one
edge and be missing on another. `None` as the actor is the system (a Celery task, the SLA
sweep, inbound processing): it is trusted. Reading is decided by `can_see`, which mirrors
`selectors.tickets_visible_to` for one ticket without a query.

A claimed contact detail (an e-mail address or phone number typed into a form or sent by
an integration) is not proof of identity: nothing about a customer's existing tickets is
shown to whoever claimed it (`may_fold_into`, `may_be_told_about`).
"""

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from .errors import ComplaintError, NotFound
from .models import Team, Ticket
from .selectors import is_supervisor, led_team_ids, team_ids_of
from .states import Status

Actor = AbstractBaseUser | None


class NotPermitted(ComplaintError):
    """The actor may see the ticket but not do this to it."""

    code = "not_permitted"
    http_status = 403


def is_system(actor: Actor) -> bool:
    return actor is None or not actor.is_authenticated


def is_staff_agent(user: Actor) -> bool:
    """Agents and supervisors (they work tickets); integrations and customers do not."""
    return not is_system(user) and (is_supervisor(user) or user.has_perm("complaints.change_ticket"))


def may_use_desk(user: Actor) -> bool:
    """The desk is for people who work tickets. An integration account holds `view_ticket` (for its
    own tickets through the API) but must not sign in there: the desk shows what the API hides from
    it (internal notes, internal articles, colleagues, the contacts of the customer it matched)."""
    return is_staff_agent(user)


def can_see(user: Actor, ticket: Ticket) -> bool:
    """selectors.tickets_visible_to for one ticket: supervisors everything, agents their teams'
    tickets and those assigned to them, everyone the tickets they opened."""
    if is_system(user):
        return True
    if is_supervisor(user):
        return True
    if ticket.created_by_id is not None and ticket.created_by_id == user.pk:
        return True
    if ticket.assignee_id is not None and ticket.assignee_id == user.pk:
        return True
    return ticket.team_id is not None and ticket.team_id in team_ids_of(user)


def no_such_ticket(reference: str) -> NotFound:
    """The one answer for a reference that does not exist and one the caller may not act on."""
    return NotFound(_("There is no ticket %(ref)s that you can see.") % {"ref": reference})


def ensure_can_act(actor: Actor, ticket: Ticket) -> None:
    """Refuse a change to a ticket the actor cannot see, answering as if it did not exist."""
    if not can_see(actor, ticket):
        raise no_such_ticket(ticket.reference)


def leads_team(user: Actor, team_id: int | None) -> bool:
    return not is_system(user) and team_id is not None and team_id in led_team_ids(user)


def can_reassign(user: Actor, ticket: Ticket) -> bool:
    """Supervisors reassign any ticket; a team lead reassigns within their team."""
    return is_system(user) or is_supervisor(user) or leads_team(user, ticket.team_id)


def can_take(user: Actor, ticket: Ticket) -> bool:
    """An agent takes an unassigned ticket; taking one from a colleague is a reassignment."""
    if is_system(user) or ticket.assignee_id == user.pk:
        return False
    return ticket.assignee_id is None or can_reassign(user, ticket)


def ensure_can_assign(
    actor: Actor, ticket: Ticket, assignee: AbstractBaseUser | None, *, assignee_in_team: bool
) -> None:
    """Who may give a ticket to whom.

    The system and supervisors assign anyone in a team (another team's agent takes the ticket to
    that team). A team lead gives their team's tickets to its members or back to its queue. Any
    other agent only takes an unassigned ticket of their own team for themselves.
    """
    if is_system(actor):
        return
    ensure_can_act(actor, ticket)
    if is_supervisor(actor):
        return
    if assignee is not None and not assignee_in_team:
        raise NotPermitted(
            _("%(user)s is not in the ticket's team; ask a supervisor to move the ticket to another team.")
            % {"user": assignee.get_username()}
        )
    if leads_team(actor, ticket.team_id):
        return
    taking = assignee is not None and assignee.pk == actor.pk
    if taking and ticket.assignee_id in (None, actor.pk):
        return
    raise NotPermitted(_("Only the team lead or a supervisor may reassign this ticket."))


def ensure_can_transition(actor: Actor, ticket: Ticket, to: str) -> None:
    """The moves the desk offers an agent; closing by hand is a supervisor's decision."""
    if is_system(actor):
        return
    ensure_can_act(actor, ticket)
    if to == Status.CLOSED and not is_supervisor(actor):
        raise NotPermitted(
            _("Only a supervisor closes a ticket by hand; resolve it, and the customer confirms.")
        )


def ensure_can_reroute(actor: Actor, ticket: Ticket, team: Team) -> None:
    if is_system(actor):
        return
    ensure_can_act(actor, ticket)


def ensure_can_merge(actor: Actor, source: Ticket, target: Ticket, *, keep_internal: bool) -> None:
    """Merging needs both tickets in reach; tickets of different customers only by a supervisor who
    chooses to keep the source's content internal (never shown to the other customer)."""
    if not is_system(actor):
        ensure_can_act(actor, source)
        ensure_can_act(actor, target)
    if source.customer_id == target.customer_id:
        return
    if not keep_internal:
        raise NotPermitted(
            _(
                "%(source)s and %(target)s belong to different customers: merging would show one "
                "customer's complaint to the other. A supervisor may merge them keeping the copied "
                "content internal."
            )
            % {"source": source.reference, "target": target.reference}
        )
    if not (is_system(actor) or is_supervisor(actor)):
        raise NotPermitted(_("Only a supervisor may merge tickets of different customers."))


def may_fold_into(actor: Actor, ticket: Ticket) -> bool:
    """Whether a new complaint from `actor` may be added to the customer's open `ticket` as a repeat.

    Public channels (actor None) and staff fold: what the submitter is shown is decided by
    `may_be_told_about`, and the customer is acknowledged at the contact on file. An integration
    only folds into a ticket it opened itself, since it is answered with the ticket; otherwise it
    opens a new ticket linked to the earlier one, and staff merge them.
    """
    return is_system(actor) or is_staff_agent(actor) or ticket.created_by_id == actor.pk


def may_be_told_about(actor: Actor, ticket: Ticket) -> bool:
    """Whether `actor` (an API account) may be shown `ticket` in an answer: only staff who can see
    it, or the account that opened it."""
    if is_system(actor):
        return False
    if is_staff_agent(actor):
        return can_see(actor, ticket)
    return ticket.created_by_id is not None and ticket.created_by_id == actor.pk
