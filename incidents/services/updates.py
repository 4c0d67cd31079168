"""One update, everyone told: a public update replied to every open linked ticket once, in chunks;
and the incident's own service level (the next update due, a late one warned of once)."""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import services as complaint_services
from complaints.errors import ComplaintError
from complaints.models import Message
from complaints.states import OPEN_STATUSES
from config.celery import queue_after_commit

from ..models import (
    DEFAULT_FIRST_UPDATE_MINUTES,
    DEFAULT_UPDATE_EVERY_MINUTES,
    Incident,
    IncidentDelivery,
    IncidentEvent,
    IncidentUpdate,
)
from .plans import plan_for
from .rules import (
    CHUNK_SIZE,
    IncidentAlreadyResolved,
    IncidentError,
    acting,
    ensure_may_manage,
    lock_incident,
    open_linked_ticket_ids,
    record_event,
)

logger = logging.getLogger(__name__)


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
    with transaction.atomic():
        incident = lock_incident(incident_id)
        if not key:
            key = f"update-{incident.updates.count() + 1}-{timezone.now().timestamp():.0f}"
        existing = IncidentUpdate.objects.filter(incident=incident, idempotency_key=key).first()
        if existing is not None:
            return existing, False
        if not incident.is_open:
            raise IncidentAlreadyResolved(_("This incident is resolved; post no more updates to it."))
        ids = open_linked_ticket_ids(incident)
        update = IncidentUpdate.objects.create(
            incident=incident,
            body_zh=body_zh,
            body_en=body_en,
            idempotency_key=key,
            author=acting(actor),
            total=len(ids),
        )
        record_event(
            incident, actor, IncidentEvent.Kind.UPDATE_POSTED, update_id=update.pk, recipients=len(ids)
        )
        if incident.status != Incident.Status.SUSPECTED:
            schedule_next_update(incident, since=update.created_at, first=False)
        for start in range(0, len(ids), CHUNK_SIZE):
            queue_after_commit("incidents.tasks.deliver_update", update.pk, ids[start : start + CHUNK_SIZE])
    return update, True


def deliver_update(*, update_id: int, ticket_ids: list[int]) -> int:
    """Reply the update to each open ticket's customer once; returns how many were told. A chunk the
    core refuses as a whole (a reply it cannot send to one of them) is told ticket by ticket instead,
    so one refused ticket does not keep the others from hearing."""
    update = IncidentUpdate.objects.select_related("author").get(pk=update_id)
    try:
        return _tell(update, ticket_ids)
    except ComplaintError as refused:
        if len(ticket_ids) == 1:
            logger.info("update %s not sent to ticket %s: %s", update_id, ticket_ids[0], refused.message)
            return 0
    return sum(deliver_update(update_id=update_id, ticket_ids=[pk]) for pk in ticket_ids)


def _tell(update: IncidentUpdate, ticket_ids: list[int]) -> int:
    """One transaction for the chunk: its tickets locked in primary-key order, those already told
    left out (a second run, or a second worker that waited for the locks, finds their delivery rows),
    the replies written by the core's add_messages and the delivery rows in one INSERT."""
    with transaction.atomic():
        tickets = complaint_services.lock_tickets(*sorted(set(ticket_ids)), skip_missing=True)
        told = set(
            IncidentDelivery.objects.filter(update=update, ticket_id__in=[t.pk for t in tickets]).values_list(
                "ticket_id", flat=True
            )
        )
        due = [t for t in tickets if t.status in OPEN_STATUSES and t.pk not in told]
        if not due:
            return 0
        messages = complaint_services.add_messages(
            actor=update.author,
            messages=[
                complaint_services.NewMessage(
                    ticket_id=t.pk, kind=Message.Kind.REPLY, body=update.body_in(t.language or "zh-hans")
                )
                for t in due
            ],
            locked={t.pk: t for t in due},
        )
        IncidentDelivery.objects.bulk_create(
            [IncidentDelivery(update=update, ticket_id=m.ticket_id, message_id=m.pk) for m in messages]
        )
    return len(due)


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
            queue_after_commit("incidents.tasks.warn_late_updates", ids)
    return ids
