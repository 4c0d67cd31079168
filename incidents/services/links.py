"""Tickets linked to an incident and unlinked (events on both timelines), by a person, on opening or
by a surge; the remedy resolving all will give each."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from complaints import services as complaint_services
from complaints.errors import NotFound
from complaints.models import Message, Resolution, Ticket
from config.celery import queue_after_commit

from .. import matching
from ..models import Incident, IncidentEvent, IncidentLink
from .rules import (
    AlreadyLinked,
    IncidentAlreadyResolved,
    IncidentError,
    acting,
    ensure_may_link,
    ensure_may_manage,
    lock_incident,
    record_event,
)


def _ticket_note(incident: Incident, *, linked: bool, reason: str = "") -> str:
    with override("zh-hans"):
        zh = (
            _("Linked to major incident #%(id)s: %(title)s")
            if linked
            else _("Unlinked from major incident #%(id)s: %(title)s")
        ) % {
            "id": incident.pk,
            "title": incident.title_zh or incident.title_en,
        }
    with override("en"):
        en = (
            _("Linked to major incident #%(id)s: %(title)s")
            if linked
            else _("Unlinked from major incident #%(id)s: %(title)s")
        ) % {
            "id": incident.pk,
            "title": incident.title_en or incident.title_zh,
        }
    return "\n".join(filter(None, [zh, en, reason]))


def _create_link(incident: Incident, ticket: Ticket, actor: Any, how: str) -> IncidentLink:
    try:
        with transaction.atomic():
            link = IncidentLink.objects.create(
                incident=incident, ticket=ticket, how=how, linked_by=acting(actor)
            )
    except IntegrityError:
        other = IncidentLink.objects.filter(ticket=ticket).values_list("incident_id", flat=True).first()
        raise AlreadyLinked(
            _("Ticket %(ref)s is already linked to incident #%(id)s; unlink it there first.")
            % {"ref": ticket.reference, "id": other}
        ) from None
    record_event(
        incident, actor, IncidentEvent.Kind.LINKED, ticket=ticket, how=how, reference=ticket.reference
    )
    return link


def link_ticket(*, incident_id: int, ticket_id: int, actor: Any) -> IncidentLink:
    """Link a ticket by hand: a row here, an event on the incident and an internal note on the ticket."""
    with transaction.atomic():
        incident = lock_incident(incident_id)
        if not incident.is_open:
            raise IncidentAlreadyResolved(_("This incident is resolved; tickets can no longer be linked."))
        try:
            ticket = Ticket.objects.get(pk=ticket_id)
        except Ticket.DoesNotExist:
            raise NotFound(_("No such ticket.")) from None
        ensure_may_link(actor, ticket)
        link = _create_link(incident, ticket, actor, IncidentLink.How.MANUAL)
        complaint_services.add_message(
            ticket_id=ticket.pk, actor=actor, kind=Message.Kind.NOTE, body=_ticket_note(incident, linked=True)
        )
    return link


def unlink_ticket(*, incident_id: int, ticket_id: int, actor: Any, reason: str = "") -> None:
    """Take a ticket out of the incident (it is then worked, told and resolved on its own)."""
    with transaction.atomic():
        incident = lock_incident(incident_id)
        link = (
            IncidentLink.objects.select_related("ticket")
            .filter(incident=incident, ticket_id=ticket_id)
            .first()
        )
        if link is None:
            raise NotFound(_("That ticket is not linked to this incident."))
        ensure_may_link(actor, link.ticket)
        _unlink(incident, link, actor, reason=reason)
        complaint_services.add_message(
            ticket_id=ticket_id,
            actor=actor,
            kind=Message.Kind.NOTE,
            body=_ticket_note(incident, linked=False, reason=reason),
        )


def _unlink(incident: Incident, link: IncidentLink, actor: Any, *, reason: str = "") -> None:
    ticket = link.ticket
    link.delete()
    record_event(
        incident, actor, IncidentEvent.Kind.UNLINKED, ticket=ticket, reference=ticket.reference, reason=reason
    )


def set_remedy(
    *,
    incident_id: int,
    actor: Any,
    remedy: str,
    amount: Decimal | int | str = 0,
    ticket_ids: Iterable[int] | None = None,
) -> int:
    """Set the remedy resolving all will give, for every linked ticket or the ones named (e.g. 补偿 5 元话费)."""
    ensure_may_manage(actor)
    amount = Decimal(str(amount or 0))
    if remedy not in Resolution.Remedy.values:
        raise IncidentError(_("Choose a remedy from the list."))
    if amount < 0:
        raise IncidentError(_("The remedy amount cannot be negative."))
    if remedy in (Resolution.Remedy.REFUND, Resolution.Remedy.COMPENSATION) and amount <= 0:
        raise IncidentError(_("A refund or compensation needs its amount."))
    with transaction.atomic():
        incident = lock_incident(incident_id)
        links = IncidentLink.objects.filter(incident=incident)
        if ticket_ids is not None:
            links = links.filter(ticket_id__in=list(ticket_ids))
        return links.update(remedy=remedy, amount=amount)


def link_on_open(*, ticket: Ticket) -> IncidentLink | None:
    """Inside the opening transaction: link a new ticket to the open incident it matches, if any, before
    the acknowledgement is composed (it is sent after commit and names the known issue). The ticket's
    note is written after commit (tasks.tell_linked)."""
    incident = matching.incident_for_new_ticket(ticket)
    if incident is None:
        return None
    try:
        link = _create_link(incident, ticket, None, IncidentLink.How.ON_OPEN)
    except AlreadyLinked:
        return None
    queue_after_commit("incidents.tasks.tell_linked", incident.pk, [ticket.pk])
    return link


def tell_linked(*, incident_id: int, ticket_ids: list[int]) -> int:
    """Write the ticket-side note of links the system made. Safe to run twice: a ticket that already has
    its note is skipped. (A customer whose new ticket is linked on opening learns of the known issue from
    the acknowledgement itself: selectors.acknowledgement_extras.)"""
    incident = Incident.objects.get(pk=incident_id)
    done = 0
    for link in IncidentLink.objects.filter(incident_id=incident_id, ticket_id__in=ticket_ids).select_related(
        "ticket"
    ):
        note = _ticket_note(incident, linked=True)
        if link.ticket.messages.filter(
            kind=Message.Kind.NOTE, body=complaint_services.sanitise(note)
        ).exists():
            continue
        complaint_services.add_message(
            ticket_id=link.ticket_id, actor=None, kind=Message.Kind.NOTE, body=note
        )
        done += 1
    return done


def unlink_if_still_broken(*, ticket: Ticket) -> None:
    """A customer who says it is still broken after the incident was resolved is worked on their own."""
    link = IncidentLink.objects.select_related("incident").filter(ticket=ticket).first()
    if link is None or link.incident.is_open:
        return
    _unlink(link.incident, link, None, reason=_("The customer says the problem persists."))
