"""Thin Celery tasks of the complaint core: staff notifications and the auto-close sweep."""

from celery import Task, shared_task
from celery.utils.time import get_exponential_backoff_interval

from config.celery import REPEATABLE_TASK

from . import notifications, privacy, services


@shared_task(bind=True, acks_late=True, max_retries=5, soft_time_limit=50, time_limit=60)
def notify_staff(self: Task, event_ids: list[int]) -> int:
    """Tell the people concerned about events (assignee, team leads, supervisors). Returns mails sent.

    A failed mail retries with backoff, only for the events not mailed yet: the ones before it went
    out and must not go out twice.
    """
    sent = 0
    for position, pk in enumerate(event_ids):
        try:
            sent += notifications.notify_staff_of_event(event_id=pk)
        except OSError as exc:
            # What autoretry_for=(OSError,) with retry_backoff=True did, narrowed to the rest of the list.
            countdown = get_exponential_backoff_interval(
                factor=1, retries=self.request.retries, maximum=600, full_jitter=True
            )
            raise self.retry(args=[event_ids[position:]], kwargs={}, exc=exc, countdown=countdown) from exc
    return sent


@shared_task(**REPEATABLE_TASK, soft_time_limit=240, time_limit=300)
def close_stale_resolved_tickets() -> int:
    """Close resolved tickets left undisputed; re-queues itself while batches come back full."""
    batch_size = 500
    closed = services.close_stale_resolved(batch_size=batch_size)
    if closed == batch_size:
        close_stale_resolved_tickets.delay()
    return closed


@shared_task(**REPEATABLE_TASK, soft_time_limit=240, time_limit=300)
def apply_retention() -> int:
    """Anonymise closed tickets past the retention period; re-queues itself while batches come back full."""
    batch_size = privacy.RETENTION_BATCH
    outcome = privacy.apply_retention(batch_size=batch_size)
    if outcome.tickets_anonymised == batch_size:
        apply_retention.delay()
    return outcome.tickets_anonymised
