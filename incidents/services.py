"""Every write of the incidents app: create an incident, move it through its states, link and unlink
tickets (events on both timelines), detect surges, post a public update to every linked customer
once, and resolve all linked tickets.

Tickets are only changed through complaints.services (add_message for replies and internal notes,
resolve); this app writes its own rows. Work on many tickets runs in Celery tasks in chunks.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from complaints import policy
from complaints import services as complaint_services
from complaints.errors import ComplaintError, NotFound
from complaints.models import Category, Message, Resolution, RootCause, Team, Ticket
from complaints.selectors import is_supervisor, team_ids_of
from complaints.states import OPEN_STATUSES

from . import matching
from .models import (
    DEFAULT_FIRST_UPDATE_MINUTES,
    DEFAULT_UPDATE_EVERY_MINUTES,
    Incident,
    IncidentDelivery,
    IncidentEvent,
    IncidentLink,
    IncidentStep,
    IncidentUpdate,
    Playbook,
)

logger = logging.getLogger(__name__)

CHUNK_SIZE = 200
LINK_ANY_TEAM_PERMISSION = "incidents.link_any_ticket"

# suspected → confirmed → mitigated → resolved; a suspicion that was wrong is resolved directly.
TRANSITIONS: dict[str, frozenset[str]] = {
    Incident.Status.SUSPECTED: frozenset({Incident.Status.CONFIRMED, Incident.Status.RESOLVED}),
    Incident.Status.CONFIRMED: frozenset({Incident.Status.MITIGATED, Incident.Status.RESOLVED}),
    Incident.Status.MITIGATED: frozenset({Incident.Status.RESOLVED}),
    Incident.Status.RESOLVED: frozenset(),
}
_STAMPS = {
    Incident.Status.CONFIRMED: "confirmed_at",
    Incident.Status.MITIGATED: "mitigated_at",
    Incident.Status.RESOLVED: "resolved_at",
}
_EVENT_OF_STATUS = {
    Incident.Status.CONFIRMED: IncidentEvent.Kind.CONFIRMED,
    Incident.Status.MITIGATED: IncidentEvent.Kind.MITIGATED,
    Incident.Status.RESOLVED: IncidentEvent.Kind.RESOLVED,
}


class IncidentError(ComplaintError):
    code = "incident_refused"


class IncidentAlreadyResolved(ComplaintError):
    code = "incident_resolved"
    http_status = 409


class AlreadyLinked(ComplaintError):
    code = "already_linked"
    http_status = 409


def _user(actor: Any) -> Any:
    return complaint_services.acting_user(actor)


def _event(
    incident: Incident, actor: Any, kind: str, *, ticket: Ticket | None = None, **detail: Any
) -> IncidentEvent:
    """The only code that writes IncidentEvent rows."""
    return IncidentEvent.objects.create(
        incident=incident, actor=_user(actor), kind=kind, ticket=ticket, detail=detail
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


def _clean_tags(tags: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for tag in tags:
        tag = str(tag).strip()
        if tag and tag not in seen:
            seen.append(tag[:60])
    return seen


def create_incident(
    *,
    actor: Any,
    title_zh: str = "",
    title_en: str = "",
    notice_zh: str = "",
    notice_en: str = "",
    category: Category | None = None,
    affected_area: str = "",
    region_tags: Iterable[str] = (),
    started_at: datetime | None = None,
    severity: int = Incident.Severity.MAJOR,
    owner_team: Team | None = None,
    status: str = Incident.Status.SUSPECTED,
    surge_key: str | None = None,
) -> Incident:
    """Open an incident (suspected unless a person already knows it is real)."""
    ensure_may_manage(actor)
    if not (title_zh.strip() or title_en.strip()):
        raise IncidentError(_("Give the incident a title in Chinese or English."))
    if status not in (Incident.Status.SUSPECTED, Incident.Status.CONFIRMED):
        raise IncidentError(_("A new incident is suspected or confirmed."))
    now = timezone.now()
    with transaction.atomic():
        incident = Incident.objects.create(
            title_zh=title_zh.strip(),
            title_en=title_en.strip(),
            notice_zh=complaint_services.sanitise(notice_zh),
            notice_en=complaint_services.sanitise(notice_en),
            category=category,
            affected_area=affected_area.strip(),
            region_tags=_clean_tags(region_tags),
            started_at=started_at or now,
            severity=severity,
            owner_team=owner_team or (category.default_team if category else None),
            status=status,
            confirmed_at=now if status == Incident.Status.CONFIRMED else None,
            surge_key=surge_key,
            created_by=_user(actor),
        )
        _event(incident, actor, IncidentEvent.Kind.CREATED, status=status)
        if status == Incident.Status.CONFIRMED:
            start_plan(incident)
            schedule_next_update(incident, since=now, first=True)
    return incident


def set_status(*, incident_id: int, actor: Any, to: str, note: str = "") -> Incident:
    """Move the incident on; the same status again is a no-op, an illegal move is refused."""
    ensure_may_manage(actor)
    if to == Incident.Status.RESOLVED:
        raise IncidentError(_("Resolve an incident with its root cause and steps (resolve all)."))
    with transaction.atomic():
        incident = lock_incident(incident_id)
        if incident.status == to:
            return incident
        _move(incident, actor, to, note=note)
    return incident


def _move(incident: Incident, actor: Any, to: str, *, note: str = "", **detail: Any) -> None:
    if incident.status == Incident.Status.RESOLVED:
        raise IncidentAlreadyResolved(_("This incident is already resolved."))
    if to not in TRANSITIONS[incident.status]:
        raise IncidentError(
            _("A %(current)s incident cannot become %(target)s.")
            % {"current": incident.get_status_display(), "target": Incident.Status(to).label}
        )
    before, incident.status = incident.status, to
    fields = ["status"]
    stamp = _STAMPS[to]
    if getattr(incident, stamp) is None:
        setattr(incident, stamp, timezone.now())
        fields.append(stamp)
    incident.save(update_fields=fields + list(detail.pop("extra_fields", [])))
    _event(incident, actor, _EVENT_OF_STATUS[to], before=before, after=to, note=note, **detail)
    if to == Incident.Status.CONFIRMED:
        start_plan(incident)
        schedule_next_update(incident, since=incident.confirmed_at, first=True)
    elif to == Incident.Status.RESOLVED:
        incident.update_due_at = None
        incident.save(update_fields=["update_due_at"])


def confirm(*, incident_id: int, actor: Any, note: str = "") -> Incident:
    return set_status(incident_id=incident_id, actor=actor, to=Incident.Status.CONFIRMED, note=note)


def mitigate(*, incident_id: int, actor: Any, note: str = "") -> Incident:
    return set_status(incident_id=incident_id, actor=actor, to=Incident.Status.MITIGATED, note=note)


def update_details(*, incident_id: int, actor: Any, **fields: Any) -> Incident:
    """Change the title, notice, area, tags, severity or owner team of an open incident."""
    ensure_may_manage(actor)
    allowed = {
        "title_zh",
        "title_en",
        "notice_zh",
        "notice_en",
        "affected_area",
        "region_tags",
        "severity",
        "owner_team",
    }
    with transaction.atomic():
        incident = lock_incident(incident_id)
        changed = []
        for name, value in fields.items():
            if name not in allowed:
                raise IncidentError(_("%(field)s cannot be changed here.") % {"field": name})
            if name == "region_tags":
                value = _clean_tags(value)
            elif name.startswith("notice"):
                value = complaint_services.sanitise(value)
            setattr(incident, name, value)
            changed.append(name)
        if changed:
            incident.save(update_fields=changed)
    return incident


# --- links ---------------------------------------------------------------------------------------


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
                incident=incident, ticket=ticket, how=how, linked_by=_user(actor)
            )
    except IntegrityError:
        other = IncidentLink.objects.filter(ticket=ticket).values_list("incident_id", flat=True).first()
        raise AlreadyLinked(
            _("Ticket %(ref)s is already linked to incident #%(id)s; unlink it there first.")
            % {"ref": ticket.reference, "id": other}
        ) from None
    _event(incident, actor, IncidentEvent.Kind.LINKED, ticket=ticket, how=how, reference=ticket.reference)
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
    _event(
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


# --- the links made by the system: a surge, a new ticket that matches --------------------------


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
    from . import tasks

    transaction.on_commit(lambda: tasks.tell_linked.delay(incident.pk, [ticket.pk]))
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


@dataclass(frozen=True)
class Surge:
    category: Category
    tickets: list[Ticket]
    key: str
    region: str = ""


def detect_surges(*, now: datetime | None = None) -> list[Incident]:
    """Turn every burst of similar (or same-region) new tickets into a suspected incident with the
    tickets linked, and notify the supervisors once. Two sweeps that see the same burst compute the
    same surge key; the unique constraint lets one of them create the incident."""
    from . import tasks

    now = now or timezone.now()
    created: list[Incident] = []
    for surge in matching.find_surges(now=now):
        try:
            with transaction.atomic():
                incident = _incident_for_surge(surge)
        except IntegrityError:
            logger.info("surge %s already has its incident", surge.key)
            continue
        created.append(incident)
        ids = [t.pk for t in surge.tickets]
        for start in range(0, len(ids), CHUNK_SIZE):
            tasks.tell_linked.delay_on_commit(incident.pk, ids[start : start + CHUNK_SIZE])
    return created


def _incident_for_surge(surge: Surge) -> Incident:
    category = surge.category
    sample = surge.tickets[0]
    with override("zh-hans"):
        title_zh = _("Surge: %(count)s complaints about %(category)s") % {
            "count": len(surge.tickets),
            "category": category.name_zh,
        }
    with override("en"):
        title_en = _("Surge: %(count)s complaints about %(category)s") % {
            "count": len(surge.tickets),
            "category": category.name_en,
        }
    if surge.region:
        title_zh, title_en = f"{title_zh}（{surge.region}）", f"{title_en} ({surge.region})"
    incident = Incident.objects.create(
        title_zh=title_zh,
        title_en=title_en,
        category=category,
        affected_area=surge.region or sample.subject[:200],
        region_tags=[surge.region] if surge.region else [],
        started_at=min(t.created_at for t in surge.tickets),
        owner_team=category.default_team,
        surge_key=surge.key,
    )
    _event(incident, None, IncidentEvent.Kind.SURGE_DETECTED, count=len(surge.tickets), key=surge.key)
    IncidentLink.objects.bulk_create(
        [IncidentLink(incident=incident, ticket=t, how=IncidentLink.How.SURGE) for t in surge.tickets]
    )
    IncidentEvent.objects.bulk_create(
        [
            IncidentEvent(
                incident=incident,
                kind=IncidentEvent.Kind.LINKED,
                ticket=t,
                detail={"how": "surge", "reference": t.reference},
            )
            for t in surge.tickets
        ]
    )
    from . import tasks

    tasks.notify_surge.delay_on_commit(incident.pk)
    return incident


# --- one update, everyone told -------------------------------------------------------------------


def _open_linked_ticket_ids(incident: Incident) -> list[int]:
    return list(
        IncidentLink.objects.filter(incident=incident, ticket__status__in=OPEN_STATUSES)
        .order_by("ticket_id")
        .values_list("ticket_id", flat=True)
    )


def post_update(
    *, incident_id: int, actor: Any, body_zh: str = "", body_en: str = "", idempotency_key: str = ""
) -> tuple[IncidentUpdate, bool]:
    """Post a public update; every open linked ticket gets it as a public reply, in chunks after commit.
    The same idempotency key again returns the first update and sends nothing (created False)."""
    ensure_may_manage(actor)
    body_zh, body_en = complaint_services.sanitise(body_zh), complaint_services.sanitise(body_en)
    if not (body_zh or body_en):
        raise IncidentError(_("Write the update in Chinese or English."))
    key = (idempotency_key or "").strip()[:100]
    from . import tasks

    with transaction.atomic():
        incident = lock_incident(incident_id)
        if not key:
            key = f"update-{incident.updates.count() + 1}-{timezone.now().timestamp():.0f}"
        existing = IncidentUpdate.objects.filter(incident=incident, idempotency_key=key).first()
        if existing is not None:
            return existing, False
        if not incident.is_open:
            raise IncidentAlreadyResolved(_("This incident is resolved; post no more updates to it."))
        ids = _open_linked_ticket_ids(incident)
        update = IncidentUpdate.objects.create(
            incident=incident,
            body_zh=body_zh,
            body_en=body_en,
            idempotency_key=key,
            author=_user(actor),
            total=len(ids),
        )
        _event(incident, actor, IncidentEvent.Kind.UPDATE_POSTED, update_id=update.pk, recipients=len(ids))
        if incident.status != Incident.Status.SUSPECTED:
            schedule_next_update(incident, since=update.created_at, first=False)
        for start in range(0, len(ids), CHUNK_SIZE):
            tasks.deliver_update.delay_on_commit(update.pk, ids[start : start + CHUNK_SIZE])
    return update, True


def deliver_update(*, update_id: int, ticket_ids: list[int]) -> int:
    """Reply the update to each ticket's customer once: the delivery row and the reply commit together,
    so a second run (or a second worker) skips the tickets already told."""
    update = IncidentUpdate.objects.select_related("author").get(pk=update_id)
    sent = 0
    tickets = (
        Ticket.objects.filter(pk__in=ticket_ids, status__in=OPEN_STATUSES)
        .only("pk", "language")
        .order_by("pk")
    )
    for ticket in tickets:
        try:
            with transaction.atomic():
                delivery = IncidentDelivery.objects.create(update=update, ticket=ticket)
                message = complaint_services.add_message(
                    ticket_id=ticket.pk,
                    actor=update.author,
                    kind=Message.Kind.REPLY,
                    body=update.body_in(ticket.language or "zh-hans"),
                )
                delivery.message_id = message.pk
                delivery.save(update_fields=["message_id"])
        except IntegrityError:
            continue
        except ComplaintError as refused:
            logger.info("update %s not sent to ticket %s: %s", update_id, ticket.pk, refused.message)
            continue
        sent += 1
    return sent


# --- resolve all -----------------------------------------------------------------------------------


def resolve_incident(
    *, incident_id: int, actor: Any, root_cause: RootCause, steps_taken: str, note: str = ""
) -> Incident:
    """Resolve the incident and then, in chunks after commit, every open linked ticket with the incident's
    root cause and steps and the ticket's own remedy. Resolving twice is refused (409)."""
    ensure_may_manage(actor)
    steps_taken = complaint_services.sanitise(steps_taken)
    if root_cause is None:
        raise IncidentError(_("Choose the root cause."))
    if not steps_taken:
        raise IncidentError(_("Describe the steps taken to resolve the incident."))
    from . import tasks

    with transaction.atomic():
        incident = lock_incident(incident_id)
        ids = _open_linked_ticket_ids(incident)
        incident.root_cause, incident.steps_taken, incident.resolve_total = root_cause, steps_taken, len(ids)
        _move(
            incident,
            actor,
            Incident.Status.RESOLVED,
            note=note,
            root_cause=root_cause.slug,
            tickets=len(ids),
            extra_fields=["root_cause", "steps_taken", "resolve_total"],
        )
        actor_id = _user(actor).pk if _user(actor) else None
        for start in range(0, len(ids), CHUNK_SIZE):
            tasks.resolve_linked.delay_on_commit(incident.pk, ids[start : start + CHUNK_SIZE], actor_id)
    return incident


def resolve_linked(*, incident_id: int, ticket_ids: list[int], actor: Any) -> int:
    """Resolve each still-open linked ticket through the core's resolve (its clock, its survey, its
    remedy); a ticket already resolved, or unlinked meanwhile, is skipped, so a second run does nothing."""
    incident = Incident.objects.select_related("root_cause").get(pk=incident_id)
    links = (
        IncidentLink.objects.filter(
            incident=incident, ticket_id__in=ticket_ids, ticket__status__in=OPEN_STATUSES
        )
        .order_by("ticket_id")
        .only("ticket_id", "remedy", "amount")
    )
    resolved = 0
    for link in links:
        try:
            resolution = complaint_services.resolve(
                ticket_id=link.ticket_id,
                actor=actor,
                version=None,
                root_cause=incident.root_cause,
                steps_taken=incident.steps_taken,
                remedy=link.remedy,
                amount=link.amount,
            )
        except ComplaintError as refused:
            logger.info(
                "incident %s: ticket %s not resolved: %s", incident_id, link.ticket_id, refused.message
            )
            continue
        if resolution is None:  # its remedy awaits approval (remedies): resolved once approved
            logger.info("incident %s: ticket %s held for the remedy's approval", incident_id, link.ticket_id)
            continue
        resolved += 1
    return resolved


# --- the emergency plan (应急预案) ------------------------------------------------------------------


def plan_for(incident: Incident) -> Playbook | None:
    """The category's active plan, else the default plan."""
    plans = Playbook.objects.filter(is_active=True).prefetch_related("steps")
    if incident.category_id:
        found = plans.filter(category_id=incident.category_id).first()
        if found is not None:
            return found
    return plans.filter(category__isnull=True).first()


def start_plan(incident: Incident) -> list[IncidentStep]:
    """Copy the plan's steps onto the incident as it is confirmed, each due counted from confirmation.
    Called inside the confirming transaction; an incident that already has steps keeps them."""
    if incident.steps.exists():
        return []
    plan = plan_for(incident)
    if plan is None:
        return []
    confirmed = incident.confirmed_at or timezone.now()
    steps = IncidentStep.objects.bulk_create(
        [
            IncidentStep(
                incident=incident,
                position=step.position,
                title_zh=step.title_zh,
                title_en=step.title_en,
                owner_team_id=step.owner_team_id,
                due_at=confirmed + timedelta(minutes=step.due_minutes),
            )
            for step in plan.steps.all()
        ]
    )
    _event(incident, None, IncidentEvent.Kind.PLAN_STARTED, plan=str(plan), steps=len(steps))
    return steps


def tick_step(*, step_id: int, actor: Any) -> IncidentStep:
    """Mark a plan step done, with who and when on the incident's timeline; ticking twice changes nothing."""
    ensure_may_manage(actor)
    with transaction.atomic():
        try:
            step = IncidentStep.objects.select_for_update().select_related("incident").get(pk=step_id)
        except IncidentStep.DoesNotExist:
            raise NotFound(_("No such step.")) from None
        if step.done_at is not None:
            return step
        step.done_at, step.done_by = timezone.now(), _user(actor)
        step.save(update_fields=["done_at", "done_by"])
        _event(
            step.incident,
            actor,
            IncidentEvent.Kind.STEP_DONE,
            step=step.title,
            late=step.done_at > step.due_at,
        )
    return step


def warn_overdue_steps(*, now: datetime | None = None, batch_size: int = 200) -> list[int]:
    """Mark each overdue, unticked step of an open incident as warned, once, and queue the warning mail.
    Rows are claimed with SKIP LOCKED, so two sweeps never warn of the same step."""
    from . import tasks

    now = now or timezone.now()
    with transaction.atomic():
        steps = list(
            IncidentStep.objects.select_for_update(skip_locked=True)
            .filter(done_at__isnull=True, warned_at__isnull=True, due_at__lte=now)
            .exclude(incident__status=Incident.Status.RESOLVED)
            .order_by("pk")[:batch_size]
        )
        ids = [step.pk for step in steps]
        if ids:
            IncidentStep.objects.filter(pk__in=ids).update(warned_at=now)
            tasks.warn_steps.delay_on_commit(ids)
    return ids


# --- the incident's own service level: public updates on time --------------------------------------


def schedule_next_update(incident: Incident, *, since: datetime, first: bool) -> None:
    """When the next public update is due: the plan's first-update target after confirmation, then
    its update interval after each update (defaults without a plan)."""
    plan = plan_for(incident)
    if first:
        minutes = plan.first_update_minutes if plan else DEFAULT_FIRST_UPDATE_MINUTES
    else:
        minutes = plan.update_every_minutes if plan else DEFAULT_UPDATE_EVERY_MINUTES
    incident.update_due_at, incident.update_warned_at = since + timedelta(minutes=minutes), None
    incident.save(update_fields=["update_due_at", "update_warned_at"])


def warn_late_updates(*, now: datetime | None = None, batch_size: int = 200) -> list[int]:
    """Mark each open incident whose next public update is overdue as warned, once per due time, and
    queue the warning mail; claimed with SKIP LOCKED so two sweeps never warn twice."""
    from . import tasks

    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Incident.objects.select_for_update(skip_locked=True)
            .filter(update_due_at__lte=now, update_warned_at__isnull=True)
            .exclude(status=Incident.Status.RESOLVED)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if ids:
            Incident.objects.filter(pk__in=ids).update(update_warned_at=now)
            tasks.warn_late_updates.delay_on_commit(ids)
    return ids
