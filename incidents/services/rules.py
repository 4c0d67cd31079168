"""What the incidents services share: their errors, who may run incidents and link tickets, the
incident's lock, its one event creator, and the open tickets linked to it."""

from typing import Any

from django.utils.translation import gettext as _

from complaints import policy
from complaints import services as complaint_services
from complaints.errors import ComplaintError, NotFound
from complaints.models import Ticket
from complaints.selectors import is_supervisor, team_ids_of
from complaints.states import OPEN_STATUSES

from ..models import Incident, IncidentEvent, IncidentLink

# Linked tickets are told and resolved in chunks of this many, one task each.
CHUNK_SIZE = 200
LINK_ANY_TEAM_PERMISSION = "incidents.link_any_ticket"


class IncidentError(ComplaintError):
    code = "incident_refused"


class IncidentAlreadyResolved(ComplaintError):
    code = "incident_resolved"
    http_status = 409


class AlreadyLinked(ComplaintError):
    code = "already_linked"
    http_status = 409


def acting(actor: Any) -> Any:
    return complaint_services.acting_user(actor)


def record_event(
    incident: Incident, actor: Any, kind: str, *, ticket: Ticket | None = None, **detail: Any
) -> IncidentEvent:
    """The only code that writes IncidentEvent rows."""
    return IncidentEvent.objects.create(
        incident=incident, actor=acting(actor), kind=kind, ticket=ticket, detail=detail
    )


def lock_incident(incident_id: int) -> Incident:
    try:
        return Incident.objects.select_for_update().get(pk=incident_id)
    except Incident.DoesNotExist:
        raise NotFound(_("No such incident.")) from None


def ensure_may_manage(actor: Any) -> None:
    """Incidents are run by supervisors and whoever holds the change permission; the system always."""
    if policy.is_system(actor) or is_supervisor(actor) or actor.has_perm("incidents.change_incident"):
        return
    raise policy.NotPermitted(_("Only supervisors and incident managers may change incidents."))


def ensure_may_link(actor: Any, ticket: Ticket) -> None:
    """A ticket of a team the actor does not work in needs the permission to link any team's tickets."""
    ensure_may_manage(actor)
    if policy.is_system(actor) or is_supervisor(actor) or actor.has_perm(LINK_ANY_TEAM_PERMISSION):
        return
    if ticket.team_id is None or ticket.team_id not in team_ids_of(actor):
        raise policy.NotPermitted(
            _(
                "Ticket %(ref)s belongs to another team; linking it needs the permission to link any team's tickets."
            )
            % {"ref": ticket.reference}
        )


def open_linked_ticket_ids(incident: Incident) -> list[int]:
    return list(
        IncidentLink.objects.filter(incident=incident, ticket__status__in=OPEN_STATUSES)
        .order_by("ticket_id")
        .values_list("ticket_id", flat=True)
    )
