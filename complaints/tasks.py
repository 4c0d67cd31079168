"""Thin Celery tasks of the complaint core: staff notifications and the auto-close sweep."""

from celery import shared_task
from django.db import OperationalError

from . import notifications, privacy, services


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=50,
    time_limit=60,
)
def notify_staff(event_id: int) -> int:
    """Tell the people concerned about an event (assignee, team leads, supervisors). Returns mails sent."""
    return notifications.notify_staff_of_event(event_id=event_id)


@shared_task(
    acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, soft_time_limit=240, time_limit=300
)
def close_stale_resolved_tickets() -> int:
    """Close resolved tickets left undisputed; re-queues itself while batches come back full."""
    batch_size = 500
    closed = services.close_stale_resolved(batch_size=batch_size)
    if closed == batch_size:
        close_stale_resolved_tickets.delay()
    return closed


@shared_task(
    acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, soft_time_limit=240, time_limit=300
)
def apply_retention() -> int:
    """Anonymise closed tickets past the retention period; re-queues itself while batches come back full."""
    batch_size = privacy.RETENTION_BATCH
    outcome = privacy.apply_retention(batch_size=batch_size)
    if outcome.tickets_anonymised == batch_size:
        apply_retention.delay()
    return outcome.tickets_anonymised
