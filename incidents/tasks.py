"""Thin Celery tasks of the incidents app: the surge sweep, and the chunks of work on many tickets.

Each takes ids, looks rows up again and is safe to run twice (a unique delivery row, the ticket's
status or its existing note decides), so they are acks_late and retried on transient errors.
"""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import OperationalError

from . import notifications, services

RETRY = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(**RETRY, soft_time_limit=50, time_limit=60)
def detect_surges() -> int:
    """The beat's sweep: one suspected incident per new surge."""
    return len(services.detect_surges())


@shared_task(**RETRY, soft_time_limit=240, time_limit=300)
def deliver_update(update_id: int, ticket_ids: list[int]) -> int:
    return services.deliver_update(update_id=update_id, ticket_ids=ticket_ids)


@shared_task(**RETRY, soft_time_limit=240, time_limit=300)
def resolve_linked(incident_id: int, ticket_ids: list[int], actor_id: int | None) -> int:
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return services.resolve_linked(incident_id=incident_id, ticket_ids=ticket_ids, actor=actor)


@shared_task(**RETRY, soft_time_limit=240, time_limit=300)
def tell_linked(incident_id: int, ticket_ids: list[int], known_issue: bool = False) -> int:
    # known_issue is ignored: tasks queued before the acknowledgement carried the notice still pass it.
    return services.tell_linked(incident_id=incident_id, ticket_ids=ticket_ids)


@shared_task(**RETRY, soft_time_limit=50, time_limit=60)
def warn_overdue_steps() -> int:
    """The beat's sweep of emergency-plan steps past their deadline and incidents whose public update
    is late (each warned once)."""
    return len(services.warn_overdue_steps()) + len(services.warn_late_updates())


@shared_task(soft_time_limit=50, time_limit=60)
def warn_late_updates(incident_ids: list[int]) -> int:
    return notifications.send_late_update_warnings(incident_ids=incident_ids)


@shared_task(soft_time_limit=50, time_limit=60)
def warn_steps(step_ids: list[int]) -> int:
    return notifications.send_step_warnings(step_ids=step_ids)


# Not acks_late: a mail is not idempotent; the surge itself is recorded once by its unique key.
@shared_task(soft_time_limit=50, time_limit=60)
def notify_surge(incident_id: int) -> int:
    return notifications.send_surge_mail(incident_id=incident_id)
