"""An incident's own life: created, confirmed, mitigated (resolving is in resolving.py), its details."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import services as complaint_services
from complaints.models import Category, Team

from ..models import Incident, IncidentEvent
from .plans import start_plan
from .rules import (
    IncidentAlreadyResolved,
    IncidentError,
    acting,
    ensure_may_manage,
    lock_incident,
    record_event,
)
from .updates import schedule_next_update

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
            created_by=acting(actor),
        )
        record_event(incident, actor, IncidentEvent.Kind.CREATED, status=status)
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
        move(incident, actor, to, note=note)
    return incident


def move(incident: Incident, actor: Any, to: str, *, note: str = "", **detail: Any) -> None:
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
    record_event(incident, actor, _EVENT_OF_STATUS[to], before=before, after=to, note=note, **detail)
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
