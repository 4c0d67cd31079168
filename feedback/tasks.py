"""Thin Celery tasks of the satisfaction follow-up."""

from celery import shared_task
from django.conf import settings

from config.celery import REPEATABLE_TASK

from . import notifications, services


@shared_task(**REPEATABLE_TASK, soft_time_limit=240, time_limit=300)
def send_due_surveys() -> dict[str, int]:
    """Send due surveys and reminders in one batch; re-queues itself while batches come back full.

    Delivery failures are recorded per survey and retried on later runs with growing pauses.
    """
    batch_size = settings.FEEDBACK["BATCH_SIZE"]
    report = services.send_due_surveys(batch_size=batch_size)
    if report.handled >= batch_size and not report.stopped_early:
        send_due_surveys.delay()
    return {"sent": report.sent, "reminded": report.reminded, "failed": report.failed}


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=50,
    time_limit=60,
)
def notify_return_visit(visit_id: int) -> int:
    """Tell the team lead about a new return visit. Returns mails sent (0 when nobody to tell)."""
    return notifications.notify_return_visit(visit_id=visit_id)
