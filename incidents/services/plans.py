"""The emergency plan (应急预案): its steps copied onto a confirmed incident, ticked, warned of when late."""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.errors import NotFound
from config.celery import queue_after_commit

from ..models import Incident, IncidentEvent, IncidentStep, Playbook
from .rules import acting, ensure_may_manage, record_event


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
    record_event(incident, None, IncidentEvent.Kind.PLAN_STARTED, plan=str(plan), steps=len(steps))
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
        step.done_at, step.done_by = timezone.now(), acting(actor)
        step.save(update_fields=["done_at", "done_by"])
        record_event(
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
            queue_after_commit("incidents.tasks.warn_steps", ids)
    return ids
